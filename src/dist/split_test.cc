#include "src/dist/split.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/net/address.h"

namespace mailshake::dist {
namespace {

engine::RunSpec BaseSpec() {
  engine::RunSpec spec;
  spec.target.address = *net::SocketAddress::Parse("127.0.0.1:2525");
  spec.threads = 2;
  spec.concurrency = 10;
  return spec;
}

TEST(ParseShardIdTest, AcceptsZeroBasedIndexBelowCount) {
  absl::StatusOr<ShardId> id = ParseShardId("2/3");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->index, 2);
  EXPECT_EQ(id->count, 3);
}

TEST(ParseShardIdTest, RejectsMalformedAndOutOfRange) {
  for (const char* bad : {"", "1", "3/3", "-1/3", "1/0", "a/b", "1/2/3", "0/100001"}) {
    EXPECT_FALSE(ParseShardId(bad).ok()) << bad;
  }
}

TEST(SplitTest, ClosedLoopConcurrencySumsExactly) {
  engine::RunSpec spec = BaseSpec();
  spec.concurrency = 11;
  int sum = 0;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<engine::RunSpec> share = ShareOf(spec, {i, 3});
    ASSERT_TRUE(share.ok()) << share.status();
    EXPECT_TRUE(share->Validate().ok()) << share->Validate();
    EXPECT_GE(share->concurrency, 3);
    EXPECT_LE(share->concurrency, 4);
    sum += share->concurrency;
  }
  EXPECT_EQ(sum, 11);
}

TEST(SplitTest, ThreadsNeverExceedTheShareOfConcurrency) {
  engine::RunSpec spec = BaseSpec();
  spec.threads = 4;
  spec.concurrency = 5;
  absl::StatusOr<engine::RunSpec> share = ShareOf(spec, {4, 5});
  ASSERT_TRUE(share.ok());
  EXPECT_EQ(share->concurrency, 1);
  EXPECT_EQ(share->threads, 1);
  EXPECT_TRUE(share->Validate().ok());
  EXPECT_FALSE(ShareOf(spec, {0, 6}).ok());
}

TEST(SplitTest, OneShareIsTheSpecItself) {
  engine::RunSpec spec = BaseSpec();
  spec.rate = 100;
  spec.seed = 42;
  absl::StatusOr<engine::RunSpec> share = ShareOf(spec, {0, 1});
  ASSERT_TRUE(share.ok());
  EXPECT_EQ(share->rate, 100);
  EXPECT_EQ(share->seed, 42u);
  EXPECT_EQ(share->schedule_phase, 0);
  EXPECT_EQ(share->concurrency, 10);
}

TEST(SplitTest, OpenLoopSplitsRatePhasesAndSeeds) {
  engine::RunSpec spec = BaseSpec();
  spec.rate = 900;
  spec.seed = 7;
  std::set<uint64_t> seeds;
  double rate = 0;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<engine::RunSpec> share = ShareOf(spec, {i, 3});
    ASSERT_TRUE(share.ok());
    rate += share->rate;
    EXPECT_DOUBLE_EQ(share->schedule_phase, i / 3.0);
    seeds.insert(share->seed);
    // The same spec and share give the same stream.
    EXPECT_EQ(share->seed, ShareOf(spec, {i, 3})->seed);
  }
  EXPECT_DOUBLE_EQ(rate, 900);
  EXPECT_EQ(seeds.size(), 3u);
  EXPECT_NE(ShareSeed(7, 0, 3), ShareSeed(8, 0, 3));
}

// Constant schedules of rate/N shifted by k/N of a worker's gap (the engine
// adds (w + phase)/threads of it) interleave into one evenly spaced schedule.
TEST(SplitTest, ConstantSchedulesInterleaveEvenly) {
  engine::RunSpec spec = BaseSpec();
  spec.rate = 600;
  std::vector<double> firsts;
  for (int k = 0; k < 3; ++k) {
    engine::RunSpec share = *ShareOf(spec, {k, 3});
    double worker_gap = share.threads / share.rate;
    for (int w = 0; w < share.threads; ++w) {
      firsts.push_back(worker_gap * (w + share.schedule_phase) / share.threads);
    }
  }
  std::sort(firsts.begin(), firsts.end());
  ASSERT_EQ(firsts.size(), 6u);
  for (size_t i = 0; i < firsts.size(); ++i) EXPECT_NEAR(firsts[i], i / 600.0, 1e-12);
}

TEST(SplitTest, HandshakesSplitExactlyAndNeedOneEach) {
  engine::RunSpec spec = BaseSpec();
  spec.handshakes = 1001;
  int64_t sum = 0;
  for (int i = 0; i < 4; ++i) sum += ShareOf(spec, {i, 4})->handshakes;
  EXPECT_EQ(sum, 1001);
  spec.handshakes = 3;
  EXPECT_FALSE(ShareOf(spec, {0, 4}).ok());
}

TEST(SplitTest, SourceRangesAreDisjointAndCoverEveryAddress) {
  engine::RunSpec spec = BaseSpec();
  spec.sources = *net::ParseSourceAddresses("127.0.0.2-127.0.0.11");
  std::set<std::string> seen;
  size_t total = 0;
  for (int i = 0; i < 3; ++i) {
    engine::RunSpec share = *ShareOf(spec, {i, 3});
    EXPECT_GE(share.sources.size(), 3u);
    for (const net::SocketAddress& a : share.sources) {
      EXPECT_TRUE(seen.insert(a.IpString()).second) << a.IpString() << " in two shares";
    }
    total += share.sources.size();
  }
  EXPECT_EQ(total, 10u);
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_FALSE(ShareOf(spec, {0, 11}).ok());
}

TEST(SplitTest, RefusesAShareThatDoesNotExist) {
  EXPECT_FALSE(ShareOf(BaseSpec(), {3, 3}).ok());
  EXPECT_FALSE(ShareOf(BaseSpec(), {0, 0}).ok());
}

}  // namespace
}  // namespace mailshake::dist
