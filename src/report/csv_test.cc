#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/report/report.h"
#include "src/report/test_util.h"

namespace mailshake {
namespace report {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Lines(const std::string& csv) {
  std::vector<std::string> lines = absl::StrSplit(csv, "\r\n");
  EXPECT_EQ(lines.back(), "");  // Every line ends with CRLF.
  lines.pop_back();
  return lines;
}

TEST(CsvTest, HeaderThenOneRowPerScenarioSecond) {
  testing::ScenarioRecorder recorder("TLSv1.3 X25519", 2, 0);
  const std::vector<int64_t> fast = {1, 1, 1, 1, 1, 1, 1'500'000};
  const std::vector<int64_t> slow = {1, 1, 1, 1, 1, 1, 1'999'000};
  for (int i = 0; i < 99; ++i) recorder.Success(1'700'000'000, fast, {});
  recorder.Success(1'700'000'000, slow, {});
  recorder.Failure(1'700'000'000, "reset");
  recorder.Failure(1'700'000'002, "timeout:tls");
  Result result;
  result.scenarios.push_back(recorder.scenario());

  // The series keeps one significant digit: the 99 values of 1.5 ms share a
  // bucket, whose upper bound is p50, p90 and p99 alike; max is exact.
  const stats::LatencyHistogram& h =
      result.scenarios[0].series.seconds().begin()->second.latency;
  const int64_t p50 = h.ValueAtPercentile(50);
  ASSERT_EQ(h.ValueAtPercentile(99), p50);
  ASSERT_EQ(h.Max(), 1'999'000);
  const std::string p50_us =
      absl::StrCat(p50 / 1000, ".", absl::StrFormat("%03d", p50 % 1000));

  EXPECT_THAT(
      Lines(FormatCsv(result)),
      ElementsAre("scenario,trial,unix_second,successes,failures,p50_us,p90_us,"
                  "p99_us,max_us",
                  absl::StrCat("TLSv1.3 X25519,2,1700000000,100,1,", p50_us,
                               ",", p50_us, ",", p50_us, ",1999.000"),
                  "TLSv1.3 X25519,2,1700000002,0,1,,,,"));
}

TEST(CsvTest, QuotesNamesWithCommasAndQuotes) {
  testing::ScenarioRecorder recorder("a,b \"c\"", 0, 0);
  recorder.Failure(5, "reset");
  Result result;
  result.scenarios.push_back(recorder.scenario());
  EXPECT_THAT(
      Lines(FormatCsv(result)),
      ElementsAre(std::string(kCsvHeader), "\"a,b \"\"c\"\"\",0,5,0,1,,,,"));
}

TEST(CsvTest, ListsScenariosInOrderWithAllTheirSeconds) {
  const Result result = testing::SyntheticResult();
  const std::vector<std::string> lines = Lines(FormatCsv(result));
  size_t expected_rows = 0;
  for (const Scenario& s : result.scenarios) {
    expected_rows += s.series.seconds().size();
  }
  ASSERT_EQ(lines.size(), 1 + expected_rows);
  EXPECT_EQ(lines[1].rfind(result.scenarios[0].name + ",0,", 0), 0u);
  EXPECT_EQ(lines.back().rfind(result.scenarios[1].name + ",1,", 0), 0u);
  int64_t successes = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cells = absl::StrSplit(lines[i], ',');
    ASSERT_EQ(cells.size(), 9u) << lines[i];
    successes += std::stoll(cells[3]);
  }
  EXPECT_EQ(successes,
            result.scenarios[0].succeeded + result.scenarios[1].succeeded);
}

TEST(CsvTest, WriteCsvFileWritesTheSameText) {
  const Result result = testing::SyntheticResult();
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(dir != nullptr ? dir : "/tmp", "/series.csv");
  ASSERT_TRUE(WriteCsvFile(result, path).ok());
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  EXPECT_EQ(contents.str(), FormatCsv(result));
}

}  // namespace
}  // namespace report
}  // namespace mailshake
