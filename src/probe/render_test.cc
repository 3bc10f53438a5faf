// The probe's outputs: SCHEMA.md matches what ToJson writes, both ways, and
// the terminal report puts the verdict first and never passes a server's
// control characters to the terminal.

#include "src/probe/render.h"

#include <openssl/x509.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/wire/catalog.h"

namespace mailshake::probe {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadSchema() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  const std::string path = srcdir == nullptr || workspace == nullptr
                               ? "src/probe/SCHEMA.md"
                               : absl::StrCat(srcdir, "/", workspace, "/src/probe/SCHEMA.md");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Tables returns, per "### object" (and "## Finding ids"), the first-column
// keys of its table.
std::map<std::string, std::set<std::string>> Tables(const std::string& doc) {
  std::map<std::string, std::set<std::string>> tables;
  std::string section;
  for (absl::string_view line : absl::StrSplit(doc, '\n')) {
    if (absl::ConsumePrefix(&line, "### ")) {
      section = std::string(line);
      continue;
    }
    if (absl::StartsWith(line, "## ")) {
      section = line == "## Finding ids" ? "finding ids" : "";
      continue;
    }
    if (section.empty() || !absl::ConsumePrefix(&line, "| `")) continue;
    const size_t end = line.find('`');
    if (end == absl::string_view::npos) continue;
    tables[section].insert(std::string(line.substr(0, end)));
  }
  return tables;
}

std::set<std::string> Keys(const nlohmann::json& object) {
  std::set<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.insert(it.key());
  return keys;
}

// A report with every section filled, including a scan that saw everything.
Outputs Everything() {
  Outputs o;
  o.tool_version = "test";
  ProbeReport& r = o.report;
  r.target = "smtp://mx.example.com:25";
  r.host = "mx.example.com";
  r.smtp.banner_code = 220;
  r.smtp.banner_text = "mx.example.com ESMTP \x1b[31mred";
  r.smtp.banner_delay = absl::Seconds(5);
  r.smtp.ehlo_ok = true;
  r.smtp.starttls_offered = true;
  r.smtp.starttls_code = 220;
  r.smtp.outcome = "protocol_violation:starttls_injection";
  r.smtp.mail_before_tls_outcome = "ok";
  r.smtp.mail_before_tls_code = 530;
  r.smtp.pipelining_correct = true;
  r.smtp.injection_vulnerable = true;
  r.smtp.injection_outcome = "ok";
  r.certificate.outcome = "ok";
  r.certificate.handshake.version = TLS1_3_VERSION;
  r.certificate.chain = {"der"};
  r.certificate.verify_error = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
  r.certificate.verify_error_text = "self signed certificate";
  r.certificate.resumed = true;
  x509::Summary s;
  s.key_type = "RSA";
  s.key_bits = 2048;
  s.signature_algorithm = "sha256WithRSAEncryption";
  r.certificate.summary = s;
  CertificateFacts::Name name;
  name.check.reference = "mx.example.com";
  r.certificate.names.push_back(name);
  wire::ScanResult scan;
  wire::VersionFinding v;
  v.version = wire::kTls10;
  v.accepted = wire::Tri::kYes;
  scan.versions.push_back(v);
  wire::SuiteFinding suites;
  suites.version = wire::kTls10;
  suites.accepted = {0x002f};
  scan.suites.push_back(suites);
  wire::GroupFinding groups;
  groups.version = wire::kTls10;
  groups.accepted = {23};
  scan.groups.push_back(groups);
  wire::SignatureFinding sigs;
  sigs.version = wire::kTls12;
  sigs.accepted = {0x0201};
  scan.signature_algorithms.push_back(sigs);
  scan.dh_p_bits = {1024};
  scan.compression.value = wire::Tri::kYes;
  scan.conditions = {0};
  wire::Exchange e;
  e.purpose = "versions";
  e.outcome = wire::Outcome::kReset;
  scan.exchanges.push_back(e);
  r.scan = scan;
  r.scan_status = "ok";
  r.renegotiation.outcome = "ok";
  r.renegotiation.accepted = true;
  o.findings = Findings(r);
  for (const std::string& name : PolicyNames()) {
    o.policies.push_back(*Judge(name, r, &*r.scan));
  }
  return o;
}

TEST(SchemaDocTest, DocumentsEveryKeyAndOnlyKeysThatExist) {
  const auto tables = Tables(ReadSchema());
  const Outputs o = Everything();
  const nlohmann::json j = ToJson(o);
  EXPECT_EQ(j["schema"], "mailshake.probe/v1");
  ASSERT_EQ(tables.count("document"), 1u);
  EXPECT_EQ(Keys(j), tables.at("document"));
  EXPECT_EQ(Keys(j["target"]), tables.at("target"));
  ASSERT_FALSE(j["findings"].empty());
  EXPECT_EQ(Keys(j["findings"][0]), tables.at("finding"));
  EXPECT_EQ(Keys(j["policies"][0]), tables.at("policy"));
  EXPECT_EQ(Keys(j["policies"][0]["checks"][0]), tables.at("check"));
}

TEST(SchemaDocTest, EveryFindingIdIsDocumented) {
  const std::set<std::string> documented = Tables(ReadSchema())["finding ids"];
  std::set<std::string> produced;
  for (const Finding& f : Everything().findings) {
    std::string id = f.id;
    const size_t open = id.find('[');
    if (open != std::string::npos) id = absl::StrCat(id.substr(0, open), "[X]");
    produced.insert(id);
    EXPECT_EQ(documented.count(id), 1u) << id << " is not in SCHEMA.md";
  }
  // Every documented id except the few this synthetic report cannot produce
  // at once shows up.
  for (const std::string& id : documented) {
    if (id == "tls.modern_version" || id == "smtp.starttls_response_injection") continue;
    EXPECT_EQ(produced.count(id), 1u) << id << " is documented but not produced";
  }
}

TEST(FormatTextTest, VerdictFirstAndNoControlCharactersFromTheServer) {
  const Outputs o = Everything();
  const std::string plain = FormatText(o, /*color=*/false);
  EXPECT_TRUE(absl::StartsWith(plain, "FAIL  smtp://mx.example.com:25 under exchange-online"))
      << plain;
  EXPECT_THAT(plain, Not(HasSubstr("\x1b")));
  EXPECT_THAT(plain, HasSubstr("SMTP"));
  EXPECT_THAT(plain, HasSubstr("Certificate"));
  EXPECT_THAT(plain, HasSubstr("[certificate-not-trusted]"));
  const std::string colored = FormatText(o, /*color=*/true);
  EXPECT_THAT(colored, HasSubstr("\x1b[1;31mFAIL\x1b[0m"));
  EXPECT_THAT(colored, Not(HasSubstr("\x1b[31mred")));
}

TEST(FormatTextTest, NotProbedSaysWhy) {
  Outputs o;
  o.report.target = "smtp://192.0.2.1:25";
  o.report.smtp.outcome = "connect_timeout";
  EXPECT_TRUE(absl::StartsWith(FormatText(o, false), "NOT PROBED  smtp://192.0.2.1:25: connect_timeout"));
  EXPECT_EQ(ToJson(o)["probed"], false);
}

}  // namespace
}  // namespace mailshake::probe
