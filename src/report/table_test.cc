#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/report/report.h"
#include "src/report/test_util.h"

namespace mailshake {
namespace report {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n');
}

// Row returns the whitespace-separated cells of the first line that starts
// with |indent| + |first_cell| + a space, or nothing.
std::vector<std::string> Row(const std::string& table,
                             absl::string_view first_cell) {
  for (const std::string& line : Lines(table)) {
    if (absl::StartsWith(line, absl::StrCat("  ", first_cell, " "))) {
      return absl::StrSplit(line, ' ', absl::SkipEmpty());
    }
  }
  return {};
}

class TableTest : public ::testing::Test {
 protected:
  TableTest() {
    testing::ScenarioRecorder recorder("TLSv1.3 X25519 full", 1, 0);
    // connect: 51.2 us; banner: 99.96 us (rounds up to 0.100 ms); total: 97
    // at 1 ms, 2 at 37.2 ms, 1 at 50 ms, so p99 is 37.2 ms.
    for (int i = 0; i < 100; ++i) {
      const int64_t total =
          i < 97 ? 1'000'000 : (i < 99 ? 37'200'000 : 50'000'000);
      recorder.Success(
          1'700'000'000, {51'200, 99'960, 1, 1, 1, 1, total},
          {{"versions", "TLSv1.3"}, {"groups", i < 75 ? "X25519" : "P-256"}});
    }
    recorder.Failure(1'700'000'000, "timeout:tls");
    recorder.Failure(1'700'000'000, "timeout:tls");
    recorder.Failure(1'700'000'001, "connect_refused");
    Scenario s = recorder.scenario();
    s.measured_seconds = 2.0;
    s.client_cpu_seconds = 0.04;
    result_.environment.tool_version = "0.1.0";
    result_.environment.boringssl_api_version = 17;
    result_.target = "smtp://127.0.0.1:2525";
    result_.scenarios.push_back(std::move(s));
  }

  Result result_;
};

TEST_F(TableTest, ShowsCountsRatesAndCpuEfficiency) {
  const std::string table = FormatTable(result_);
  EXPECT_THAT(table, HasSubstr("TLSv1.3 X25519 full (trial 1)"));
  EXPECT_THAT(table, HasSubstr("103 = succeeded 100 + failed 3"));
  EXPECT_THAT(table, HasSubstr("50.0 handshakes/s over 2.00 s"));
  EXPECT_THAT(table, HasSubstr("2500 handshakes per CPU-second"));
  EXPECT_THAT(table, HasSubstr("smtp://127.0.0.1:2525"));
  EXPECT_THAT(table, HasSubstr("BoringSSL API 17"));
  EXPECT_THAT(table, ::testing::Not(HasSubstr("open loop")));
}

TEST_F(TableTest, ShowsPhasePercentilesInMillisecondsToThreeDigits) {
  const std::string table = FormatTable(result_);
  EXPECT_THAT(Row(table, "phase"),
              ElementsAre("phase", "count", "p50", "ms", "p90", "ms", "p99",
                          "ms", "p99.9", "ms", "max", "ms"));
  EXPECT_THAT(Row(table, "total"), ElementsAre("total", "100", "1.00", "1.00",
                                               "37.2", "50.0", "50.0"));
  EXPECT_THAT(Row(table, "connect"),
              ElementsAre("connect", "100", "0.0512", "0.0512", "0.0512",
                          "0.0512", "0.0512"));
  EXPECT_THAT(Row(table, "banner"),
              ElementsAre("banner", "100", "0.100", "0.100", "0.100", "0.100",
                          "0.100"));
}

TEST_F(TableTest, AlignsNumericColumnsOnTheRight) {
  const std::string table = FormatTable(result_);
  size_t width = 0;
  for (const std::string& line : Lines(table)) {
    if (absl::StartsWith(line, "  phase ")) width = line.size();
  }
  ASSERT_GT(width, 0u);
  for (const char* phase :
       {"connect", "banner", "ehlo", "starttls", "tls", "post_tls", "total"}) {
    for (const std::string& line : Lines(table)) {
      if (absl::StartsWith(line, absl::StrCat("  ", phase, " "))) {
        EXPECT_EQ(line.size(), width) << line;
      }
    }
  }
}

TEST_F(TableTest, ListsFailuresByDescendingCountAndNegotiatedFacts) {
  const std::string table = FormatTable(result_);
  const size_t timeout = table.find("timeout:tls");
  const size_t refused = table.find("connect_refused");
  ASSERT_NE(timeout, std::string::npos);
  ASSERT_NE(refused, std::string::npos);
  EXPECT_LT(timeout, refused);
  EXPECT_THAT(Row(table, "timeout:tls"),
              ElementsAre("timeout:tls", "2", "1.9%"));
  EXPECT_THAT(Row(table, "groups"),
              ElementsAre("groups", "X25519", "75", "75.0%"));
  EXPECT_THAT(table, HasSubstr("P-256"));
  EXPECT_THAT(Row(table, "versions"),
              ElementsAre("versions", "TLSv1.3", "100", "100.0%"));
  EXPECT_THAT(table, ::testing::Not(HasSubstr("\n  ok ")));
}

TEST_F(TableTest, OpenLoopShowsTargetAchievedRateAndScheduleLag) {
  Result result = testing::SyntheticResult();
  const Scenario& open = result.scenarios[1];
  const std::string table = FormatTable(result);
  EXPECT_THAT(table, HasSubstr("target 200 attempts/s, achieved 200/s"));
  EXPECT_THAT(table, HasSubstr("schedule lag"));
  EXPECT_THAT(table, HasSubstr("[interrupted]"));
  EXPECT_THAT(table, HasSubstr(absl::StrCat(open.server->handshakes,
                                            " handshakes (0 resumed)")));
  EXPECT_THAT(table, HasSubstr("366 us CPU per handshake"));
}

TEST_F(TableTest, NamesAPhaseThatSitsAtTheDelayedAckTime) {
  EXPECT_EQ(FormatTable(result_).find("delayed ACK"), std::string::npos);
  testing::ScenarioRecorder recorder("TLSv1.3 X25519 full", 1, 0);
  for (int i = 0; i < 50; ++i) {
    recorder.Success(1'700'000'000, {51'200, 43'100'000, 1, 1, 900'000, 1, 44'100'000}, {});
  }
  result_.scenarios[0] = recorder.scenario();
  result_.scenarios[0].measured_seconds = 1;
  const std::string table = FormatTable(result_);
  EXPECT_NE(table.find("note: phase banner sits at ~43.1 ms, the signature of a delayed ACK"),
            std::string::npos)
      << table;
  EXPECT_EQ(table.find("note: phase total"), std::string::npos) << table;
  EXPECT_EQ(table.find("note: phase tls"), std::string::npos) << table;
  // Spread over tens of milliseconds (a loaded machine), with a median
  // that happens to fall in the band: no note.
  testing::ScenarioRecorder spread("TLSv1.3 X25519 full", 1, 0);
  for (int i = 0; i < 50; ++i) {
    spread.Success(1'700'000'000, {51'200, 5'000'000 + i * 1'600'000, 1, 1, 1, 1, 90'000'000},
                   {});
  }
  result_.scenarios[0] = spread.scenario();
  result_.scenarios[0].measured_seconds = 1;
  EXPECT_EQ(FormatTable(result_).find("delayed ACK"), std::string::npos);
}

TEST_F(TableTest, EmptyPhasesShowDashes) {
  const std::string table = FormatTable(result_);
  EXPECT_THAT(Row(table, "starttls"),
              ElementsAre("starttls", "100", "0.00000100", "0.00000100",
                          "0.00000100", "0.00000100", "0.00000100"));
  result_.scenarios[0] = testing::RandomScenario("none", 0, 0, 0, 1);
  EXPECT_THAT(Row(FormatTable(result_), "total"),
              ElementsAre("total", "0", "-", "-", "-", "-", "-"));
}

}  // namespace
}  // namespace report
}  // namespace mailshake
