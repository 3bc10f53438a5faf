// The probe page: the verdict first, every policy and finding, the two
// charts with their data, and nothing from the server as markup.

#include "src/html/probe_page.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/probe/policy.h"
#include "src/wire/catalog.h"

namespace mailshake::html {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEvil[] = "</script><img src=x onerror=alert(1)>";

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

probe::Outputs Sample() {
  probe::Outputs o;
  o.tool_version = "0.1.0";
  o.report.target = "smtp://mx.example:25";
  o.report.host = "mx.example";
  o.report.smtp.banner_code = 220;
  o.report.smtp.banner_text = kEvil;
  o.report.scan_status = "ok";
  wire::ScanResult scan;
  wire::SuiteFinding s12;
  s12.version = wire::kTls12;
  s12.accepted = {0xc02f, 0xc027, 0x002f};  // sufficient, phase-out, insufficient
  s12.complete = true;
  wire::SuiteFinding s13;
  s13.version = wire::kTls13;
  s13.accepted = {0x1302};  // good
  s13.complete = true;
  scan.suites = {s12, s13};
  o.report.scan = scan;
  probe::Finding f;
  f.id = "smtp.banner";
  f.severity = probe::Severity::kOk;
  f.title = absl::StrCat("banner 220 ", kEvil);
  f.evidence = {absl::StrCat("S: 220 ", kEvil)};
  o.findings.push_back(f);
  f.id = "tls.suites[TLSv1.2]";
  f.severity = probe::Severity::kProblem;
  f.title = "static RSA";
  f.evidence = {};
  o.findings.push_back(f);
  probe::PolicyResult p;
  p.name = "ncsc-nl-2025-05";
  p.version = "2025-05";
  p.verdict = probe::Verdict::kFail;
  probe::Check c;
  c.id = "suites";
  c.title = "cipher suites: worst is insufficient";
  c.verdict = probe::Verdict::kFail;
  c.level = probe::Level::kInsufficient;
  c.evidence = {"TLSv1.2 TLS_RSA_WITH_AES_128_CBC_SHA: insufficient"};
  p.checks.push_back(c);
  o.policies.push_back(p);
  return o;
}

TEST(ProbePageTest, VerdictPoliciesChartsAndFindings) {
  const std::string page = RenderProbePage(Sample());
  EXPECT_THAT(page, HasSubstr("<span class=\"verdict fail\">FAIL</span> under ncsc-nl-2025-05"));
  EXPECT_LT(page.find("verdict fail"), page.find("<section id=\"policies\">"));
  EXPECT_THAT(page, HasSubstr("TLS_RSA_WITH_AES_128_CBC_SHA: insufficient"));
  EXPECT_EQ(Count(page, "<svg class=\"chart\""), 2u);
  // The TLS 1.2 bar has one segment per level present; TLS 1.3 one good one.
  EXPECT_EQ(Count(page, "class=\"lv-sufficient\""), 1u);
  EXPECT_EQ(Count(page, "class=\"lv-phase-out\""), 1u);
  EXPECT_GE(Count(page, "class=\"lv-insufficient\""), 1u);  // and the problem finding's bar
  EXPECT_THAT(page, HasSubstr("TLS_AES_256_GCM_SHA384"));
  EXPECT_THAT(page, HasSubstr("<td class=\"sev-problem\">problem</td><td>tls.suites[TLSv1.2]"));
  EXPECT_THAT(page, HasSubstr("<pre id=\"page-errors\" hidden></pre>"));
}

TEST(ProbePageTest, ServerTextNeverBecomesMarkup) {
  const std::string page = RenderProbePage(Sample());
  EXPECT_THAT(page, Not(HasSubstr("<img")));
  EXPECT_EQ(Count(page, "<script"), 1u);
  EXPECT_THAT(page, HasSubstr("&lt;img src=x onerror=alert(1)&gt;"));
}

TEST(ProbePageTest, WithoutAScanTheSuiteChartSaysSo) {
  probe::Outputs o = Sample();
  o.report.scan.reset();
  o.report.scan_status = "skipped: --no-scan";
  const std::string page = RenderProbePage(o);
  EXPECT_EQ(Count(page, "<svg class=\"chart\""), 1u);
  EXPECT_THAT(page, HasSubstr("No cipher suites were scanned (skipped: --no-scan)."));
}

}  // namespace
}  // namespace mailshake::html
