#include <cstdint>
#include <limits>
#include <string>
#include <utility>

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

TEST(CounterMapTest, CountsByKey) {
  CounterMap counters;
  counters.Increment("TLS_AES_128_GCM_SHA256");
  counters.Increment("TLS_AES_128_GCM_SHA256");
  counters.Increment("TLS_CHACHA20_POLY1305_SHA256");
  EXPECT_EQ(counters.Get("TLS_AES_128_GCM_SHA256"), 2);
  EXPECT_EQ(counters.Get("TLS_CHACHA20_POLY1305_SHA256"), 1);
  EXPECT_EQ(counters.Get("never seen"), 0);
  EXPECT_EQ(counters.Total(), 3);
  EXPECT_EQ(counters.size(), 2u);
}

TEST(CounterMapTest, AddRejectsNegativeAndOverflowingCounts) {
  CounterMap counters;
  ASSERT_TRUE(counters.Add("timeout", 5).ok());
  absl::Status status = counters.Add("timeout", -1);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("negative count"));
  status = counters.Add("reset", std::numeric_limits<int64_t>::max());
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(counters.Get("timeout"), 5);
  EXPECT_EQ(counters.Get("reset"), 0);
  EXPECT_EQ(counters.Total(), 5);
}

TEST(CounterMapTest, MergeAddsCountsAndUnitesKeys) {
  CounterMap a;
  CounterMap b;
  a.Increment("x25519");
  b.Increment("x25519");
  b.Increment("P-256");
  ASSERT_TRUE(a.Merge(b).ok());
  EXPECT_EQ(a.Get("x25519"), 2);
  EXPECT_EQ(a.Get("P-256"), 1);
  EXPECT_EQ(a.Total(), 3);
}

TEST(CounterMapTest, MergeRejectsOverflowAndChangesNothing) {
  CounterMap a;
  ASSERT_TRUE(a.Add("k", std::numeric_limits<int64_t>::max() - 1).ok());
  CounterMap b;
  b.Increment("k");
  b.Increment("other");
  EXPECT_EQ(a.Merge(b).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(a.Get("k"), std::numeric_limits<int64_t>::max() - 1);
  EXPECT_EQ(a.Get("other"), 0);
}

TEST(CounterMapTest, SortedByCountIsDescendingThenByKey) {
  CounterMap counters;
  ASSERT_TRUE(counters.Add("b", 2).ok());
  ASSERT_TRUE(counters.Add("a", 2).ok());
  ASSERT_TRUE(counters.Add("c", 9).ok());
  counters.Increment("d");
  EXPECT_THAT(counters.SortedByCount(),
              ElementsAre(Pair("c", 9), Pair("a", 2), Pair("b", 2),
                          Pair("d", 1)));
}

TEST(CounterMapTest, JsonRoundTrips) {
  CounterMap counters;
  counters.Increment("tls_alert:handshake_failure");
  ASSERT_TRUE(counters.Add("timeout:banner", 41).ok());
  ASSERT_TRUE(counters.Add("", 0).ok());  // Odd keys survive too.
  const nlohmann::json json = counters.ToJson();
  EXPECT_EQ(json, nlohmann::json::parse(
                      R"({"": 0, "timeout:banner": 41,
                          "tls_alert:handshake_failure": 1})"));
  absl::StatusOr<CounterMap> parsed =
      CounterMap::FromJson(nlohmann::json::parse(json.dump()));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ToJson(), json);
  EXPECT_EQ(parsed->Total(), 42);
}

TEST(CounterMapTest, FromJsonRejectsWhatIsNotACount) {
  for (const char* bad :
       {R"([])", R"({"a": -1})", R"({"a": 1.5})", R"({"a": "3"})",
        R"({"a": null})", R"({"a": 9223372036854775807, "b": 1})",
        R"({"a": 18446744073709551615})"}) {
    absl::StatusOr<CounterMap> parsed =
        CounterMap::FromJson(nlohmann::json::parse(bad));
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(parsed.status().message(), HasSubstr("counters")) << bad;
  }
}

}  // namespace
}  // namespace stats
}  // namespace mailshake
