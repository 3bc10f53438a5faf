#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
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

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kOneHourNs = int64_t{3'600'000'000'000};

LatencyHistogram MakeHistogram(int digits, int64_t highest) {
  absl::StatusOr<LatencyHistogram> h =
      LatencyHistogram::Create({digits, highest});
  EXPECT_TRUE(h.ok()) << h.status();
  return *std::move(h);
}

// Latencies spread log-uniformly over 100 ns .. 10 s, like a run with a long
// tail; seeded so failures reproduce.
std::vector<int64_t> LogUniformValues(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> exponent(2.0, 10.0);
  std::vector<int64_t> values(n);
  for (int64_t& v : values) {
    v = static_cast<int64_t>(std::pow(10.0, exponent(rng)));
  }
  return values;
}

// The k-th smallest value (1-based) for HdrHistogram's percentile rank.
int64_t ExactAtPercentile(const std::vector<int64_t>& sorted, double p) {
  const int64_t n = static_cast<int64_t>(sorted.size());
  int64_t rank = static_cast<int64_t>(std::floor(p / 100.0 * n + 0.5));
  rank = std::clamp<int64_t>(rank, 1, n);
  return sorted[static_cast<size_t>(rank - 1)];
}

TEST(LatencyHistogramTest, DefaultConfigIsThreeDigitsOverOneHour) {
  LatencyHistogram h;
  EXPECT_EQ(h.config().significant_digits, 3);
  EXPECT_EQ(h.config().highest_trackable_value, kOneHourNs);
}

TEST(LatencyHistogramTest, CreateRejectsConfigsOutOfRange) {
  for (const HistogramConfig& bad :
       {HistogramConfig{0, 1000}, HistogramConfig{6, 1000},
        HistogramConfig{3, 1}, HistogramConfig{3, -5},
        HistogramConfig{3, (int64_t{1} << 62) + 1}}) {
    absl::StatusOr<LatencyHistogram> h = LatencyHistogram::Create(bad);
    EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument)
        << bad.significant_digits << " " << bad.highest_trackable_value;
  }
  EXPECT_TRUE(LatencyHistogram::Create({1, 2}).ok());
  EXPECT_TRUE(LatencyHistogram::Create({5, int64_t{1} << 62}).ok());
}

TEST(LatencyHistogramTest, ValuesBelowTwiceTenToTheDigitsAreExact) {
  for (int digits = 1; digits <= 4; ++digits) {
    LatencyHistogram h = MakeHistogram(digits, kOneHourNs);
    int64_t exact_limit = 2;
    for (int i = 0; i < digits; ++i) exact_limit *= 10;
    for (int64_t v = 0; v < exact_limit; ++v) {
      ASSERT_EQ(h.LowestEquivalentValue(v), v) << digits;
      ASSERT_EQ(h.HighestEquivalentValue(v), v) << digits;
    }
  }
}

TEST(LatencyHistogramTest, BucketWidthIsWithinConfiguredRelativePrecision) {
  std::mt19937_64 rng(7);
  for (int digits = 1; digits <= 5; ++digits) {
    LatencyHistogram h = MakeHistogram(digits, kOneHourNs);
    int64_t scale = 1;
    for (int i = 0; i < digits; ++i) scale *= 10;
    std::uniform_int_distribution<int> shift(0, 41);
    for (int i = 0; i < 20000; ++i) {
      const int64_t v = static_cast<int64_t>(rng() >> (22 + shift(rng))) %
                        (kOneHourNs + 1);
      const int64_t low = h.LowestEquivalentValue(v);
      const int64_t high = h.HighestEquivalentValue(v);
      ASSERT_LE(low, v);
      ASSERT_GE(high, v);
      const int64_t width = high - low + 1;
      // width <= low / 10^digits, except for the exact unit-wide buckets.
      ASSERT_TRUE(width == 1 || width * scale <= low)
          << "digits " << digits << " value " << v << " bucket [" << low
          << ", " << high << "]";
    }
  }
}

TEST(LatencyHistogramTest, CountMinMaxAreExact) {
  LatencyHistogram h;
  EXPECT_EQ(h.Count(), 0);
  EXPECT_EQ(h.Min(), 0);
  EXPECT_EQ(h.Max(), 0);
  for (int64_t v : {int64_t{123'456'789}, int64_t{5}, int64_t{98'765'432'101},
                    int64_t{5}}) h.Record(v);
  EXPECT_EQ(h.Count(), 4);
  EXPECT_EQ(h.Min(), 5);
  EXPECT_EQ(h.Max(), 98'765'432'101);
}

TEST(LatencyHistogramTest, PercentilesMatchSortedValuesWithinPrecision) {
  std::vector<int64_t> values = LogUniformValues(200'000, 42);
  LatencyHistogram h;
  for (int64_t v : values) h.Record(v);
  std::sort(values.begin(), values.end());

  for (double p : {0.001, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9,
                   99.99, 99.999}) {
    const int64_t exact = ExactAtPercentile(values, p);
    const int64_t reported = h.ValueAtPercentile(p);
    // Exactly HdrHistogram's definition ...
    EXPECT_EQ(reported, std::min(h.HighestEquivalentValue(exact), h.Max()))
        << "p" << p;
    // ... which is never below the true value and within 1/1000 above it.
    EXPECT_GE(reported, exact) << "p" << p;
    EXPECT_LE(reported - exact, exact / 1000) << "p" << p;
  }
  EXPECT_EQ(h.ValueAtPercentile(0), values.front());
  EXPECT_EQ(h.ValueAtPercentile(100), values.back());
}

TEST(LatencyHistogramTest, PercentileOfSmallCountsUsesRoundedRank) {
  LatencyHistogram h;
  for (int64_t v = 1; v <= 10; ++v) h.Record(v * 100);
  // rank = max(1, round(p/100 * 10)); values below 2000 are exact.
  EXPECT_EQ(h.ValueAtPercentile(1), 100);    // rank round(0.1) -> 1
  EXPECT_EQ(h.ValueAtPercentile(14), 100);   // round(1.4) = 1
  EXPECT_EQ(h.ValueAtPercentile(15), 200);   // round(1.5) = 2
  EXPECT_EQ(h.ValueAtPercentile(50), 500);
  EXPECT_EQ(h.ValueAtPercentile(95), 1000);  // round(9.5) = 10
  EXPECT_EQ(h.ValueAtPercentile(94), 900);
}

TEST(LatencyHistogramTest, PercentileIsCappedAtMax) {
  LatencyHistogram h;
  // 1'000'001 lies in the width-512 bucket [999'936, 1'000'447], whose upper
  // bound is above the only value recorded.
  h.Record(1'000'001);
  ASSERT_GT(h.HighestEquivalentValue(1'000'001), 1'000'001);
  EXPECT_EQ(h.ValueAtPercentile(50), 1'000'001);
  EXPECT_EQ(h.ValueAtPercentile(99.9), 1'000'001);
}

TEST(LatencyHistogramTest, PercentileArgumentIsClamped) {
  LatencyHistogram h;
  EXPECT_EQ(h.ValueAtPercentile(50), 0);  // Empty.
  for (int64_t v : {10, 20, 30}) h.Record(v);
  EXPECT_EQ(h.ValueAtPercentile(-3), 10);
  EXPECT_EQ(h.ValueAtPercentile(std::numeric_limits<double>::quiet_NaN()), 10);
  EXPECT_EQ(h.ValueAtPercentile(250), 30);
  EXPECT_EQ(h.ValueAtPercentile(std::numeric_limits<double>::infinity()), 30);
}

TEST(LatencyHistogramTest, MeanAndStddevAreWithinPrecision) {
  const std::vector<int64_t> values = LogUniformValues(100'000, 9);
  LatencyHistogram h;
  double sum = 0;
  for (int64_t v : values) {
    h.Record(v);
    sum += static_cast<double>(v);
  }
  const double mean = sum / values.size();
  double squares = 0;
  for (int64_t v : values) squares += (v - mean) * (v - mean);
  const double stddev = std::sqrt(squares / values.size());
  // Each value moves by at most half a bucket, i.e. by less than v/2048.
  EXPECT_NEAR(h.Mean(), mean, mean / 2000);
  EXPECT_NEAR(h.Stddev(), stddev, static_cast<double>(h.Max()) / 2000);
}

TEST(LatencyHistogramTest, MeanAndStddevOfExactValues) {
  LatencyHistogram h;
  EXPECT_EQ(h.Mean(), 0);
  EXPECT_EQ(h.Stddev(), 0);
  for (int64_t v : {2, 4, 4, 4, 5, 5, 7, 9}) h.Record(v);
  EXPECT_DOUBLE_EQ(h.Mean(), 5.0);    // 40 / 8
  EXPECT_DOUBLE_EQ(h.Stddev(), 2.0);  // sqrt(32 / 8)
}

TEST(LatencyHistogramTest, OverflowAndNegativeValuesAreCountedNotDropped) {
  LatencyHistogram h = MakeHistogram(3, 1'000'000);
  h.Record(1'000'000);  // The highest trackable value is in range.
  h.Record(1'000'001);
  h.Record(std::numeric_limits<int64_t>::max());
  h.Record(-5);
  h.Record(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(h.Count(), 1);
  EXPECT_EQ(h.OverflowCount(), 2);
  EXPECT_EQ(h.NegativeCount(), 2);
  EXPECT_EQ(h.Max(), 1'000'000);
  EXPECT_EQ(h.ValueAtPercentile(100), 1'000'000);

  LatencyHistogram other = MakeHistogram(3, 1'000'000);
  other.Record(2'000'000);
  ASSERT_TRUE(h.Merge(other).ok());
  EXPECT_EQ(h.OverflowCount(), 3);
  EXPECT_EQ(h.Count(), 1);
}

TEST(LatencyHistogramTest, LargestConfigHandlesExtremeValues) {
  const int64_t highest = int64_t{1} << 62;
  LatencyHistogram h = MakeHistogram(5, highest);
  h.Record(highest);
  h.Record(0);
  EXPECT_EQ(h.Max(), highest);
  EXPECT_EQ(h.ValueAtPercentile(99), highest);
  EXPECT_GE(h.HighestEquivalentValue(std::numeric_limits<int64_t>::max()),
            h.LowestEquivalentValue(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(h.HighestEquivalentValue(std::numeric_limits<int64_t>::max()),
            std::numeric_limits<int64_t>::max());
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  const std::vector<int64_t> values = LogUniformValues(50'000, 3);
  LatencyHistogram all = MakeHistogram(3, 1'000'000'000);  // 1 s: some overflow.
  std::vector<LatencyHistogram> parts(4, MakeHistogram(3, 1'000'000'000));
  for (size_t i = 0; i < values.size(); ++i) {
    all.Record(values[i]);
    parts[i % parts.size()].Record(values[i]);
  }
  parts[2].Record(-1);
  all.Record(-1);
  LatencyHistogram merged = MakeHistogram(3, 1'000'000'000);
  for (const LatencyHistogram& part : parts) {
    ASSERT_TRUE(merged.Merge(part).ok());
  }
  ASSERT_GT(all.OverflowCount(), 0);
  EXPECT_EQ(merged.Buckets(), all.Buckets());
  EXPECT_EQ(merged.Count(), all.Count());
  EXPECT_EQ(merged.Min(), all.Min());
  EXPECT_EQ(merged.Max(), all.Max());
  EXPECT_EQ(merged.OverflowCount(), all.OverflowCount());
  EXPECT_EQ(merged.NegativeCount(), 1);
  EXPECT_EQ(merged.Mean(), all.Mean());
  for (double p : {1.0, 50.0, 99.0, 99.99}) {
    EXPECT_EQ(merged.ValueAtPercentile(p), all.ValueAtPercentile(p));
  }
}

TEST(LatencyHistogramTest, MergeWithEmptyHistogramsChangesNothingButCounts) {
  LatencyHistogram a;
  LatencyHistogram empty;
  ASSERT_TRUE(a.Merge(empty).ok());
  EXPECT_EQ(a.Count(), 0);
  EXPECT_EQ(a.Min(), 0);
  a.Record(777);
  ASSERT_TRUE(a.Merge(empty).ok());
  ASSERT_TRUE(empty.Merge(a).ok());
  EXPECT_EQ(empty.Count(), 1);
  EXPECT_EQ(empty.Min(), 777);
  EXPECT_EQ(empty.Max(), 777);
}

TEST(LatencyHistogramTest, MergeRejectsDifferentConfigAndChangesNothing) {
  LatencyHistogram a = MakeHistogram(3, kOneHourNs);
  LatencyHistogram b = MakeHistogram(2, kOneHourNs);
  LatencyHistogram c = MakeHistogram(3, 60'000'000'000);
  a.Record(100);
  b.Record(200);
  c.Record(300);
  absl::Status status = a.Merge(b);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("different configurations"));
  EXPECT_THAT(status.message(), HasSubstr("2 significant digits"));
  EXPECT_EQ(a.Merge(c).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a.Count(), 1);
  EXPECT_EQ(a.Max(), 100);
}

TEST(LatencyHistogramTest, MergeRejectsCountOverflow) {
  HistogramSnapshot huge;
  huge.buckets = {{10, 10, std::numeric_limits<int64_t>::max() - 1}};
  huge.min = huge.max = 10;
  absl::StatusOr<LatencyHistogram> a = LatencyHistogram::FromSnapshot(huge);
  ASSERT_TRUE(a.ok()) << a.status();
  LatencyHistogram b;
  b.Record(10);
  b.Record(11);
  EXPECT_EQ(a->Merge(b).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(a->Count(), std::numeric_limits<int64_t>::max() - 1);
}

TEST(LatencyHistogramTest, ResetEmptiesButKeepsConfig) {
  LatencyHistogram h = MakeHistogram(2, 1000);
  h.Record(5);
  h.Record(5000);
  h.Record(-1);
  h.Reset();
  EXPECT_EQ(h.Count(), 0);
  EXPECT_EQ(h.OverflowCount(), 0);
  EXPECT_EQ(h.NegativeCount(), 0);
  EXPECT_TRUE(h.Buckets().empty());
  EXPECT_EQ(h.config(), (HistogramConfig{2, 1000}));
  h.Record(7);
  EXPECT_EQ(h.Min(), 7);
}

TEST(LatencyHistogramTest, BucketsListNonEmptyBucketsInOrderWithBounds) {
  LatencyHistogram h;
  h.Record(3000);  // Width-2 bucket [3000, 3001].
  h.Record(3001);
  h.Record(7);
  h.Record(1'000'000);  // Width-512 bucket.
  EXPECT_THAT(h.Buckets(),
              ElementsAre(HistogramBucket{7, 7, 1},
                          HistogramBucket{3000, 3001, 2},
                          HistogramBucket{999'936, 1'000'447, 1}));
}

TEST(LatencyHistogramTest, SnapshotRoundTripsExactly) {
  const std::vector<int64_t> values = LogUniformValues(10'000, 5);
  LatencyHistogram h;
  for (int64_t v : values) h.Record(v);
  h.Record(kOneHourNs + 1);
  absl::StatusOr<LatencyHistogram> copy =
      LatencyHistogram::FromSnapshot(h.Snapshot());
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->Buckets(), h.Buckets());
  EXPECT_EQ(copy->Min(), h.Min());
  EXPECT_EQ(copy->Max(), h.Max());
  EXPECT_EQ(copy->Count(), h.Count());
  EXPECT_EQ(copy->OverflowCount(), 1);
  EXPECT_EQ(copy->ValueAtPercentile(99.9), h.ValueAtPercentile(99.9));
}

TEST(LatencyHistogramTest, FromSnapshotRejectsBucketsOfAnotherLayout) {
  HistogramSnapshot s;
  s.min = s.max = 3000;
  s.buckets = {{3000, 3000, 1}};  // With 3 digits, 3000 shares [3000, 3001].
  absl::StatusOr<LatencyHistogram> h = LatencyHistogram::FromSnapshot(s);
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(h.status().message(), HasSubstr("not a bucket"));
  EXPECT_THAT(h.status().message(), HasSubstr("[3000, 3001]"));
}

TEST(LatencyHistogramTest, JsonHasTheDocumentedCompactForm) {
  LatencyHistogram h;
  for (int i = 0; i < 3; ++i) h.Record(1000);
  for (int i = 0; i < 2; ++i) h.Record(2300);
  EXPECT_EQ(h.ToJson(), nlohmann::json::parse(R"({
      "significant_digits": 3, "highest_trackable_value": 3600000000000,
      "count": 5, "min": 1000, "max": 2300, "overflow": 0, "negative": 0,
      "buckets": [[1000, 3], [2300, 2]]})"));
  EXPECT_EQ(LatencyHistogram().ToJson(), nlohmann::json::parse(R"({
      "significant_digits": 3, "highest_trackable_value": 3600000000000,
      "count": 0, "overflow": 0, "negative": 0, "buckets": []})"));
}

TEST(LatencyHistogramTest, JsonRoundTripsThroughText) {
  const std::vector<int64_t> values = LogUniformValues(20'000, 11);
  LatencyHistogram h = MakeHistogram(2, 5'000'000'000);
  for (int64_t v : values) h.Record(v);
  h.Record(-20);
  const std::string text = h.ToJson().dump();
  absl::StatusOr<LatencyHistogram> parsed =
      LatencyHistogram::FromJson(nlohmann::json::parse(text));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->config(), h.config());
  EXPECT_EQ(parsed->Buckets(), h.Buckets());
  EXPECT_EQ(parsed->Min(), h.Min());
  EXPECT_EQ(parsed->Max(), h.Max());
  EXPECT_EQ(parsed->OverflowCount(), h.OverflowCount());
  EXPECT_EQ(parsed->NegativeCount(), 1);
  EXPECT_EQ(parsed->ToJson(), h.ToJson());
}

TEST(LatencyHistogramTest, HistogramsFromJsonFilesMergeLikeLiveOnes) {
  // What `mailshake report` does with result files from two machines.
  LatencyHistogram a;
  LatencyHistogram b;
  LatencyHistogram both;
  for (int64_t v : LogUniformValues(5000, 1)) {
    a.Record(v);
    both.Record(v);
  }
  for (int64_t v : LogUniformValues(5000, 2)) {
    b.Record(v);
    both.Record(v);
  }
  absl::StatusOr<LatencyHistogram> from_a =
      LatencyHistogram::FromJson(nlohmann::json::parse(a.ToJson().dump()));
  absl::StatusOr<LatencyHistogram> from_b =
      LatencyHistogram::FromJson(nlohmann::json::parse(b.ToJson().dump()));
  ASSERT_TRUE(from_a.ok() && from_b.ok());
  ASSERT_TRUE(from_a->Merge(*from_b).ok());
  EXPECT_EQ(from_a->ToJson(), both.ToJson());
}

struct BadJsonCase {
  const char* name;
  const char* json;
  const char* message;
};

class LatencyHistogramBadJsonTest
    : public ::testing::TestWithParam<BadJsonCase> {};

TEST_P(LatencyHistogramBadJsonTest, IsRejectedWithAMessageNamingTheProblem) {
  const BadJsonCase& c = GetParam();
  absl::StatusOr<LatencyHistogram> h =
      LatencyHistogram::FromJson(nlohmann::json::parse(c.json));
  ASSERT_FALSE(h.ok()) << c.name;
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
  EXPECT_THAT(h.status().message(), HasSubstr(c.message)) << c.name;
}

// A valid document is
//   {"significant_digits":3,"highest_trackable_value":1000000,"count":3,
//    "min":10,"max":3001,"overflow":0,"negative":0,
//    "buckets":[[10,1],[3000,2]]}
// and each case below breaks one thing.
INSTANTIATE_TEST_SUITE_P(
    Cases, LatencyHistogramBadJsonTest,
    ::testing::Values(
        BadJsonCase{"not an object", "[1, 2]", "expected a JSON object"},
        BadJsonCase{"missing digits",
                    R"({"highest_trackable_value":1000000,"count":0,
                        "overflow":0,"negative":0,"buckets":[]})",
                    "missing field \"significant_digits\""},
        BadJsonCase{"digits out of range",
                    R"({"significant_digits":6,"highest_trackable_value":1000000,
                        "count":0,"overflow":0,"negative":0,"buckets":[]})",
                    "significant_digits is 6"},
        BadJsonCase{"huge digits",
                    R"({"significant_digits":4294967297,
                        "highest_trackable_value":1000000,
                        "count":0,"overflow":0,"negative":0,"buckets":[]})",
                    "significant_digits"},
        BadJsonCase{"highest too small",
                    R"({"significant_digits":3,"highest_trackable_value":1,
                        "count":0,"overflow":0,"negative":0,"buckets":[]})",
                    "highest_trackable_value is 1"},
        BadJsonCase{"digits as string",
                    R"({"significant_digits":"3","highest_trackable_value":1000000,
                        "count":0,"overflow":0,"negative":0,"buckets":[]})",
                    "must be a non-negative integer, found string"},
        BadJsonCase{"count as float",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":3.0,"min":10,"max":3001,"overflow":0,"negative":0,
                        "buckets":[[10,1],[3000,2]]})",
                    "found a floating-point number"},
        BadJsonCase{"negative overflow",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":0,"overflow":-1,"negative":0,"buckets":[]})",
                    "\"overflow\" is -1"},
        BadJsonCase{"count beyond int64",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":18446744073709551615,"overflow":0,"negative":0,
                        "buckets":[]})",
                    "beyond the largest 64-bit signed integer"},
        BadJsonCase{"buckets not an array",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":0,"overflow":0,"negative":0,"buckets":{}})",
                    "\"buckets\" must be an array"},
        BadJsonCase{"bucket not a pair",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":3,"min":10,"max":3001,"overflow":0,"negative":0,
                        "buckets":[[10,1,5],[3000,2]]})",
                    "buckets[0] must be a [lowest value, count] pair"},
        BadJsonCase{"count disagrees with buckets",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":4,"min":10,"max":3001,"overflow":0,"negative":0,
                        "buckets":[[10,1],[3000,2]]})",
                    "\"count\" is 4 but the buckets hold 3"},
        BadJsonCase{"bucket not on a boundary",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":3,"min":10,"max":3001,"overflow":0,"negative":0,
                        "buckets":[[10,1],[3001,2]]})",
                    "not a bucket of a histogram with 3 significant digits"},
        BadJsonCase{"bucket above the range",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":1,"min":2000000,"max":2000000,"overflow":0,
                        "negative":0,"buckets":[[2000000,1]]})",
                    "outside the trackable range"},
        BadJsonCase{"empty bucket",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":2,"min":10,"max":3001,"overflow":0,"negative":0,
                        "buckets":[[10,0],[3000,2]]})",
                    "listed buckets must have a positive count"},
        BadJsonCase{"descending buckets",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":3,"min":10,"max":3001,"overflow":0,"negative":0,
                        "buckets":[[3000,2],[10,1]]})",
                    "ascending order"},
        BadJsonCase{"repeated bucket",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":3,"min":10,"max":10,"overflow":0,"negative":0,
                        "buckets":[[10,1],[10,2]]})",
                    "ascending order"},
        BadJsonCase{"counts overflow",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":0,"min":10,"max":11,"overflow":0,"negative":0,
                        "buckets":[[10,9223372036854775807],
                                   [11,9223372036854775807]]})",
                    "more than a 64-bit count"},
        BadJsonCase{"missing min",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":3,"max":3001,"overflow":0,"negative":0,
                        "buckets":[[10,1],[3000,2]]})",
                    "missing field \"min\""},
        BadJsonCase{"min outside first bucket",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":3,"min":9,"max":3001,"overflow":0,"negative":0,
                        "buckets":[[10,1],[3000,2]]})",
                    "min 9 is not in its first bucket [10, 10]"},
        BadJsonCase{"max outside last bucket",
                    R"({"significant_digits":3,"highest_trackable_value":1000000,
                        "count":3,"min":10,"max":3002,"overflow":0,"negative":0,
                        "buckets":[[10,1],[3000,2]]})",
                    "max 3002 is not in its last bucket [3000, 3001]"}),
    [](const ::testing::TestParamInfo<BadJsonCase>& info) {
      std::string name = info.param.name;
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace stats
}  // namespace mailshake
