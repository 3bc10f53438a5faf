#include <cstdint>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace stats {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr int64_t kStart = 1'700'000'000;  // A Unix second.

// The seconds present in |series|, for compact assertions.
std::vector<int64_t> Keys(const TimeSeries& series) {
  std::vector<int64_t> keys;
  for (const auto& [second, unused] : series.seconds()) keys.push_back(second);
  return keys;
}

TEST(TimeSeriesTest, DefaultsToACoarseOneHourHistogramPerSecond) {
  TimeSeries series;
  EXPECT_EQ(series.histogram_config(), (HistogramConfig{1, 3'600'000'000'000}));
  EXPECT_TRUE(series.seconds().empty());
}

TEST(TimeSeriesTest, CreateRejectsInvalidHistogramConfig) {
  EXPECT_EQ(TimeSeries::Create({0, 100}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TimeSeriesTest, CountsOutcomesAndLatencyPerSecond) {
  TimeSeries series;
  series.RecordSuccess(kStart, 1000);
  series.RecordSuccess(kStart, 3000);
  series.RecordFailure(kStart);
  series.RecordFailure(kStart + 2);
  series.RecordSuccess(kStart + 2, 500);
  ASSERT_THAT(Keys(series), ElementsAre(kStart, kStart + 2));
  const SecondStats& first = series.seconds().at(kStart);
  EXPECT_EQ(first.successes, 2);
  EXPECT_EQ(first.failures, 1);
  EXPECT_EQ(first.latency.Count(), 2);
  EXPECT_EQ(first.latency.Min(), 1000);
  EXPECT_EQ(first.latency.Max(), 3000);
  EXPECT_EQ(first.latency.config(), series.histogram_config());
  const SecondStats& third = series.seconds().at(kStart + 2);
  EXPECT_EQ(third.successes, 1);
  EXPECT_EQ(third.failures, 1);
}

TEST(TimeSeriesTest, AcceptsRecordsForEarlierSeconds) {
  TimeSeries series;
  series.RecordSuccess(kStart + 5, 10);
  series.RecordSuccess(kStart + 1, 10);  // A late completion.
  series.RecordFailure(kStart + 3);
  series.RecordSuccess(kStart + 1, 20);
  EXPECT_THAT(Keys(series), ElementsAre(kStart + 1, kStart + 3, kStart + 5));
  EXPECT_EQ(series.seconds().at(kStart + 1).successes, 2);
}

TEST(TimeSeriesTest, MergeByWallSecondEqualsRecordingEverythingInOne) {
  absl::StatusOr<TimeSeries> created = TimeSeries::Create({2, 10'000'000'000});
  ASSERT_TRUE(created.ok());
  TimeSeries all = *created;
  TimeSeries worker_a = *created;
  TimeSeries worker_b = *created;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int64_t> second(kStart, kStart + 20);
  std::uniform_int_distribution<int64_t> latency(1, 50'000'000);
  for (int i = 0; i < 5000; ++i) {
    TimeSeries& worker = (i % 3 == 0) ? worker_a : worker_b;
    const int64_t s = second(rng);
    if (i % 7 == 0) {
      worker.RecordFailure(s);
      all.RecordFailure(s);
    } else {
      const int64_t l = latency(rng);
      worker.RecordSuccess(s, l);
      all.RecordSuccess(s, l);
    }
  }
  TimeSeries merged = *created;
  ASSERT_TRUE(merged.Merge(worker_a).ok());
  ASSERT_TRUE(merged.Merge(worker_b).ok());
  EXPECT_EQ(merged.ToJson(), all.ToJson());
}

TEST(TimeSeriesTest, MergeUnitesDisjointSeconds) {
  TimeSeries a;
  TimeSeries b;
  a.RecordSuccess(kStart, 7);
  b.RecordFailure(kStart + 1);
  ASSERT_TRUE(a.Merge(b).ok());
  EXPECT_THAT(Keys(a), ElementsAre(kStart, kStart + 1));
  EXPECT_EQ(a.seconds().at(kStart + 1).failures, 1);
}

TEST(TimeSeriesTest, MergeRejectsDifferentHistogramConfigs) {
  TimeSeries a;
  absl::StatusOr<TimeSeries> b = TimeSeries::Create({3, 1'000'000});
  ASSERT_TRUE(b.ok());
  b->RecordSuccess(kStart, 5);
  absl::Status status = a.Merge(*b);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("per-second histograms differ"));
  EXPECT_TRUE(a.seconds().empty());
}

TEST(TimeSeriesTest, JsonRoundTripsAndWritesTheConfigOnce) {
  TimeSeries series;
  series.RecordSuccess(kStart, 1200);
  series.RecordSuccess(kStart, 5'000'000'000'000);  // Overflow, still a success.
  series.RecordFailure(kStart + 1);
  const nlohmann::json json = series.ToJson();
  EXPECT_EQ(json["significant_digits"], 1);
  EXPECT_FALSE(json["seconds"][0]["latency"].contains("significant_digits"));
  EXPECT_EQ(json["seconds"][0]["latency"]["overflow"], 1);
  absl::StatusOr<TimeSeries> parsed =
      TimeSeries::FromJson(nlohmann::json::parse(json.dump()));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ToJson(), json);
  EXPECT_EQ(parsed->seconds().at(kStart).successes, 2);
}

TEST(TimeSeriesTest, FromJsonRejectsInconsistentSeconds) {
  TimeSeries series;
  series.RecordSuccess(kStart, 1200);
  series.RecordSuccess(kStart + 1, 1300);
  const nlohmann::json good = series.ToJson();

  nlohmann::json json = good;
  json["seconds"][1]["second"] = kStart;
  absl::StatusOr<TimeSeries> parsed = TimeSeries::FromJson(json);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("ascending order"));

  json = good;
  json["seconds"][0]["successes"] = 3;
  parsed = TimeSeries::FromJson(json);
  EXPECT_THAT(parsed.status().message(), HasSubstr("they must add up"));

  json = good;
  json["seconds"][0]["failures"] = -1;
  parsed = TimeSeries::FromJson(json);
  EXPECT_THAT(parsed.status().message(),
              HasSubstr("seconds[0]: field \"failures\" is -1"));

  json = good;
  json["seconds"][1]["latency"] = 17;
  parsed = TimeSeries::FromJson(json);
  EXPECT_THAT(parsed.status().message(), HasSubstr("seconds[1]: latency"));

  json = good;
  json["seconds"][0]["second"] = "now";
  parsed = TimeSeries::FromJson(json);
  EXPECT_THAT(parsed.status().message(), HasSubstr("\"second\""));

  json = good;
  json.erase("seconds");
  EXPECT_THAT(TimeSeries::FromJson(json).status().message(),
              HasSubstr("missing field \"seconds\""));
}

TEST(TimeSeriesTest, NegativeSecondIndicesRoundTrip) {
  TimeSeries series;
  series.RecordFailure(-3);
  absl::StatusOr<TimeSeries> parsed = TimeSeries::FromJson(series.ToJson());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(Keys(*parsed), ElementsAre(-3));
}

}  // namespace
}  // namespace stats
}  // namespace mailshake

namespace mailshake::stats {
namespace {

TEST(AddElementwiseTest, AddsIndexByIndexAndGrowsWithZeros) {
  std::vector<int64_t> into = {1, 2};
  AddElementwise({10, 20, 30}, &into);
  EXPECT_EQ(into, (std::vector<int64_t>{11, 22, 30}));
  AddElementwise({5}, &into);  // shorter: the rest stays
  EXPECT_EQ(into, (std::vector<int64_t>{16, 22, 30}));
  AddElementwise({}, &into);
  EXPECT_EQ(into, (std::vector<int64_t>{16, 22, 30}));
}

}  // namespace
}  // namespace mailshake::stats
