#include "src/x509/summary.h"

#include <string>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/x509/testing.h"
#include "src/x509/x509.h"

namespace mailshake::x509 {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using x509::testing::ReadTestdata;

const absl::Time k2026 = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 0, 0, 0),
                                         absl::UTCTimeZone());

CertificateChain Load(const char* file) {
  absl::StatusOr<CertificateChain> chain =
      CertificateChain::FromFileContents(ReadTestdata(file));
  EXPECT_TRUE(chain.ok()) << chain.status();
  return *std::move(chain);
}

SummaryOptions At(absl::Time now, std::optional<std::string> host = {}) {
  SummaryOptions options;
  options.now = now;
  options.host_name = std::move(host);
  return options;
}

TEST(SummaryTest, ChainSummaryAnswersTheOperatorsQuestions) {
  const CertificateChain chain = Load("chain.pem");
  const Summary s =
      Summarize(chain.certificates(), At(k2026, "smtp.example.com"));
  EXPECT_EQ(s.subject_common_name, "mail.example.com");
  EXPECT_EQ(s.organization, "Example Mail");
  EXPECT_EQ(s.organizational_unit, "Mail Ops");
  EXPECT_EQ(s.issuer_organization, "Mailshake Test");
  EXPECT_EQ(s.root_issuer, "CN=Mailshake Test Root CA,O=Mailshake Test,C=US");
  EXPECT_EQ(s.key_type, "RSA");
  EXPECT_EQ(s.key_bits, 2048);
  EXPECT_FALSE(s.key_weak);
  EXPECT_EQ(s.signature_algorithm, "sha256WithRSAEncryption");
  EXPECT_FALSE(s.signature_weak);
  EXPECT_EQ(s.validity, ValidityStatus::kValid);
  EXPECT_GT(s.days_until_expiry, 3000);
  EXPECT_THAT(s.subject_alt_names,
              ElementsAre("DNS:mail.example.com", "DNS:smtp.example.com"));
  EXPECT_THAT(s.extended_key_usages, ElementsAre("serverAuth", "clientAuth"));
  EXPECT_EQ(s.chain_length, 3u);
  EXPECT_TRUE(s.chain_ordered);
  EXPECT_TRUE(s.chain_ends_at_root);
  ASSERT_TRUE(s.name_match.has_value());
  EXPECT_TRUE(s.name_match->matched);
  EXPECT_TRUE(s.warnings.empty()) << s.warnings[0];
}

TEST(SummaryTest, FlagsExpiredNotYetValidSha1SelfSignedAndMismatch) {
  const CertificateChain expired = Load("expired.der");
  Summary s = Summarize(expired.leaf(), At(k2026));
  EXPECT_EQ(s.validity, ValidityStatus::kExpired);
  EXPECT_LT(s.days_until_expiry, 0);
  EXPECT_THAT(s.warnings, Contains(HasSubstr("expired on 2021-01-01")));

  const CertificateChain future = Load("not-yet-valid.der");
  s = Summarize(future.leaf(), At(k2026));
  EXPECT_EQ(s.validity, ValidityStatus::kNotYetValid);
  EXPECT_THAT(s.warnings, Contains(HasSubstr("not valid before 2060")));

  const CertificateChain sha1 = Load("sha1.der");
  s = Summarize(sha1.leaf(), At(k2026, "mail.example.com"));
  EXPECT_TRUE(s.signature_weak);
  EXPECT_EQ(s.signature_algorithm, "sha1WithRSAEncryption");
  EXPECT_THAT(s.warnings, Contains(HasSubstr("broken hash")));
  EXPECT_FALSE(s.name_match->matched);
  EXPECT_THAT(s.warnings, Contains(HasSubstr("no subjectAltName DNS name")));

  const CertificateChain self = Load("self-signed.der");
  s = Summarize(self.leaf(), At(k2026));
  EXPECT_TRUE(s.self_signed);
  EXPECT_THAT(s.warnings, Contains(HasSubstr("self-signed")));

  const CertificateChain misordered = Load("chain-misordered.pem");
  s = Summarize(misordered.certificates(), At(k2026));
  EXPECT_FALSE(s.chain_ordered);
  EXPECT_THAT(s.warnings, Contains(HasSubstr("not in order")));
}

TEST(SummaryTest, EvAndWildcard) {
  const CertificateChain ev = Load("many-extensions.der");
  Summary s = Summarize(ev.leaf(), At(k2026));
  EXPECT_TRUE(s.ev);
  EXPECT_FALSE(s.has_wildcard);
  EXPECT_EQ(s.organizational_unit, "Mail, Operations");
  EXPECT_THAT(s.ocsp_urls, ElementsAre("http://ocsp.example.com"));
  const CertificateChain wildcard = Load("wildcard.der");
  s = Summarize(wildcard.leaf(), At(k2026));
  EXPECT_FALSE(s.ev);
  EXPECT_TRUE(s.has_wildcard);
}

TEST(SummaryTest, KeyTypes) {
  struct Case {
    const char* file;
    const char* type;
    int bits;
  };
  for (const Case& c : {Case{"ecdsa-p256.der", "ECDSA P-256", 256},
                        Case{"ecdsa-p384.der", "ECDSA P-384", 384},
                        Case{"ed25519.der", "Ed25519", 256},
                        Case{"rsa4096.der", "RSA", 4096}}) {
    const CertificateChain chain = Load(c.file);
    const Summary s = Summarize(chain.leaf(), At(k2026));
    EXPECT_EQ(s.key_type, c.type) << c.file;
    EXPECT_EQ(s.key_bits, c.bits) << c.file;
    EXPECT_FALSE(s.key_weak) << c.file;
  }
}

// EC keys on other curves: the P-256 test certificate with its curve OID
// (and point, sized for the curve) replaced. The summary does not check
// signatures, so the re-encoded certificate still summarizes.
TEST(SummaryTest, NamesTheCurveOfEveryEcKey) {
  struct Case {
    std::string oid_der;  // contents of the namedCurve OID
    size_t field_bytes;
    const char* type;
    int bits;
    bool weak;
  };
  const std::string brainpool(
      "\x2b\x24\x03\x03\x02\x08\x01\x01", 8);  // 1.3.36.3.3.2.8.1.1
  const Case cases[] = {
      {brainpool + "\x07", 32, "ECDSA brainpoolP256r1", 256, false},
      {brainpool + "\x0b", 48, "ECDSA brainpoolP384r1", 384, false},
      {brainpool + "\x0d", 64, "ECDSA brainpoolP512r1", 512, false},
      {std::string("\x2b\x81\x04\x00\x21", 5), 28, "ECDSA P-224", 224, false},
      {std::string("\x2b\x81\x04\x00\x0a", 5), 32, "ECDSA secp256k1", 256, false},
      {std::string("\x2a\x86\x48\xce\x3d\x03\x01\x01", 8), 24, "ECDSA P-192", 192, true},
      {std::string("\x2b\x81\x04\x00\x11", 5), 36, "ECDSA B-283", 283, false},
      {std::string("\x2a\x03\x04", 3), 32, "ECDSA (curve 1.2.3.4)", 0, false},
  };
  const std::string p256 = ReadTestdata("ecdsa-p256.der");
  for (const Case& c : cases) {
    testing::DerNode root = testing::ParseDerTree(p256);
    testing::DerNode& spki = root.children[0].children[6];
    spki.children[0].children[1].contents = c.oid_der;
    spki.children[1].contents =
        std::string("\x00\x04", 2) + std::string(2 * c.field_bytes, '\x5a');
    const std::string der = testing::EncodeDerTree(root);
    absl::StatusOr<Certificate> cert = ParseCertificate(der);
    ASSERT_TRUE(cert.ok()) << c.type << ": " << cert.status();
    const Summary s = Summarize(*cert, At(k2026));
    EXPECT_EQ(s.key_type, c.type);
    EXPECT_EQ(s.key_bits, c.bits) << c.type;
    EXPECT_EQ(s.key_weak, c.weak) << c.type;
    // A point of the wrong length for a known curve is an error.
    if (c.bits != 0) {
      spki.children[1].contents.push_back('\x5a');
      EXPECT_FALSE(ParseCertificate(testing::EncodeDerTree(root)).ok()) << c.type;
    }
  }
}

TEST(SummaryTest, TextAndJsonCarryTheSameFacts) {
  const CertificateChain chain = Load("chain.pem");
  const Summary s =
      Summarize(chain.certificates(), At(k2026, "imap.example.com"));
  const std::string text = FormatText(s);
  EXPECT_THAT(text, HasSubstr("Common name:           mail.example.com\n"));
  EXPECT_THAT(text, HasSubstr("Key:                   RSA 2048 bits\n"));
  EXPECT_THAT(text, HasSubstr("Not after:             2034-12-31T23:59:59Z"));
  EXPECT_THAT(text, HasSubstr("imap.example.com DOES NOT MATCH"));
  EXPECT_THAT(text, HasSubstr("3 certificates, in order, ends at a "
                              "self-signed root"));

  const nlohmann::json j = ToJson(s);
  EXPECT_EQ(j["subject_common_name"], "mail.example.com");
  EXPECT_EQ(j["key"]["bits"], 2048);
  EXPECT_EQ(j["key"]["type"], "RSA");
  EXPECT_EQ(j["validity"]["status"], "valid");
  EXPECT_EQ(j["validity"]["not_before"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(j["name_match"]["matched"], false);
  EXPECT_EQ(j["chain"]["length"], 3);
  EXPECT_EQ(j["subject_alt_names"].size(), 2u);
  EXPECT_EQ(j["root_issuer"],
            "CN=Mailshake Test Root CA,O=Mailshake Test,C=US");
}

TEST(SummaryTest, TextEscapesTerminalControlCharacters) {
  Summary s;
  s.subject = "CN=evil\x1b]0;pwned\x07\nWarning: none";
  s.organization = "C1\xc2\x9b" "31m";
  const std::string text = FormatText(s);
  EXPECT_THAT(text, HasSubstr("CN=evil\\x1b]0;pwned\\x07\\x0aWarning: none"));
  EXPECT_THAT(text, HasSubstr("C1\\u009b31m"));
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find("\xc2\x9b"), std::string::npos);
}

TEST(SummaryTest, TimesAreRfc3339AsAbslFormatsThem) {
  // Every year a certificate can hold (UTCTime 1950-2049, GeneralizedTime
  // 2050-9999), a leap day, the epoch a default Summary holds, infinity.
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::Time times[] = {
      absl::FromCivil(absl::CivilSecond(1950, 1, 1, 0, 0, 0), utc),
      absl::FromCivil(absl::CivilSecond(2024, 2, 29, 7, 8, 9), utc),
      absl::FromCivil(absl::CivilSecond(2049, 12, 31, 23, 59, 59), utc),
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), utc),
      absl::UnixEpoch(),
      absl::InfiniteFuture(),
      absl::InfinitePast(),
  };
  for (const absl::Time t : times) {
    Summary s;
    s.not_before = t;
    s.not_after = t;
    const std::string want = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, utc);
    const nlohmann::json j = ToJson(s);
    EXPECT_EQ(j["validity"]["not_before"], want);
    EXPECT_EQ(j["validity"]["not_after"], want);
    EXPECT_THAT(FormatText(s), HasSubstr("Not before:            " + want + "\n"));
  }
}

TEST(SummaryTest, FormatTextOfACertificateUsesTheCurrentTime) {
  const CertificateChain chain = Load("expired.der");
  EXPECT_THAT(FormatText(chain.leaf()), HasSubstr("Validity:              expired"));
}

}  // namespace
}  // namespace mailshake::x509
