#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace stats {
namespace {

using ::testing::HasSubstr;

// A caller's phase enum, as the engine would pass it.
enum Phase { kConnect = 0, kBanner = 1, kHandshake = 2, kPhaseCount = 3 };

PhaseHistograms MakePhases(int count = kPhaseCount,
                           const HistogramConfig& config = {}) {
  absl::StatusOr<PhaseHistograms> p = PhaseHistograms::Create(count, config);
  EXPECT_TRUE(p.ok()) << p.status();
  return *std::move(p);
}

TEST(PhaseHistogramsTest, CreateRejectsBadPhaseCountsAndConfigs) {
  EXPECT_EQ(PhaseHistograms::Create(0, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PhaseHistograms::Create(65, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PhaseHistograms::Create(3, {9, 1000}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(PhaseHistograms::Create(64, {1, 1000}).ok());
}

TEST(PhaseHistogramsTest, RecordsEachPhaseSeparately) {
  PhaseHistograms phases = MakePhases();
  phases.Record(kConnect, 100);
  phases.Record(kHandshake, 300'000);
  phases.Record(kHandshake, 310'000);
  EXPECT_EQ(phases.phase_count(), 3);
  EXPECT_EQ(phases.phase(kConnect).Count(), 1);
  EXPECT_EQ(phases.phase(kBanner).Count(), 0);
  EXPECT_EQ(phases.phase(kHandshake).Count(), 2);
  EXPECT_EQ(phases.phase(kHandshake).Min(), 300'000);
}

TEST(PhaseHistogramsTest, MergeAddsPhaseByPhase) {
  PhaseHistograms a = MakePhases();
  PhaseHistograms b = MakePhases();
  a.Record(kBanner, 5);
  b.Record(kBanner, 7);
  b.Record(kConnect, 9);
  ASSERT_TRUE(a.Merge(b).ok());
  EXPECT_EQ(a.phase(kBanner).Count(), 2);
  EXPECT_EQ(a.phase(kBanner).Max(), 7);
  EXPECT_EQ(a.phase(kConnect).Count(), 1);
  EXPECT_EQ(a.phase(kHandshake).Count(), 0);
}

TEST(PhaseHistogramsTest, MergeRejectsDifferentShapesAndChangesNothing) {
  PhaseHistograms a = MakePhases();
  a.Record(kConnect, 1);
  PhaseHistograms fewer = MakePhases(2);
  fewer.Record(kConnect, 2);
  absl::Status status = a.Merge(fewer);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("2 phases into a set of 3"));

  PhaseHistograms coarser = MakePhases(kPhaseCount, {2, 1'000'000});
  coarser.Record(kConnect, 2);
  status = a.Merge(coarser);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("phase 0"));
  EXPECT_EQ(a.phase(kConnect).Count(), 1);
}

TEST(PhaseHistogramsTest, JsonRoundTrips) {
  PhaseHistograms phases = MakePhases(kPhaseCount, {2, 10'000'000'000});
  for (int64_t v = 1; v < 100'000'000; v = v * 3 + 1) {
    phases.Record(kConnect, v);
    phases.Record(kHandshake, v * 2);
  }
  const std::string text = phases.ToJson().dump();
  absl::StatusOr<PhaseHistograms> parsed =
      PhaseHistograms::FromJson(nlohmann::json::parse(text));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->phase_count(), kPhaseCount);
  EXPECT_EQ(parsed->config(), phases.config());
  EXPECT_EQ(parsed->ToJson(), phases.ToJson());
}

TEST(PhaseHistogramsTest, FromJsonRejectsMixedConfigsAndBadShapes) {
  nlohmann::json json = MakePhases().ToJson();
  json["phases"][1] = LatencyHistogram::Create({2, 1000})->ToJson();
  absl::StatusOr<PhaseHistograms> parsed = PhaseHistograms::FromJson(json);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("different histogram config"));

  json = MakePhases().ToJson();
  json["phases"][2]["count"] = 5;
  parsed = PhaseHistograms::FromJson(json);
  EXPECT_THAT(parsed.status().message(), HasSubstr("phases[2]"));

  EXPECT_FALSE(PhaseHistograms::FromJson(nlohmann::json::parse(
                                             R"({"phases": []})"))
                   .ok());
  EXPECT_FALSE(PhaseHistograms::FromJson(nlohmann::json::parse("{}")).ok());
}

// The load engine's pattern: one recorder per worker thread, nothing shared
// while recording, merged by one thread at the end. Run under TSan this also
// checks that recording touches no hidden shared state.
TEST(PhaseHistogramsTest, PerThreadRecordersMergeToWhatOneRecorderSees) {
  constexpr int kWorkers = 4;
  constexpr int kRecordsPerWorker = 20'000;
  auto latency = [](int worker, int i) -> int64_t {
    return (int64_t{i} * 7919 + worker * 104'729) % 50'000'000 + 1;
  };
  std::vector<PhaseHistograms> phases(kWorkers, MakePhases());
  std::vector<TimeSeries> series(kWorkers);
  std::vector<CounterMap> outcomes(kWorkers);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kRecordsPerWorker; ++i) {
        phases[w].Record(i % kPhaseCount, latency(w, i));
        series[w].RecordSuccess(1'700'000'000 + i / 5000, latency(w, i));
        outcomes[w].Increment(i % 10 == 0 ? "timeout" : "ok");
      }
    });
  }
  for (std::thread& t : threads) t.join();

  PhaseHistograms one = MakePhases();
  TimeSeries one_series;
  CounterMap one_outcomes;
  for (int w = 0; w < kWorkers; ++w) {
    for (int i = 0; i < kRecordsPerWorker; ++i) {
      one.Record(i % kPhaseCount, latency(w, i));
      one_series.RecordSuccess(1'700'000'000 + i / 5000, latency(w, i));
      one_outcomes.Increment(i % 10 == 0 ? "timeout" : "ok");
    }
  }
  PhaseHistograms merged = MakePhases();
  TimeSeries merged_series;
  CounterMap merged_outcomes;
  for (int w = 0; w < kWorkers; ++w) {
    ASSERT_TRUE(merged.Merge(phases[w]).ok());
    ASSERT_TRUE(merged_series.Merge(series[w]).ok());
    ASSERT_TRUE(merged_outcomes.Merge(outcomes[w]).ok());
  }
  EXPECT_EQ(merged.ToJson(), one.ToJson());
  EXPECT_EQ(merged_series.ToJson(), one_series.ToJson());
  EXPECT_EQ(merged_outcomes.ToJson(), one_outcomes.ToJson());
  EXPECT_EQ(merged_outcomes.Get("timeout"), kWorkers * kRecordsPerWorker / 10);
}

TEST(PhaseHistogramsDeathTest, RecordingAnUnknownPhaseAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  PhaseHistograms phases = MakePhases();
  EXPECT_DEATH(phases.Record(kPhaseCount, 1), "phase 3 out of range");
  EXPECT_DEATH(phases.Record(-1, 1), "phase -1 out of range");
  EXPECT_DEATH(phases.phase(7), "phase 7 out of range");
}

}  // namespace
}  // namespace stats
}  // namespace mailshake
