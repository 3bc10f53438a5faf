#include <openssl/sha.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/html/html.h"
#include "src/report/report.h"
#include "src/report/test_util.h"

namespace mailshake {
namespace html {
namespace {

using report::testing::RandomScenario;
using report::testing::ScenarioRecorder;
using report::testing::SuiteTrial;
using report::testing::SyntheticResult;

constexpr char kHostile[] = "</script><img src=x onerror=alert(1)>\"'&";

size_t Occurrences(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// Between returns the text after the first |open| up to the next |close|.
std::string Between(const std::string& text, const std::string& open, const std::string& close) {
  const size_t a = text.find(open);
  if (a == std::string::npos) return "";
  const size_t b = text.find(close, a + open.size());
  if (b == std::string::npos) return "";
  return text.substr(a + open.size(), b - a - open.size());
}

std::string Sha256Source(const std::string& text) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(text.data()), text.size(), digest);
  return absl::StrCat("'sha256-",
                      absl::Base64Escape(absl::string_view(reinterpret_cast<char*>(digest), 32)),
                      "'");
}

report::Result HostileResult() {
  report::Result result = SyntheticResult();
  result.target = kHostile;
  result.environment.cpu_model = kHostile;
  result.environment.hostname = kHostile;
  result.spec["note"] = kHostile;
  ScenarioRecorder rec(kHostile, 0, 0);
  rec.Success(1'700'000'000, {1000, 2000, 3000, 4000, 5000, 6000, 21000},
              {{kHostile, kHostile}});
  rec.Failure(1'700'000'001, kHostile);
  rec.scenario().parameters[kHostile] = kHostile;
  rec.scenario().measured_seconds = 2;
  rec.scenario().phases[0].name = kHostile;
  result.scenarios.push_back(rec.scenario());
  return result;
}

TEST(RenderReportTest, HostileStringsNeverBecomeMarkup) {
  const std::string page = RenderReport({{kHostile, HostileResult()}});
  EXPECT_EQ(Occurrences(page, "<script"), 1u);
  EXPECT_EQ(Occurrences(page, "</script>"), 1u);
  EXPECT_EQ(Occurrences(page, "<img"), 0u);
  EXPECT_EQ(Occurrences(page, "\"'&\""), 0u);
  // The hostile text is there, as text.
  EXPECT_TRUE(absl::StrContains(page, "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"));
}

TEST(RenderReportTest, PolicyForbidsTheNetworkAndAllowsOnlyItsOwnScriptAndStyle) {
  const std::string page = RenderReport({{"run", SyntheticResult()}});
  const std::string csp = Between(page, "http-equiv=\"Content-Security-Policy\" content=\"", "\"");
  ASSERT_FALSE(csp.empty());
  EXPECT_TRUE(absl::StrContains(csp, "default-src 'none'"));
  EXPECT_TRUE(absl::StrContains(csp, "connect-src 'none'"));
  const std::string script = Between(page, "<script>", "</script>");
  const std::string style = Between(page, "<style>", "</style>");
  ASSERT_FALSE(script.empty());
  ASSERT_FALSE(style.empty());
  EXPECT_TRUE(absl::StrContains(csp, absl::StrCat("script-src ", Sha256Source(script), ";")));
  EXPECT_TRUE(absl::StrContains(csp, absl::StrCat("style-src ", Sha256Source(style), ";")));
  // Nothing refers to anything outside the page (the SVG namespace is a
  // name, not a request).
  std::string rest = page;
  for (size_t at; (at = rest.find("xmlns=\"http://www.w3.org/2000/svg\"")) != std::string::npos;) {
    rest.erase(at, 34);
  }
  EXPECT_FALSE(absl::StrContains(rest, "http:"));
  EXPECT_FALSE(absl::StrContains(rest, "https:"));
  EXPECT_FALSE(absl::StrContains(rest, " src="));
  EXPECT_FALSE(absl::StrContains(rest, "url("));
  EXPECT_FALSE(absl::StrContains(rest, "@import"));
}

TEST(RenderReportTest, OverlaysRunsInTheSpectrumAndShowsTheTargetLine) {
  report::Result a = SyntheticResult();
  report::Result b = SyntheticResult();
  const std::string page = RenderReport({{"before", a}, {"after", b}});
  const std::string latency = Between(page, "<section id=\"latency\">", "</section>");
  // Seven phases; each overlays the four series (two scenarios × two runs).
  EXPECT_EQ(Occurrences(latency, "<svg class=\"chart\""), 7u);
  EXPECT_EQ(Occurrences(latency, "<polyline class=\"line s0\""), 7u);
  EXPECT_EQ(Occurrences(latency, "<polyline class=\"line s3\""), 7u);
  EXPECT_TRUE(absl::StrContains(latency, "before: TLSv1.3 X25519 ecdsa_secp256r1_sha256 full"));
  EXPECT_TRUE(absl::StrContains(latency, "<th>percentile</th>"));
  EXPECT_TRUE(absl::StrContains(latency, "<td>p99.9</td>"));
  const std::string throughput = Between(page, "<section id=\"throughput\">", "</section>");
  EXPECT_EQ(Occurrences(throughput, "<polyline class=\"target\""), 2u);  // one open-loop scenario per run
  EXPECT_GT(Occurrences(throughput, "<rect class=\"ok\""), 0u);
  EXPECT_GT(Occurrences(throughput, "<rect class=\"fail\""), 0u);
  for (const char* id : {"percentiles", "outcomes", "negotiated"}) {
    EXPECT_TRUE(absl::StrContains(page, absl::StrCat("<section id=\"", id, "\">"))) << id;
  }
}

TEST(RenderReportTest, SpectrumTableComesFromTheBuckets) {
  report::Result r = SyntheticResult();
  r.scenarios.resize(1);
  const stats::LatencyHistogram& total = r.scenarios[0].phases.back().latency;
  const std::string page = RenderReport({{"run", r}});
  const std::string section = Between(page, "<h3>total</h3>", "</table>");
  // p50 from the histogram: 3 significant digits in ms.
  const double p50_ms = static_cast<double>(total.ValueAtPercentile(50)) / 1e6;
  EXPECT_TRUE(absl::StrContains(section, absl::StrCat("<td class=\"num\">",
                                                      report::FormatSignificant(p50_ms), " ms")))
      << section;
}

TEST(RenderReportTest, EmptyAndFailedRunsSayNoData) {
  report::Result empty = SyntheticResult();
  empty.scenarios.clear();
  report::Result failed = SyntheticResult();
  failed.scenarios.clear();
  ScenarioRecorder rec("all failed", 0, 0);
  for (int i = 0; i < 5; ++i) rec.Failure(1'700'000'000 + i, "connect_refused");
  rec.scenario().measured_seconds = 5;
  failed.scenarios.push_back(rec.scenario());

  const std::string page_empty = RenderReport({{"empty", empty}});
  EXPECT_TRUE(absl::StrContains(page_empty, "class=\"nodata\""));
  EXPECT_EQ(Occurrences(page_empty, "<g class=\"marks\">"), 0u);

  const std::string page_failed = RenderReport({{"failed", failed}});
  const std::string latency = Between(page_failed, "<section id=\"latency\">", "</section>");
  EXPECT_TRUE(absl::StrContains(latency, "class=\"nodata\""));
  const std::string throughput = Between(page_failed, "<section id=\"throughput\">", "</section>");
  EXPECT_EQ(Occurrences(throughput, "<rect class=\"fail\""), 5u);
  EXPECT_EQ(Occurrences(throughput, "<rect class=\"ok\""), 0u);
  EXPECT_TRUE(absl::StrContains(page_failed, "connect_refused"));

  const std::string none = RenderReport({});
  EXPECT_TRUE(absl::StrContains(none, "No result file was given."));
}

// ---------------------------------------------------------------------------
// The matrix and compare views.

std::string Section(const std::string& page, const std::string& id) {
  const std::string open = absl::StrCat("<section id=\"", id, "\">");
  const size_t a = page.find(open);
  if (a == std::string::npos) return "";
  const size_t b = page.find("</section>", a);
  return page.substr(a, b - a);
}

report::Result LabResult() {
  report::Result r;
  r.environment.cpu_model = "AMD EPYC";
  r.environment.boringssl_api_version = 17;
  r.target = "smtp://127.0.0.1:25";
  r.spec = {{"concurrency", 64}, {"threads", 2}};
  return r;
}

void AddTrials(report::Result* r, const std::string& suite, const std::vector<double>& per_cpu) {
  for (size_t i = 0; i < per_cpu.size(); ++i) {
    r->scenarios.push_back(SuiteTrial(suite, static_cast<int>(i), per_cpu[i]));
  }
}

TEST(MatrixViewTest, RowsAreSortedByCostWithAWhiskerPerScenario) {
  report::Result r = LabResult();
  AddTrials(&r, "CHEAP", {3000, 3100, 2900, 3050, 2950});
  AddTrials(&r, "COSTLY", {1000, 1010, 990, 1005, 995});
  const std::string matrix = Section(RenderReport({{"m", r}}), "matrix");
  ASSERT_FALSE(matrix.empty());
  // Two charts drawn (client CPU and rate: no server, no phases), two rows each.
  EXPECT_EQ(Occurrences(matrix, "<svg class=\"chart\""), 2u);
  EXPECT_EQ(Occurrences(matrix, "<line class=\"whisker s0\""), 4u);
  EXPECT_EQ(Occurrences(matrix, "<circle class=\"s0\""), 4u);
  EXPECT_TRUE(absl::StrContains(matrix, "only the embedded server reports it"));
  // The costliest (fewest handshakes per client CPU-second) first, in the
  // chart and in its table.
  EXPECT_LT(matrix.find(">TLSv1.2 COSTLY<"), matrix.find(">TLSv1.2 CHEAP<"));
  EXPECT_LT(matrix.find("<td>TLSv1.2 COSTLY</td>"), matrix.find("<td>TLSv1.2 CHEAP</td>"));
  // Median and interval over the trials (five trials: the full range).
  EXPECT_TRUE(absl::StrContains(matrix, "<td class=\"num\">1000</td>"));
  EXPECT_TRUE(absl::StrContains(matrix, "<td class=\"num\">[990, 1010]</td>"));
}

TEST(MatrixViewTest, OneTrialOfOneScenarioHasNoMatrixView) {
  report::Result r = LabResult();
  AddTrials(&r, "ONLY", {3000});
  const std::string page = RenderReport({{"one", r}});
  EXPECT_FALSE(absl::StrContains(page, "<section id=\"matrix\">"));
  EXPECT_FALSE(absl::StrContains(page, "href=\"#matrix\""));
}

TEST(MatrixViewTest, OverlaysRunsInTheirColours) {
  report::Result a = LabResult(), b = LabResult();
  AddTrials(&a, "X", {3000, 3100, 2900});
  AddTrials(&b, "X", {2000, 2100, 1900});
  const std::string matrix = Section(RenderReport({{"a", a}, {"b", b}}), "matrix");
  EXPECT_EQ(Occurrences(matrix, "<circle class=\"s0\""), 2u);
  EXPECT_EQ(Occurrences(matrix, "<circle class=\"s1\""), 2u);
  EXPECT_TRUE(absl::StrContains(matrix, "<th>run</th>"));
}

TEST(CompareViewTest, DrawsWhatLabCompareDecided) {
  report::Result old_r = LabResult(), new_r = LabResult();
  AddTrials(&old_r, "S", {3000, 3010, 2990, 3005, 2995});
  AddTrials(&new_r, "S", {2700, 2710, 2690, 2705, 2695});
  const std::vector<html::Run> runs = {{"old", old_r}, {"new", new_r}};
  const CompareView view = CompareRuns(runs[0], runs[1]);
  ASSERT_TRUE(view.comparison.has_value()) << view.not_compared;
  ASSERT_EQ(view.comparison->regressions.size(), 1u);
  const std::string page = RenderReport(runs, view);
  const std::string compare = Section(page, "compare");
  ASSERT_FALSE(compare.empty());
  EXPECT_TRUE(absl::StrContains(page, "href=\"#compare\""));
  EXPECT_TRUE(absl::StrContains(compare, "1 regression</strong>"));
  EXPECT_TRUE(absl::StrContains(compare, "exits 1"));
  // Client CPU: a regression (red), -10% with its interval; the rate did not
  // move (grey).
  EXPECT_EQ(Occurrences(compare, "<circle class=\"worse\""), 1u);
  EXPECT_EQ(Occurrences(compare, "<line class=\"whisker worse\""), 1u);
  EXPECT_GE(Occurrences(compare, "<circle class=\"same\""), 1u);
  EXPECT_TRUE(absl::StrContains(compare, "<td class=\"num\">-10.00%</td>"));
  EXPECT_TRUE(absl::StrContains(compare, "<td class=\"num\">regression</td>"));
  EXPECT_TRUE(absl::StrContains(compare, "Holm"));
}

TEST(CompareViewTest, SaysWhyRunsAreNotCompared) {
  report::Result old_r = LabResult(), new_r = LabResult();
  AddTrials(&old_r, "S", {3000, 3010, 2990});
  AddTrials(&new_r, "S", {2700, 2710, 2690});
  new_r.target = "smtp://127.0.0.1:2525";
  const std::vector<html::Run> runs = {{"old", old_r}, {"new", new_r}};
  const CompareView view = CompareRuns(runs[0], runs[1]);
  EXPECT_FALSE(view.comparison.has_value());
  EXPECT_TRUE(absl::StrContains(view.not_compared, "target")) << view.not_compared;
  EXPECT_TRUE(absl::StrContains(view.not_compared, "--force")) << view.not_compared;
  const std::string compare = Section(RenderReport(runs, view), "compare");
  EXPECT_TRUE(absl::StrContains(compare, "class=\"nodata\""));
  EXPECT_EQ(Occurrences(compare, "<svg class=\"chart\""), 0u);
  // Without a view there is no compare section at all.
  EXPECT_FALSE(absl::StrContains(RenderReport(runs), "<section id=\"compare\">"));
}

}  // namespace
}  // namespace html
}  // namespace mailshake
