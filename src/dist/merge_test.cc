#include "src/dist/merge.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/report/report.h"
#include "src/report/test_util.h"

namespace mailshake::dist {
namespace {

using ::testing::HasSubstr;

nlohmann::json AsJson(const report::Scenario& s) {
  report::Result r;
  r.scenarios.push_back(s);
  return report::ToJson(r)["scenarios"][0];
}

// Three shares of one open-loop run, each recording a disjoint slice of the
// same sample stream, and one recorder that saw every sample.
class MergeShardsTest : public ::testing::Test {
 protected:
  MergeShardsTest() : all_("s", 0, 300) {
    for (int k = 0; k < 3; ++k) recorders_.emplace_back("s", 0, 100);
    for (int i = 0; i < 3000; ++i) {
      report::testing::ScenarioRecorder& share = recorders_[i % 3];
      int64_t second = 1700000000 + i / 300;
      std::vector<int64_t> phases(report::testing::EnginePhaseNames().size(), 1000 + i * 37);
      phases.back() = 50000 + (i * 7919) % 900000;
      if (i % 17 == 0) {
        share.Failure(second, "timeout:tls", i);
        all_.Failure(second, "timeout:tls", i);
      } else {
        share.Success(second, phases, {{"versions", "TLSv1.3"}}, i);
        all_.Success(second, phases, {{"versions", "TLSv1.3"}}, i);
      }
    }
    for (int k = 0; k < 3; ++k) {
      report::Result r;
      r.environment.hostname = "host" + std::to_string(k);
      r.environment.start = absl::FromUnixSeconds(1700000000 + k);
      r.target = "smtp://127.0.0.1:2525";
      r.spec = {{"rate", 300}, {"seed", 1}, {"shard", {{"index", k}, {"count", 3}}}};
      report::Scenario s = recorders_[k].scenario();
      s.measured_seconds = 10;
      s.client_cpu_seconds = 1 + k;
      r.scenarios.push_back(s);
      r.shards.push_back(SummarizeShare(r, k, 3, r.environment.hostname));
      parts_.push_back({"part" + std::to_string(k) + ".json", r});
    }
  }

  report::testing::ScenarioRecorder all_;
  std::vector<report::testing::ScenarioRecorder> recorders_;
  std::vector<Part> parts_;
};

TEST_F(MergeShardsTest, EqualsOneRecorderThatSawEverySample) {
  absl::StatusOr<report::Result> merged = MergeShards({parts_[2], parts_[0], parts_[1]}, {});
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->scenarios.size(), 1u);
  const report::Scenario& m = merged->scenarios[0];
  const report::Scenario& a = all_.scenario();
  EXPECT_EQ(m.attempted, 3000);
  EXPECT_EQ(m.attempted, a.attempted);
  EXPECT_EQ(m.failed, a.failed);
  nlohmann::json mj = AsJson(m), aj = AsJson(a);
  for (const char* key : {"outcomes", "phases", "schedule_lag", "series", "negotiated"}) {
    EXPECT_EQ(mj[key], aj[key]) << key;
  }
  EXPECT_EQ(m.phases.back().latency.ValueAtPercentile(99.9),
            a.phases.back().latency.ValueAtPercentile(99.9));
  EXPECT_DOUBLE_EQ(m.target_rate, 300);
  EXPECT_DOUBLE_EQ(m.client_cpu_seconds, 6);
  EXPECT_FALSE(m.interrupted);
  EXPECT_EQ(merged->spec, (nlohmann::json{{"rate", 300}, {"seed", 1}}));
  EXPECT_EQ(merged->environment.hostname, "host0");
  EXPECT_EQ(merged->environment.start, absl::FromUnixSeconds(1700000000));
  ASSERT_EQ(merged->shards.size(), 3u);
  int64_t sum = 0;
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(merged->shards[k].index, k);
    EXPECT_EQ(merged->shards[k].host, "host" + std::to_string(k));
    sum += merged->shards[k].attempted;
  }
  EXPECT_EQ(sum, 3000);
  // And the file form reads back.
  EXPECT_TRUE(report::FromJson(report::ToJson(*merged)).ok());
}

TEST_F(MergeShardsTest, MergesEarlierMergesToTheSameResult) {
  absl::StatusOr<report::Result> ab = MergeShards({parts_[0], parts_[1]}, {true});
  ASSERT_TRUE(ab.ok()) << ab.status();
  ab->shards.erase(ab->shards.begin() + 2);  // the "lost" placeholder for share 2
  for (auto& s : ab->scenarios) s.interrupted = false;
  absl::StatusOr<report::Result> two_step = MergeShards({{"ab", *ab}, parts_[2]}, {});
  absl::StatusOr<report::Result> one_step = MergeShards(parts_, {});
  ASSERT_TRUE(two_step.ok()) << two_step.status();
  EXPECT_EQ(report::ToJson(*two_step), report::ToJson(*one_step));
}

TEST_F(MergeShardsTest, RefusesMissingShare) {
  absl::StatusOr<report::Result> merged = MergeShards({parts_[0], parts_[2]}, {});
  ASSERT_FALSE(merged.ok());
  EXPECT_THAT(std::string(merged.status().message()), HasSubstr("missing share 1 of 3"));
}

TEST_F(MergeShardsTest, AllowMissingMarksTheShareLostAndTheRunInterrupted) {
  absl::StatusOr<report::Result> merged = MergeShards({parts_[0], parts_[2]}, {true});
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->shards.size(), 3u);
  EXPECT_TRUE(merged->shards[1].lost);
  EXPECT_EQ(merged->shards[1].attempted, 0);
  EXPECT_TRUE(merged->scenarios[0].interrupted);
  EXPECT_EQ(merged->scenarios[0].attempted,
            parts_[0].result.scenarios[0].attempted + parts_[2].result.scenarios[0].attempted);
  EXPECT_TRUE(report::FromJson(report::ToJson(*merged)).ok());
}

TEST_F(MergeShardsTest, RefusesOverlappingShares) {
  absl::StatusOr<report::Result> merged = MergeShards({parts_[0], parts_[1], parts_[1]}, {});
  ASSERT_FALSE(merged.ok());
  EXPECT_THAT(std::string(merged.status().message()),
              HasSubstr("part1.json and part1.json both hold share 1/3"));
}

TEST_F(MergeShardsTest, RefusesSharesOfDifferentSpecs) {
  parts_[1].result.spec["rate"] = 301;
  absl::StatusOr<report::Result> merged = MergeShards(parts_, {});
  ASSERT_FALSE(merged.ok());
  EXPECT_THAT(std::string(merged.status().message()),
              HasSubstr("part1.json and part0.json are shares of different runs (spec \"rate\""));
}

TEST_F(MergeShardsTest, RefusesDifferentShareCountsAndNonShares) {
  parts_[1].result.shards[0].count = 4;
  EXPECT_FALSE(MergeShards(parts_, {}).ok());
  parts_[1].result.shards.clear();
  absl::StatusOr<report::Result> merged = MergeShards(parts_, {});
  ASSERT_FALSE(merged.ok());
  EXPECT_THAT(std::string(merged.status().message()), HasSubstr("not the result of a share"));
}

}  // namespace
}  // namespace mailshake::dist
