// Policies against hand-made facts: the tables grade what they should, and
// each policy's verdict follows from the facts that matter to it.

#include "src/probe/policy.h"

#include <openssl/x509.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/wire/catalog.h"

namespace mailshake::probe {
namespace {

using ::testing::HasSubstr;

TEST(NcscTablesTest, GradesVersionsAs2025_05) {
  EXPECT_EQ(NcscVersionLevel(wire::kTls13), Level::kGood);
  EXPECT_EQ(NcscVersionLevel(wire::kTls12), Level::kSufficient);
  EXPECT_EQ(NcscVersionLevel(wire::kTls11), Level::kInsufficient);  // v2.1: phase-out
  EXPECT_EQ(NcscVersionLevel(wire::kTls10), Level::kInsufficient);  // v2.1: phase-out
  EXPECT_EQ(NcscVersionLevel(wire::kSsl3), Level::kInsufficient);
}

TEST(NcscTablesTest, GradesSuitesAs2025_05) {
  EXPECT_EQ(NcscSuiteLevel(0x1302), Level::kGood);          // TLS_AES_256_GCM_SHA384
  EXPECT_EQ(NcscSuiteLevel(0x1303), Level::kGood);          // TLS_CHACHA20_POLY1305_SHA256
  EXPECT_EQ(NcscSuiteLevel(0x1301), Level::kSufficient);    // TLS_AES_128_GCM_SHA256
  EXPECT_EQ(NcscSuiteLevel(0x1304), Level::kSufficient);    // TLS_AES_128_CCM_SHA256
  EXPECT_EQ(NcscSuiteLevel(0x1305), Level::kInsufficient);  // TLS_AES_128_CCM_8_SHA256
  EXPECT_EQ(NcscSuiteLevel(0xc02f), Level::kSufficient);    // ECDHE-RSA-AES128-GCM-SHA256
  EXPECT_EQ(NcscSuiteLevel(0xcca9), Level::kSufficient);    // ECDHE-ECDSA-CHACHA20-POLY1305
  EXPECT_EQ(NcscSuiteLevel(0xc0ac), Level::kSufficient);    // ECDHE-ECDSA-AES128-CCM
  EXPECT_EQ(NcscSuiteLevel(0xc0ae), Level::kInsufficient);  // ECDHE-ECDSA-AES128-CCM8
  EXPECT_EQ(NcscSuiteLevel(0xc027), Level::kPhaseOut);      // ECDHE-RSA-AES128-SHA256
  EXPECT_EQ(NcscSuiteLevel(0xc013), Level::kInsufficient);  // ECDHE-RSA-AES128-SHA (SHA-1 MAC)
  EXPECT_EQ(NcscSuiteLevel(0x009e), Level::kPhaseOut);      // DHE-RSA-AES128-GCM-SHA256
  EXPECT_EQ(NcscSuiteLevel(0xccaa), Level::kPhaseOut);      // DHE-RSA-CHACHA20-POLY1305
  EXPECT_EQ(NcscSuiteLevel(0x0067), Level::kPhaseOut);      // DHE-RSA-AES128-SHA256
  EXPECT_EQ(NcscSuiteLevel(0x0033), Level::kInsufficient);  // DHE-RSA-AES128-SHA
  EXPECT_EQ(NcscSuiteLevel(0x00a2), Level::kInsufficient);  // DHE-DSS-AES128-GCM-SHA256
  EXPECT_EQ(NcscSuiteLevel(0x002f), Level::kInsufficient);  // AES128-SHA (static RSA)
  EXPECT_EQ(NcscSuiteLevel(0x009d), Level::kInsufficient);  // AES256-GCM-SHA384 (static RSA)
  EXPECT_EQ(NcscSuiteLevel(0x000a), Level::kInsufficient);  // DES-CBC3-SHA
  EXPECT_EQ(NcscSuiteLevel(0xc012), Level::kInsufficient);  // ECDHE-RSA-DES-CBC3-SHA
  EXPECT_EQ(NcscSuiteLevel(0x0005), Level::kInsufficient);  // RC4-SHA
  EXPECT_EQ(NcscSuiteLevel(0x00a6), Level::kInsufficient);  // ADH-AES128-GCM-SHA256
  EXPECT_EQ(NcscSuiteLevel(0x0003), Level::kInsufficient);  // EXP-RC4-MD5
  EXPECT_EQ(NcscSuiteLevel(0x0002), Level::kInsufficient);  // NULL-SHA
  EXPECT_EQ(NcscSuiteLevel(0x0041), Level::kInsufficient);  // CAMELLIA128-SHA
  EXPECT_EQ(NcscSuiteLevel(0xfefe), Level::kInsufficient);  // not in the catalog
}

TEST(NcscTablesTest, GradesGroupsHashesAndDhSizesAs2025_05) {
  EXPECT_EQ(NcscGroupLevel(29), Level::kGood);          // x25519
  EXPECT_EQ(NcscGroupLevel(23), Level::kGood);          // secp256r1
  EXPECT_EQ(NcscGroupLevel(25), Level::kGood);          // secp521r1 (v2.1: not listed)
  EXPECT_EQ(NcscGroupLevel(26), Level::kGood);          // brainpoolP256r1 (v2.1: not listed)
  EXPECT_EQ(NcscGroupLevel(21), Level::kPhaseOut);      // secp224r1
  EXPECT_EQ(NcscGroupLevel(258), Level::kPhaseOut);     // ffdhe4096 (v2.1: sufficient)
  EXPECT_EQ(NcscGroupLevel(256), Level::kInsufficient); // ffdhe2048 (v2.1: phase-out)
  EXPECT_EQ(NcscGroupLevel(22), Level::kInsufficient);  // secp256k1
  EXPECT_EQ(NcscDhSizeLevel(4096), Level::kPhaseOut);
  EXPECT_EQ(NcscDhSizeLevel(3072), Level::kPhaseOut);
  EXPECT_EQ(NcscDhSizeLevel(2048), Level::kInsufficient);
  EXPECT_EQ(NcscKexHashLevel(0x0804), Level::kGood);          // rsa_pss_rsae_sha256
  EXPECT_EQ(NcscKexHashLevel(0x0303), Level::kPhaseOut);      // ecdsa_sha224
  EXPECT_EQ(NcscKexHashLevel(0x0201), Level::kInsufficient);  // rsa_pkcs1_sha1
}

// A STARTTLS server whose modern handshake works, with a trusted certificate
// for the host dialled.
ProbeReport GoodReport() {
  ProbeReport r;
  r.smtp.banner_code = 220;
  r.smtp.ehlo_ok = true;
  r.smtp.starttls_offered = true;
  r.smtp.starttls_code = 220;
  r.smtp.outcome = "ok";
  r.certificate.outcome = "ok";
  r.certificate.handshake.version = TLS1_3_VERSION;
  r.certificate.chain = {"der"};
  r.certificate.verify_error = X509_V_OK;
  x509::Summary s;
  s.key_type = "RSA";
  s.key_bits = 2048;
  s.signature_algorithm = "sha256WithRSAEncryption";
  s.days_until_expiry = 90;
  r.certificate.summary = s;
  CertificateFacts::Name host;
  host.check.reference = "mx.example.com";
  host.result.matched = true;
  r.certificate.names.push_back(host);
  r.renegotiation.outcome = "ok";
  r.renegotiation.accepted = false;
  r.renegotiation.detail = "alert warning no_renegotiation";
  return r;
}

wire::ScanResult ModernScan() {
  wire::ScanResult scan;
  for (uint16_t v : {wire::kSsl3, wire::kTls10, wire::kTls11, wire::kTls12, wire::kTls13}) {
    wire::VersionFinding f;
    f.version = v;
    f.accepted = v >= wire::kTls12 ? wire::Tri::kYes : wire::Tri::kNo;
    scan.versions.push_back(f);
  }
  wire::SuiteFinding s12;
  s12.version = wire::kTls12;
  s12.accepted = {0xc02f, 0xc030};
  s12.complete = true;
  wire::SuiteFinding s13;
  s13.version = wire::kTls13;
  s13.accepted = {0x1301, 0x1302, 0x1303};
  s13.complete = true;
  scan.suites = {s12, s13};
  wire::GroupFinding g;
  g.version = wire::kTls13;
  g.accepted = {29, 23};
  scan.groups = {g};
  wire::SignatureFinding sig;
  sig.version = wire::kTls12;
  sig.accepted = {0x0804};
  scan.signature_algorithms = {sig};
  scan.compression.value = wire::Tri::kNo;
  scan.secure_renegotiation.value = wire::Tri::kYes;
  scan.extended_master_secret.value = wire::Tri::kYes;
  return scan;
}

const Check* FindCheck(const PolicyResult& p, absl::string_view id) {
  for (const Check& c : p.checks) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

TEST(PolicyTest, ModernServerPassesEveryPolicy) {
  const ProbeReport r = GoodReport();
  const wire::ScanResult scan = ModernScan();
  for (const std::string& name : PolicyNames()) {
    absl::StatusOr<PolicyResult> p = Judge(name, r, &scan);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->verdict, Verdict::kPass) << name;
    EXPECT_EQ(p->name, name);
  }
}

TEST(PolicyTest, LegacyServerFailsExchangeOnlineAndNcsc) {
  const ProbeReport r = GoodReport();
  wire::ScanResult scan = ModernScan();
  scan.versions[1].accepted = wire::Tri::kYes;  // TLS 1.0
  scan.suites[0].accepted.push_back(0x002f);   // AES128-SHA, static RSA
  absl::StatusOr<PolicyResult> exo = Judge("exchange-online", r, &scan);
  ASSERT_TRUE(exo.ok());
  EXPECT_EQ(exo->verdict, Verdict::kFail);
  EXPECT_EQ(FindCheck(*exo, "versions")->verdict, Verdict::kFail);
  EXPECT_EQ(FindCheck(*exo, "forward_secrecy")->verdict, Verdict::kFail);
  EXPECT_THAT(testing::PrintToString(FindCheck(*exo, "forward_secrecy")->evidence),
              HasSubstr("TLS_RSA_WITH_AES_128_CBC_SHA"));
  // NCSC-NL 2025-05: TLS 1.0 and static RSA are insufficient.
  absl::StatusOr<PolicyResult> ncsc = Judge("ncsc-nl-2025-05", r, &scan);
  ASSERT_TRUE(ncsc.ok());
  EXPECT_EQ(ncsc->verdict, Verdict::kFail);
  EXPECT_EQ(FindCheck(*ncsc, "versions")->level, Level::kInsufficient);
  EXPECT_EQ(FindCheck(*ncsc, "suites")->level, Level::kInsufficient);
}

TEST(PolicyTest, PhaseOutSuitesStillPassNcsc) {
  const ProbeReport r = GoodReport();
  wire::ScanResult scan = ModernScan();
  scan.suites[0].accepted.push_back(0xc027);  // ECDHE-RSA-AES128-SHA256: CBC with SHA-2
  scan.suites[0].accepted.push_back(0x009e);  // DHE-RSA-AES128-GCM-SHA256
  absl::StatusOr<PolicyResult> ncsc = Judge("ncsc-nl-2025-05", r, &scan);
  ASSERT_TRUE(ncsc.ok());
  EXPECT_EQ(ncsc->verdict, Verdict::kPass);
  EXPECT_EQ(FindCheck(*ncsc, "suites")->level, Level::kPhaseOut);
  // RC4 makes it insufficient.
  scan.suites[0].accepted.push_back(0x0005);
  ncsc = Judge("ncsc-nl-2025-05", r, &scan);
  EXPECT_EQ(ncsc->verdict, Verdict::kFail);
  EXPECT_EQ(FindCheck(*ncsc, "suites")->level, Level::kInsufficient);
}

TEST(PolicyTest, ForcedTlsModesDifferOnlyInWhatTheyValidate) {
  ProbeReport r = GoodReport();
  r.certificate.verify_error = X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
  r.certificate.verify_error_text = "self signed certificate";
  EXPECT_EQ(Judge("forced-tls:encryption-only", r, nullptr)->verdict, Verdict::kPass);
  absl::StatusOr<PolicyResult> chain = Judge("forced-tls:chain", r, nullptr);
  EXPECT_EQ(chain->verdict, Verdict::kFail);
  EXPECT_EQ(FindCheck(*chain, "cert.trust")->rfc8460, "certificate-not-trusted");
  r.certificate.verify_error = X509_V_OK;
  r.certificate.names[0].result.matched = false;
  EXPECT_EQ(Judge("forced-tls:chain", r, nullptr)->verdict, Verdict::kPass);
  absl::StatusOr<PolicyResult> domain = Judge("forced-tls:chain-and-domain", r, nullptr);
  EXPECT_EQ(domain->verdict, Verdict::kFail);
  EXPECT_EQ(FindCheck(*domain, "cert.name")->rfc8460, "certificate-host-mismatch");
}

TEST(PolicyTest, PosttlsFingerLevels) {
  ProbeReport r = GoodReport();
  r.smtp.starttls_offered = false;
  r.smtp.starttls_code = 0;
  r.smtp.outcome = "starttls_not_offered";
  r.certificate = CertificateFacts();
  EXPECT_EQ(Judge("posttls-finger:may", r, nullptr)->verdict, Verdict::kPass);
  absl::StatusOr<PolicyResult> encrypt = Judge("posttls-finger:encrypt", r, nullptr);
  EXPECT_EQ(encrypt->verdict, Verdict::kFail);
  EXPECT_EQ(encrypt->checks[0].rfc8460, "starttls-not-supported");

  r = GoodReport();
  CertificateFacts::Name nexthop;
  nexthop.check = {"example.com", x509::NameRules::kPostfix};
  nexthop.result.matched = false;
  r.certificate.names.push_back(nexthop);
  EXPECT_EQ(Judge("posttls-finger:verify", r, nullptr)->verdict, Verdict::kPass);
  EXPECT_EQ(Judge("posttls-finger:secure", r, nullptr)->verdict, Verdict::kFail);
}

TEST(PolicyTest, WithoutAScanTlsChecksAreUnknownNotPassed) {
  absl::StatusOr<PolicyResult> p = Judge("ncsc-nl-2025-05", GoodReport(), nullptr);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->verdict, Verdict::kUnknown);
  EXPECT_EQ(FindCheck(*p, "versions")->verdict, Verdict::kUnknown);
}

// internet.nl's grading of client-initiated renegotiation: refused good;
// allowed is sufficient or insufficient by a count the probe does not take.
TEST(PolicyTest, ClientInitiatedRenegotiationAsInternetNlGradesIt) {
  ProbeReport r = GoodReport();
  const wire::ScanResult scan = ModernScan();
  absl::StatusOr<PolicyResult> p = Judge("ncsc-nl-2025-05", r, &scan);
  ASSERT_NE(FindCheck(*p, "client_renegotiation"), nullptr);
  EXPECT_EQ(FindCheck(*p, "client_renegotiation")->level, Level::kGood);
  r.renegotiation.accepted = true;
  p = Judge("ncsc-nl-2025-05", r, &scan);
  EXPECT_EQ(FindCheck(*p, "client_renegotiation")->verdict, Verdict::kUnknown);
  EXPECT_EQ(p->verdict, Verdict::kUnknown);
  r.renegotiation.accepted.reset();
  r.renegotiation.outcome = "not_applicable:no_tls12_aes_gcm";
  p = Judge("ncsc-nl-2025-05", r, &scan);
  EXPECT_EQ(FindCheck(*p, "client_renegotiation")->verdict, Verdict::kPass);
  r.renegotiation.outcome = "timeout:banner";
  p = Judge("ncsc-nl-2025-05", r, &scan);
  EXPECT_EQ(FindCheck(*p, "client_renegotiation")->verdict, Verdict::kUnknown);
}

TEST(PolicyTest, ExtendedMasterSecretAndSha1OnlyKeyExchange) {
  const ProbeReport r = GoodReport();
  wire::ScanResult scan = ModernScan();
  scan.extended_master_secret.value = wire::Tri::kNo;
  absl::StatusOr<PolicyResult> p = Judge("ncsc-nl-2025-05", r, &scan);
  EXPECT_EQ(FindCheck(*p, "extended_master_secret")->level, Level::kPhaseOut);
  EXPECT_EQ(p->verdict, Verdict::kPass);
  // TLS 1.3 only: nothing to extend.
  scan.versions[3].accepted = wire::Tri::kNo;
  scan.extended_master_secret.value = wire::Tri::kUnknown;
  p = Judge("ncsc-nl-2025-05", r, &scan);
  EXPECT_EQ(FindCheck(*p, "extended_master_secret")->verdict, Verdict::kPass);
  // A hello offering only SHA-1 schemes accepted: insufficient.
  scan = ModernScan();
  scan.signature_algorithms[0].sha1_only = wire::Tri::kYes;
  p = Judge("ncsc-nl-2025-05", r, &scan);
  EXPECT_EQ(FindCheck(*p, "kex_hash")->level, Level::kInsufficient);
  EXPECT_EQ(p->verdict, Verdict::kFail);
}

TEST(PolicyTest, CertificateKeysOnEveryCurveInternetNlNames) {
  ProbeReport r = GoodReport();
  const wire::ScanResult scan = ModernScan();
  struct Case {
    const char* type;
    int bits;
    Level level;
  };
  for (const Case& c : {Case{"ECDSA brainpoolP256r1", 256, Level::kGood},
                        Case{"ECDSA brainpoolP512r1", 512, Level::kGood},
                        Case{"ECDSA P-384", 384, Level::kGood},
                        Case{"ECDSA P-224", 224, Level::kPhaseOut},
                        Case{"ECDSA secp256k1", 256, Level::kInsufficient},
                        Case{"RSA", 4096, Level::kGood},
                        Case{"RSA", 2048, Level::kPhaseOut},
                        Case{"RSA", 1024, Level::kInsufficient}}) {
    r.certificate.summary->key_type = c.type;
    r.certificate.summary->key_bits = c.bits;
    absl::StatusOr<PolicyResult> p = Judge("ncsc-nl-2025-05", r, &scan);
    EXPECT_EQ(FindCheck(*p, "cert.key")->level, c.level) << c.type << " " << c.bits;
  }
}

TEST(PolicyTest, UnknownPolicyNamesTheKnownOnes) {
  absl::StatusOr<PolicyResult> p = Judge("pci", GoodReport(), nullptr);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("exchange-online"));
}

}  // namespace
}  // namespace mailshake::probe
