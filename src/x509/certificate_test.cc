#include <openssl/bytestring.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/x509/testing.h"
#include "src/x509/x509.h"

namespace mailshake::x509 {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using x509::testing::Constructed;
using x509::testing::DerNode;
using x509::testing::EncodeDerTree;
using x509::testing::ParseDerTree;
using x509::testing::Primitive;
using x509::testing::ReadTestdata;

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

constexpr char kIssuingCa[] =
    "CN=Mailshake Test Issuing CA 1,OU=Issuing,O=Mailshake Test,C=US";

// What scripts/make-testdata put into each certificate.
struct Expected {
  const char* file;
  const char* serial_hex;
  const char* subject;
  const char* issuer;  // nullptr: same as subject (self-signed)
  SignatureAlgorithm signature;
  KeyType key_type;
  int key_bits;
  absl::Time not_before;
  absl::Time not_after;
  std::vector<std::string> sans;
  bool ca;
};

const std::vector<Expected>& AllExpected() {
  static const auto* const kAll = new std::vector<Expected>{
      {"root-ca.der", "00c0ffee00000001",
       "CN=Mailshake Test Root CA,O=Mailshake Test,C=US", nullptr,
       SignatureAlgorithm::kSha256WithRsa, KeyType::kRsa, 4096,
       Utc(2020, 1, 1, 0, 0, 0), Utc(2049, 12, 31, 23, 59, 59), {}, true},
      {"intermediate-ca.der", "1002", kIssuingCa,
       "CN=Mailshake Test Root CA,O=Mailshake Test,C=US",
       SignatureAlgorithm::kSha256WithRsa, KeyType::kRsa, 3072,
       Utc(2022, 1, 1, 0, 0, 0), Utc(2039, 12, 31, 23, 59, 59), {}, true},
      {"leaf-rsa2048.der", "1003",
       "CN=mail.example.com,OU=Mail Ops,O=Example Mail,L=San Francisco,"
       "ST=California,C=US",
       kIssuingCa, SignatureAlgorithm::kSha256WithRsa, KeyType::kRsa, 2048,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59),
       {"DNS:mail.example.com", "DNS:smtp.example.com"}, false},
      {"rsa3072.der", "1004", "CN=rsa3072.example.com,O=Example Mail",
       kIssuingCa, SignatureAlgorithm::kSha384WithRsa, KeyType::kRsa, 3072,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59),
       {"DNS:rsa3072.example.com"}, false},
      {"rsa4096.der", "1005", "CN=rsa4096.example.com,O=Example Mail",
       kIssuingCa, SignatureAlgorithm::kSha512WithRsa, KeyType::kRsa, 4096,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59),
       {"DNS:rsa4096.example.com"}, false},
      {"ecdsa-p256.der", "1006", "CN=mx1.example.net,O=Example Mail",
       kIssuingCa, SignatureAlgorithm::kSha256WithRsa, KeyType::kEcP256, 256,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59),
       {"DNS:mx1.example.net"}, false},
      {"ecdsa-p384.der", "1007", "CN=mx2.example.net,O=Example Mail", nullptr,
       SignatureAlgorithm::kEcdsaWithSha384, KeyType::kEcP384, 384,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59),
       {"DNS:mx2.example.net"}, false},
      {"ed25519.der", "1008", "CN=ed25519.example.net,O=Example Mail",
       nullptr, SignatureAlgorithm::kEd25519, KeyType::kEd25519, 256,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59),
       {"DNS:ed25519.example.net"}, false},
      {"wildcard.der", "1009", "CN=*.example.org,O=Example Mail", kIssuingCa,
       SignatureAlgorithm::kSha256WithRsa, KeyType::kEcP256, 256,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59),
       {"DNS:*.example.org", "DNS:example.org"}, false},
      {"multi-san.der", "100a", "CN=mx.example.com,O=Example Mail",
       kIssuingCa, SignatureAlgorithm::kSha256WithRsa, KeyType::kEcP256, 256,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59),
       {"DNS:mx.example.com", "DNS:mx.example.net", "DNS:mail.example.org",
        "DNS:SMTP.Example.COM", "email:postmaster@example.com",
        "URI:https://mta-sts.example.com/.well-known/mta-sts.txt",
        "IP:198.51.100.7"},
       false},
      {"ip-san.der", "100b", "CN=192.0.2.25,O=Example Mail", kIssuingCa,
       SignatureAlgorithm::kSha256WithRsa, KeyType::kEcP256, 256,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59),
       {"DNS:mx.example.com", "IP:192.0.2.25", "IP:2001:db8::25"}, false},
      {"cn-only.der", "100c", "CN=legacy.example.com,O=Legacy Mail",
       kIssuingCa, SignatureAlgorithm::kSha256WithRsa, KeyType::kEcP256, 256,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59), {}, false},
      {"expired.der", "100d", "CN=expired.example.com", kIssuingCa,
       SignatureAlgorithm::kSha256WithRsa, KeyType::kEcP256, 256,
       Utc(2020, 1, 1, 0, 0, 0), Utc(2021, 1, 1, 0, 0, 0),
       {"DNS:expired.example.com"}, false},
      {"not-yet-valid.der", "100e", "CN=future.example.com", kIssuingCa,
       SignatureAlgorithm::kSha256WithRsa, KeyType::kEcP256, 256,
       Utc(2060, 1, 1, 0, 0, 0), Utc(2070, 1, 1, 12, 0, 0),
       {"DNS:future.example.com"}, false},
      {"self-signed.der", "100f",
       "CN=selfsigned.example.com,O=Self Signed Mail", nullptr,
       SignatureAlgorithm::kSha256WithRsa, KeyType::kRsa, 2048,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59),
       {"DNS:selfsigned.example.com"}, false},
      {"sha1.der", "1010", "CN=sha1.example.com", kIssuingCa,
       SignatureAlgorithm::kSha1WithRsa, KeyType::kRsa, 2048,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59),
       {"DNS:sha1.example.com"}, false},
      {"name-constrained-ca.der", "1011",
       "CN=Mailshake Constrained CA,O=Mailshake Test,C=US",
       "CN=Mailshake Test Root CA,O=Mailshake Test,C=US",
       SignatureAlgorithm::kSha384WithRsa, KeyType::kEcP384, 384,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59), {}, true},
      {"many-extensions.der", "1012",
       "CN=ev.example.com,emailAddress=hostmaster@example.com,"
       "serialNumber=HRB 12345,OU=Mail+OU=Operations,O=Example EV GmbH,"
       "L=Berlin,ST=Berlin,C=DE,DC=example,DC=com",
       kIssuingCa, SignatureAlgorithm::kSha256WithRsa, KeyType::kRsa, 2048,
       Utc(2024, 1, 1, 0, 0, 0), Utc(2034, 12, 31, 23, 59, 59),
       {"DNS:ev.example.com", "DNS:www.ev.example.com"}, false},
  };
  return *kAll;
}

class TestdataCertificateTest : public ::testing::TestWithParam<Expected> {};

TEST_P(TestdataCertificateTest, ParsesEveryFieldTheScriptWrote) {
  const Expected& want = GetParam();
  const std::string der = ReadTestdata(want.file);
  absl::StatusOr<Certificate> cert = ParseCertificate(der);
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->version, 3);
  EXPECT_EQ(cert->SerialHex(), want.serial_hex);
  EXPECT_FALSE(cert->serial_negative);
  EXPECT_EQ(cert->subject.ToString(), want.subject);
  EXPECT_EQ(cert->issuer.ToString(),
            want.issuer == nullptr ? want.subject : want.issuer);
  EXPECT_EQ(cert->signature_algorithm.algorithm, want.signature)
      << cert->signature_algorithm.oid;
  EXPECT_EQ(cert->public_key.type, want.key_type);
  EXPECT_EQ(cert->public_key.bits, want.key_bits);
  if (want.key_type == KeyType::kRsa) {
    EXPECT_EQ(cert->public_key.rsa_exponent, 65537u);
  }
  EXPECT_EQ(cert->not_before, want.not_before);
  EXPECT_EQ(cert->not_after, want.not_after);
  std::vector<std::string> sans;
  for (const GeneralName& name : cert->subject_alt_names) {
    sans.push_back(ToString(name));
  }
  EXPECT_THAT(sans, ElementsAreArray(want.sans));
  EXPECT_EQ(cert->has_subject_alt_name, !want.sans.empty());
  ASSERT_TRUE(cert->basic_constraints.has_value());
  EXPECT_EQ(cert->basic_constraints->ca, want.ca);
  EXPECT_TRUE(cert->subject_key_id.has_value());
  EXPECT_EQ(IsSelfSigned(*cert), want.issuer == nullptr);
  EXPECT_FALSE(cert->has_sct_list);
}

TEST_P(TestdataCertificateTest, SpansLieInsideTheirParents) {
  const std::string der = ReadTestdata(GetParam().file);
  absl::StatusOr<Certificate> cert = ParseCertificate(der);
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto inside = [](absl::string_view child, absl::string_view parent) {
    return child.data() >= parent.data() &&
           child.data() + child.size() <= parent.data() + parent.size();
  };
  EXPECT_EQ(cert->der.data(), der.data());
  EXPECT_EQ(cert->der.size(), der.size());
  EXPECT_TRUE(inside(cert->tbs_der, cert->der));
  EXPECT_TRUE(inside(cert->issuer.der, cert->tbs_der));
  EXPECT_TRUE(inside(cert->subject.der, cert->tbs_der));
  EXPECT_TRUE(inside(cert->public_key.spki_der, cert->tbs_der));
  for (const Extension& ext : cert->extensions) {
    EXPECT_TRUE(inside(ext.der, cert->tbs_der)) << ext.oid;
    EXPECT_TRUE(inside(ext.value, ext.der)) << ext.oid;
  }
  // The three top-level elements follow the header back to back.
  const std::string rebuilt =
      absl::StrCat(cert->tbs_der, cert->signature_algorithm_der,
                   cert->signature_value_der);
  EXPECT_TRUE(absl::EndsWith(der, rebuilt));
  EXPECT_EQ(der.size() - rebuilt.size(), 4u);  // 0x30 0x82 len len
}

INSTANTIATE_TEST_SUITE_P(
    AllCertificates, TestdataCertificateTest,
    ::testing::ValuesIn(AllExpected()),
    [](const ::testing::TestParamInfo<Expected>& info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find('.'));
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

TEST(CertificateTest, EveryTestdataDerIsCoveredByTheTable) {
  std::vector<std::string> covered;
  for (const Expected& e : AllExpected()) covered.push_back(e.file);
  for (const std::string& name : x509::testing::ListTestdata(".der")) {
    if (absl::StartsWith(name, "malformed-")) continue;
    EXPECT_THAT(covered, ::testing::Contains(name));
  }
}

TEST(CertificateTest, LeafExtensions) {
  const std::string der = ReadTestdata("leaf-rsa2048.der");
  absl::StatusOr<Certificate> cert = ParseCertificate(der);
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_TRUE(cert->key_usage.has_value());
  EXPECT_EQ(*cert->key_usage, kDigitalSignature | kKeyEncipherment);
  EXPECT_THAT(cert->extended_key_usages,
              ElementsAre("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"));
  EXPECT_EQ(ExtendedKeyUsageName(cert->extended_key_usages[0]), "serverAuth");
  EXPECT_EQ(ExtendedKeyUsageName(cert->extended_key_usages[1]), "clientAuth");
  EXPECT_FALSE(cert->basic_constraints->path_len.has_value());
  const Extension* bc = cert->FindExtension("2.5.29.19");
  ASSERT_NE(bc, nullptr);
  EXPECT_TRUE(bc->critical);
  EXPECT_TRUE(bc->understood);
  const Extension* eku = cert->FindExtension("2.5.29.37");
  ASSERT_NE(eku, nullptr);
  EXPECT_FALSE(eku->critical);
  EXPECT_FALSE(cert->IsEv());
  EXPECT_THAT(cert->ocsp_urls, IsEmpty());
  // The leaf's AKI is the intermediate's SKI.
  const std::string ca_der = ReadTestdata("intermediate-ca.der");
  absl::StatusOr<Certificate> ca = ParseCertificate(ca_der);
  ASSERT_TRUE(ca.ok()) << ca.status();
  ASSERT_TRUE(cert->authority_key_id.has_value());
  EXPECT_EQ(*cert->authority_key_id, *ca->subject_key_id);
  EXPECT_EQ(cert->subject.Last(AttributeType::kStateOrProvince), "California");
  EXPECT_EQ(cert->subject.Last(AttributeType::kLocality), "San Francisco");
  EXPECT_EQ(cert->subject.Last(AttributeType::kCountry), "US");
}

TEST(CertificateTest, IntermediateHasPathLenZeroAndCaKeyUsage) {
  const std::string der = ReadTestdata("intermediate-ca.der");
  absl::StatusOr<Certificate> cert = ParseCertificate(der);
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_TRUE(cert->basic_constraints.has_value());
  EXPECT_TRUE(cert->basic_constraints->ca);
  EXPECT_EQ(cert->basic_constraints->path_len, 0u);
  EXPECT_EQ(*cert->key_usage, kKeyCertSign | kCrlSign);
}

TEST(CertificateTest, ManyExtensions) {
  const std::string der = ReadTestdata("many-extensions.der");
  absl::StatusOr<Certificate> cert = ParseCertificate(der);
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_THAT(cert->ocsp_urls, ElementsAre("http://ocsp.example.com"));
  EXPECT_THAT(cert->ca_issuers_urls,
              ElementsAre("http://pki.example.com/issuing-ca-1.der"));
  EXPECT_THAT(cert->crl_urls,
              ElementsAre("http://crl.example.com/issuing-ca-1.crl",
                          "http://crl2.example.com/issuing-ca-1.crl"));
  EXPECT_THAT(cert->policy_oids,
              ElementsAre("2.23.140.1.1", "1.3.6.1.4.1.55555.1.2"));
  EXPECT_TRUE(cert->IsEv());
  const Extension* priv = cert->FindExtension("1.3.6.1.4.1.55555.99.1");
  ASSERT_NE(priv, nullptr);
  EXPECT_FALSE(priv->understood);
  EXPECT_FALSE(priv->critical);
  EXPECT_EQ(ExtensionName(priv->oid), "");
  // Multi-valued RDN: OU=Mail+OU=Operations.
  bool found_multi = false;
  for (const Rdn& rdn : cert->subject.rdns) {
    if (rdn.attributes.size() == 2) {
      found_multi = true;
      EXPECT_EQ(rdn.attributes[0].value, "Mail");
      EXPECT_EQ(rdn.attributes[1].value, "Operations");
    }
  }
  EXPECT_TRUE(found_multi);
  EXPECT_THAT(cert->subject.Values(AttributeType::kDomainComponent),
              ElementsAre("com", "example"));
  EXPECT_EQ(cert->subject.Last(AttributeType::kEmailAddress),
            "hostmaster@example.com");
  EXPECT_EQ(cert->subject.Last(AttributeType::kSerialNumber), "HRB 12345");
  for (const Rdn& rdn : cert->subject.rdns) {
    for (const Attribute& a : rdn.attributes) {
      if (a.type == AttributeType::kDomainComponent ||
          a.type == AttributeType::kEmailAddress) {
        EXPECT_EQ(a.string_tag, CBS_ASN1_IA5STRING);
      }
    }
  }
}

TEST(CertificateTest, NameConstraintsAreListedAsCriticalButNotDecoded) {
  const std::string der = ReadTestdata("name-constrained-ca.der");
  absl::StatusOr<Certificate> cert = ParseCertificate(der);
  ASSERT_TRUE(cert.ok()) << cert.status();
  const Extension* nc = cert->FindExtension("2.5.29.30");
  ASSERT_NE(nc, nullptr);
  EXPECT_TRUE(nc->critical);
  EXPECT_FALSE(nc->understood);
  EXPECT_EQ(ExtensionName(nc->oid), "nameConstraints");
}

TEST(CertificateTest, IpSansAreFormatted) {
  const std::string der = ReadTestdata("ip-san.der");
  absl::StatusOr<Certificate> cert = ParseCertificate(der);
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_EQ(cert->subject_alt_names.size(), 3u);
  EXPECT_EQ(cert->subject_alt_names[1].ip, std::string("\xc0\x00\x02\x19", 4));
  EXPECT_EQ(cert->subject_alt_names[2].ip.size(), 16u);
}

TEST(CertificateTest, WeakAlgorithmsAreFlagged) {
  EXPECT_TRUE(IsWeakSignatureAlgorithm(SignatureAlgorithm::kSha1WithRsa));
  EXPECT_TRUE(IsWeakSignatureAlgorithm(SignatureAlgorithm::kMd5WithRsa));
  EXPECT_TRUE(IsWeakSignatureAlgorithm(SignatureAlgorithm::kEcdsaWithSha1));
  EXPECT_FALSE(IsWeakSignatureAlgorithm(SignatureAlgorithm::kSha256WithRsa));
  EXPECT_FALSE(IsWeakSignatureAlgorithm(SignatureAlgorithm::kEd25519));
  EXPECT_EQ(SignatureAlgorithmName(SignatureAlgorithm::kSha1WithRsa),
            "sha1WithRSAEncryption");
  EXPECT_EQ(SignatureAlgorithmName(SignatureAlgorithm::kEcdsaWithSha256),
            "ecdsa-with-SHA256");
}

// --- malformed files made by the script --------------------------------------

struct Malformed {
  const char* file;
  const char* field_and_offset_prefix;  // "field at offset "
  const char* defect;
};

class MalformedTestdataTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedTestdataTest, IsRejectedWithTheNamedError) {
  const std::string der = ReadTestdata(GetParam().file);
  ASSERT_FALSE(der.empty());
  absl::StatusOr<Certificate> cert = ParseCertificate(der);
  ASSERT_FALSE(cert.ok());
  EXPECT_EQ(cert.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(cert.status().message(),
              HasSubstr(GetParam().field_and_offset_prefix));
  EXPECT_THAT(cert.status().message(), HasSubstr(GetParam().defect));
}

INSTANTIATE_TEST_SUITE_P(
    AllMalformed, MalformedTestdataTest,
    ::testing::Values(
        Malformed{"malformed-truncated.der", "certificate at offset 0",
                  "runs past the end"},
        Malformed{"malformed-bad-length.der", "certificate at offset 0",
                  "runs past the end"},
        Malformed{"malformed-trailing-garbage.der", "certificate at offset ",
                  "2 unexpected trailing bytes"},
        Malformed{"malformed-non-minimal-length.der",
                  "certificate at offset 0", "non-minimal length encoding"},
        Malformed{"malformed-duplicate-extension.der",
                  "tbsCertificate.extensions.basicConstraints at offset ",
                  "duplicate extension"},
        Malformed{"malformed-bool-not-ff.der",
                  "tbsCertificate.extensions.basicConstraints.cA at offset ",
                  "BOOLEAN must be one octet, 0x00 or 0xFF"},
        Malformed{"malformed-fractional-time.der",
                  "tbsCertificate.validity.notAfter at offset ",
                  "GeneralizedTime has fractional seconds"},
        Malformed{"malformed-non-minimal-serial.der",
                  "tbsCertificate.serialNumber at offset ",
                  "not minimally encoded"},
        Malformed{"malformed-explicit-default-version.der",
                  "tbsCertificate.version at offset ",
                  "v1 is the DEFAULT and must not be encoded"},
        Malformed{"malformed-invalid-utf8.der",
                  "tbsCertificate.subject.CN at offset ",
                  "UTF8String is not valid UTF-8"},
        Malformed{"malformed-printable-charset.der",
                  "tbsCertificate.subject.C at offset ",
                  "PrintableString has invalid character 0x40 at index 1"}),
    [](const ::testing::TestParamInfo<Malformed>& info) {
      std::string name = info.param.file;
      name = name.substr(10, name.find('.') - 10);
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

TEST(MalformedTest, EveryMalformedFileIsInTheTable) {
  EXPECT_EQ(x509::testing::ListTestdata(".der").size() -
                AllExpected().size(),
            11u);
}

TEST(MalformedTest, OffsetsPointAtTheOffendingElement) {
  const std::string frac = ReadTestdata("malformed-fractional-time.der");
  const size_t time_at = frac.find("20700101120000.5Z");
  ASSERT_NE(time_at, std::string::npos);
  absl::StatusOr<Certificate> cert = ParseCertificate(frac);
  ASSERT_FALSE(cert.ok());
  EXPECT_THAT(cert.status().message(),
              HasSubstr(absl::StrCat("notAfter at offset ", time_at - 2, ":")));

  const std::string trailing = ReadTestdata("malformed-trailing-garbage.der");
  cert = ParseCertificate(trailing);
  ASSERT_FALSE(cert.ok());
  EXPECT_THAT(cert.status().message(),
              HasSubstr(absl::StrCat("at offset ", trailing.size() - 2, ":")));
}

// --- synthetic variants of a good certificate ---------------------------------

class EditedCertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    original_ = ReadTestdata("leaf-rsa2048.der");
    root_ = ParseDerTree(original_);
  }
  DerNode& Tbs() { return root_.children[0]; }
  DerNode& TbsField(size_t i) { return Tbs().children[i]; }
  DerNode& Extensions() {
    return Tbs().children.back().children[0];
  }
  DerNode& SubjectCn() {
    return TbsField(5).children.back().children[0].children[1];
  }
  absl::StatusOr<Certificate> Reparse() {
    encoded_ = EncodeDerTree(root_);
    return ParseCertificate(encoded_);
  }
  void ExpectError(absl::string_view substring) {
    absl::StatusOr<Certificate> cert = Reparse();
    ASSERT_FALSE(cert.ok()) << "accepted";
    EXPECT_THAT(cert.status().message(), HasSubstr(std::string(substring)));
  }

  std::string original_;
  std::string encoded_;
  DerNode root_;
};

TEST_F(EditedCertificateTest, RoundTripIsAccepted) {
  absl::StatusOr<Certificate> cert = Reparse();
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(encoded_, original_);
}

TEST_F(EditedCertificateTest, RejectsExplicitCriticalFalse) {
  DerNode& eku = Extensions().children[2];
  eku.children.insert(eku.children.begin() + 1,
                      Primitive(CBS_ASN1_BOOLEAN, std::string(1, '\0')));
  ExpectError("critical at offset");
  ExpectError("FALSE is the DEFAULT");
}

TEST_F(EditedCertificateTest, RejectsEmptyExtensions) {
  Extensions().children.clear();
  ExpectError("empty Extensions SEQUENCE");
}

TEST_F(EditedCertificateTest, RejectsMoreThanTheExtensionLimit) {
  std::vector<DerNode>& exts = Extensions().children;
  for (size_t i = 0; exts.size() <= kMaxExtensions; ++i) {
    DerNode ext = Constructed(CBS_ASN1_SEQUENCE, {});
    // 1.3.6.1.4.1.55555.<i>
    std::string oid("\x2b\x06\x01\x04\x01\x83\xb2\x03", 8);
    const size_t arc = i + 128;  // always two minimal base-128 octets
    oid.push_back(static_cast<char>(0x80 | (arc >> 7)));
    oid.push_back(static_cast<char>(arc & 0x7f));
    ext.children.push_back(Primitive(CBS_ASN1_OBJECT, oid));
    ext.children.push_back(Primitive(CBS_ASN1_OCTETSTRING, ""));
    exts.push_back(ext);
  }
  ExpectError("more than 256 extensions");
}

// A cRLDistributionPoints extension whose one DistributionPoint is
// distributionPoint [0] { nameRelativeToCRLIssuer [1] { |relative| } }.
DerNode CrlDistributionPointRelativeTo(std::vector<DerNode> relative) {
  DerNode points = Constructed(
      CBS_ASN1_SEQUENCE,
      {Constructed(CBS_ASN1_SEQUENCE,
                   {Constructed(CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0,
                                {Constructed(CBS_ASN1_CONTEXT_SPECIFIC |
                                                 CBS_ASN1_CONSTRUCTED | 1,
                                             std::move(relative))})})});
  return Constructed(CBS_ASN1_SEQUENCE,
                     {Primitive(CBS_ASN1_OBJECT, std::string("\x55\x1d\x1f", 3)),
                      Primitive(CBS_ASN1_OCTETSTRING, EncodeDerTree(points))});
}

TEST_F(EditedCertificateTest, AcceptsNameRelativeToCrlIssuerThatIsAnRdn) {
  // { organizationalUnitName (2.5.4.11) "CRLs" }
  Extensions().children.push_back(CrlDistributionPointRelativeTo({Constructed(
      CBS_ASN1_SEQUENCE, {Primitive(CBS_ASN1_OBJECT, std::string("\x55\x04\x0b", 3)),
                          Primitive(CBS_ASN1_UTF8STRING, "CRLs")})}));
  absl::StatusOr<Certificate> cert = Reparse();
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_TRUE(cert->crl_urls.empty());
}

// Found by x509_differential_fuzzer: a URI GeneralName where the RDN's
// AttributeTypeAndValue belongs was accepted; BoringSSL cannot decode it.
TEST_F(EditedCertificateTest, RejectsNameRelativeToCrlIssuerThatIsNotAnRdn) {
  Extensions().children.push_back(CrlDistributionPointRelativeTo(
      {Primitive(CBS_ASN1_CONTEXT_SPECIFIC | 6, "http://crl.example.com/ca.crl")}));
  ExpectError("distributionPoint at offset");
  ExpectError("expected SEQUENCE");
}

TEST_F(EditedCertificateTest, RejectsAnEmptyNameRelativeToCrlIssuer) {
  Extensions().children.push_back(CrlDistributionPointRelativeTo({}));
  ExpectError("empty nameRelativeToCRLIssuer");
}

// A certificatePolicies extension with one policy (2.23.140.1.2.1) whose
// policyQualifiers hold |qualifiers|.
DerNode PoliciesWithQualifiers(std::vector<DerNode> qualifiers) {
  DerNode policies = Constructed(
      CBS_ASN1_SEQUENCE,
      {Constructed(CBS_ASN1_SEQUENCE,
                   {Primitive(CBS_ASN1_OBJECT, std::string("\x67\x81\x0c\x01\x02\x01", 6)),
                    Constructed(CBS_ASN1_SEQUENCE, std::move(qualifiers))})});
  return Constructed(CBS_ASN1_SEQUENCE,
                     {Primitive(CBS_ASN1_OBJECT, std::string("\x55\x1d\x20", 3)),
                      Primitive(CBS_ASN1_OCTETSTRING, EncodeDerTree(policies))});
}

DerNode Qualifier(absl::string_view oid_der, std::vector<DerNode> value) {
  std::vector<DerNode> fields = {Primitive(CBS_ASN1_OBJECT, oid_der)};
  for (DerNode& v : value) fields.push_back(std::move(v));
  return Constructed(CBS_ASN1_SEQUENCE, std::move(fields));
}

const std::string kCps("\x2b\x06\x01\x05\x05\x07\x02\x01", 8);
const std::string kUserNotice("\x2b\x06\x01\x05\x05\x07\x02\x02", 8);

TEST_F(EditedCertificateTest, AcceptsCpsAndUserNoticeQualifiers) {
  DerNode notice = Constructed(
      CBS_ASN1_SEQUENCE,
      {Constructed(CBS_ASN1_SEQUENCE,
                   {Primitive(CBS_ASN1_UTF8STRING, "Example CA"),
                    Constructed(CBS_ASN1_SEQUENCE,
                                {Primitive(CBS_ASN1_INTEGER, "\x01"),
                                 Primitive(CBS_ASN1_INTEGER, "\x02")})}),
       Primitive(CBS_ASN1_VISIBLESTRING, "See the CPS")});
  Extensions().children.push_back(PoliciesWithQualifiers(
      {Qualifier(kCps, {Primitive(CBS_ASN1_IA5STRING, "https://example.com/cps")}),
       Qualifier(kUserNotice, {std::move(notice)}),
       Qualifier(kUserNotice, {Constructed(CBS_ASN1_SEQUENCE, {})})}));
  absl::StatusOr<Certificate> cert = Reparse();
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_THAT(cert->policy_oids, ElementsAre("2.23.140.1.2.1"));
}

// Found by x509_differential_fuzzer: a CPS qualifier whose IA5String ran
// past its PolicyQualifierInfo was accepted (qualifiers were not read);
// BoringSSL cannot decode it.
TEST_F(EditedCertificateTest, RejectsAMalformedCpsQualifier) {
  const std::string uri = "https://example.com/cps";
  Extensions().children.push_back(PoliciesWithQualifiers(
      {Qualifier(kCps, {Primitive(CBS_ASN1_IA5STRING, uri)})}));
  ASSERT_TRUE(Reparse().ok());
  // The IA5String's length one past the end of its PolicyQualifierInfo (the
  // enclosing lengths stay as they were).
  std::string der = encoded_;
  const size_t at = der.find(std::string("\x16\x17") + uri);
  ASSERT_NE(at, std::string::npos);
  der[at + 1] = '\x18';
  absl::StatusOr<Certificate> cert = ParseCertificate(der);
  ASSERT_FALSE(cert.ok()) << "accepted";
  EXPECT_THAT(cert.status().message(), HasSubstr("policyQualifiers at offset"));
}

TEST_F(EditedCertificateTest, RejectsQualifiersThatAreNotPolicyQualifierInfos) {
  Extensions().children.push_back(PoliciesWithQualifiers(
      {Qualifier(kCps, {Primitive(CBS_ASN1_UTF8STRING, "https://example.com/cps")})}));
  ExpectError("policyQualifiers at offset");
  ExpectError("expected IA5String");
}

TEST_F(EditedCertificateTest, RejectsAUserNoticeWithTextThatIsNotDisplayText) {
  Extensions().children.push_back(PoliciesWithQualifiers({Qualifier(
      kUserNotice,
      {Constructed(CBS_ASN1_SEQUENCE, {Primitive(CBS_ASN1_PRINTABLESTRING, "text")})})}));
  ExpectError("not a DisplayText: PrintableString");
}

TEST_F(EditedCertificateTest, RejectsAQualifierWithoutAValue) {
  Extensions().children.push_back(PoliciesWithQualifiers(
      {Qualifier(std::string("\x2b\x06\x01\x05\x05\x07\x02\x03", 8), {})}));
  ExpectError("PolicyQualifierInfo without a qualifier");
}

TEST_F(EditedCertificateTest, RejectsMoreThanTheSanLimit) {
  DerNode names = Constructed(CBS_ASN1_SEQUENCE, {});
  for (size_t i = 0; i <= kMaxSubjectAltNames; ++i) {
    names.children.push_back(
        Primitive(CBS_ASN1_CONTEXT_SPECIFIC | 2, absl::StrCat("h", i, ".com")));
  }
  Extensions().children.back().children.back().contents = EncodeDerTree(names);
  ExpectError("more than 1024 names");
}

TEST_F(EditedCertificateTest, AcceptsExactlyTheSanLimit) {
  DerNode names = Constructed(CBS_ASN1_SEQUENCE, {});
  for (size_t i = 0; i < kMaxSubjectAltNames; ++i) {
    names.children.push_back(
        Primitive(CBS_ASN1_CONTEXT_SPECIFIC | 2, absl::StrCat("h", i, ".com")));
  }
  Extensions().children.back().children.back().contents = EncodeDerTree(names);
  absl::StatusOr<Certificate> cert = Reparse();
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->subject_alt_names.size(), kMaxSubjectAltNames);
}

// SetSans replaces the subjectAltName extension's GeneralNames.
void SetSans(DerNode* extensions, std::vector<DerNode> names) {
  extensions->children.back().children.back().contents =
      EncodeDerTree(Constructed(CBS_ASN1_SEQUENCE, std::move(names)));
}

constexpr unsigned kOtherName = CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED;
constexpr unsigned kEdiPartyName =
    CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 5;
constexpr unsigned kExplicit0 = CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED;
constexpr unsigned kExplicit1 =
    CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1;
// 1.3.6.1.5.5.7.8.7 (id-on-dnsSRV), an otherName type-id.
const std::string kSrvOid("\x2b\x06\x01\x05\x05\x07\x08\x07", 8);

TEST_F(EditedCertificateTest, AcceptsAWellFormedOtherName) {
  SetSans(&Extensions(),
          {Constructed(kOtherName,
                       {Primitive(CBS_ASN1_OBJECT, kSrvOid),
                        Constructed(kExplicit0, {Primitive(CBS_ASN1_IA5STRING,
                                                           "_smtp.example")})})});
  absl::StatusOr<Certificate> cert = Reparse();
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_EQ(cert->subject_alt_names.size(), 1u);
  EXPECT_EQ(cert->subject_alt_names[0].value, "otherName:1.3.6.1.5.5.7.8.7");
}

// Found by x509_differential_fuzzer replaying x509_fuzzer's corpus: an
// otherName holding a bare string was accepted, BoringSSL cannot decode it.
TEST_F(EditedCertificateTest, RejectsAnOtherNameThatIsNotAnOtherName) {
  SetSans(&Extensions(),
          {Primitive(CBS_ASN1_CONTEXT_SPECIFIC | 2, "mx.example.com"),
           DerNode{kOtherName, "", {}}});
  ExpectError("otherName.type-id");
  SetSans(&Extensions(), {Constructed(kOtherName, {Primitive(
                                                       CBS_ASN1_OBJECT, kSrvOid)})});
  ExpectError("otherName.value");
  SetSans(&Extensions(),
          {Constructed(kOtherName, {Primitive(CBS_ASN1_OBJECT, kSrvOid),
                                    Constructed(kExplicit0, {})})});
  ExpectError("otherName value is empty");
  SetSans(&Extensions(),
          {Constructed(kOtherName,
                       {Primitive(CBS_ASN1_OBJECT, kSrvOid),
                        Constructed(kExplicit0,
                                    {Primitive(CBS_ASN1_BOOLEAN, "\x01")})})});
  ExpectError("BOOLEAN must be one octet");
}

TEST_F(EditedCertificateTest, AcceptsAWellFormedEdiPartyName) {
  SetSans(&Extensions(),
          {Constructed(kEdiPartyName,
                       {Constructed(kExplicit0, {Primitive(
                                                    CBS_ASN1_PRINTABLESTRING,
                                                    "Assigner")}),
                        Constructed(kExplicit1, {Primitive(CBS_ASN1_UTF8STRING,
                                                           "Party")})})});
  absl::StatusOr<Certificate> cert = Reparse();
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_EQ(cert->subject_alt_names.size(), 1u);
  EXPECT_EQ(cert->subject_alt_names[0].value, "ediPartyName:Party");
}

TEST_F(EditedCertificateTest, RejectsAnEdiPartyNameWithoutAPartyName) {
  SetSans(&Extensions(),
          {Constructed(kEdiPartyName,
                       {Constructed(kExplicit0, {Primitive(
                                                    CBS_ASN1_PRINTABLESTRING,
                                                    "Assigner")})})});
  ExpectError("ediPartyName.partyName");
  SetSans(&Extensions(),
          {Constructed(kEdiPartyName,
                       {Constructed(kExplicit1, {Primitive(CBS_ASN1_IA5STRING,
                                                           "Party")})})});
  ExpectError("not a DirectoryString");
}

TEST_F(EditedCertificateTest, RejectsMoreThan64Rdns) {
  DerNode& subject = TbsField(5);
  while (subject.children.size() <= kMaxRdns) {
    subject.children.push_back(subject.children.back());
  }
  ExpectError("more than 64 RDNs");
}

TEST_F(EditedCertificateTest, RejectsOversizedCertificate) {
  Extensions().children.back().children.back().contents.append(70000, 'x');
  ExpectError("more than the 65536-byte limit");
}

TEST_F(EditedCertificateTest, RejectsNulInCommonName) {
  SubjectCn().contents = std::string("mail.example.com\0.evil", 22);
  ExpectError("NUL");
}

TEST_F(EditedCertificateTest, DecodesBmpAndTeletexSubjects) {
  SubjectCn() = Primitive(CBS_ASN1_BMPSTRING, std::string("\x00m\x00\xe9", 4));
  absl::StatusOr<Certificate> cert = Reparse();
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->subject.Last(AttributeType::kCommonName), "m\xc3\xa9");
  SubjectCn() = Primitive(CBS_ASN1_T61STRING, "caf\xe9");
  cert = Reparse();
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->subject.Last(AttributeType::kCommonName), "caf\xc3\xa9");
}

TEST_F(EditedCertificateTest, RejectsUnsupportedStringType) {
  SubjectCn() = Primitive(CBS_ASN1_OCTETSTRING, "x");
  ExpectError("unsupported string type OCTET STRING");
}

TEST_F(EditedCertificateTest, RejectsGeneralizedTimeBefore2050) {
  TbsField(4).children[0] =
      Primitive(CBS_ASN1_GENERALIZEDTIME, "20240101000000Z");
  ExpectError("tbsCertificate.validity.notBefore at offset");
  ExpectError("before 2050");
}

TEST_F(EditedCertificateTest, RejectsUtcTimeWithOffset) {
  TbsField(4).children[0] = Primitive(CBS_ASN1_UTCTIME, "2401010000+0100");
  ExpectError("time-zone offset");
}

TEST_F(EditedCertificateTest, RejectsSignatureAlgorithmMismatch) {
  // ecdsa-with-SHA256 outside, sha256WithRSAEncryption inside.
  root_.children[1] = Constructed(
      CBS_ASN1_SEQUENCE,
      {Primitive(CBS_ASN1_OBJECT, "\x2a\x86\x48\xce\x3d\x04\x03\x02")});
  ExpectError("does not match tbsCertificate.signature");
}

TEST_F(EditedCertificateTest, RejectsParametersOnEcdsaSignature) {
  DerNode alg = Constructed(
      CBS_ASN1_SEQUENCE,
      {Primitive(CBS_ASN1_OBJECT, "\x2a\x86\x48\xce\x3d\x04\x03\x02"),
       Primitive(CBS_ASN1_NULL, "")});
  root_.children[1] = alg;
  TbsField(2) = alg;
  ExpectError("parameters must be absent for ecdsa-with-SHA256");
}

TEST_F(EditedCertificateTest, DecodesRsaPssParameters) {
  // RSASSA-PSS with SHA-256, MGF1-SHA-256, salt 32.
  const std::string sha256_oid("\x60\x86\x48\x01\x65\x03\x04\x02\x01", 9);
  DerNode sha256 = Constructed(CBS_ASN1_SEQUENCE,
                               {Primitive(CBS_ASN1_OBJECT, sha256_oid)});
  DerNode params = Constructed(
      CBS_ASN1_SEQUENCE,
      {Constructed(CBS_ASN1_CONTEXT_SPECIFIC | 0, {sha256}),
       Constructed(CBS_ASN1_CONTEXT_SPECIFIC | 1,
                   {Constructed(CBS_ASN1_SEQUENCE,
                                {Primitive(CBS_ASN1_OBJECT,
                                           "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x08"),
                                 sha256})}),
       Constructed(CBS_ASN1_CONTEXT_SPECIFIC | 2,
                   {Primitive(CBS_ASN1_INTEGER, "\x20")})});
  DerNode alg = Constructed(
      CBS_ASN1_SEQUENCE,
      {Primitive(CBS_ASN1_OBJECT, "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a"),
       params});
  root_.children[1] = alg;
  TbsField(2) = alg;
  absl::StatusOr<Certificate> cert = Reparse();
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->signature_algorithm.algorithm, SignatureAlgorithm::kRsaPss);
  ASSERT_TRUE(cert->signature_algorithm.pss.has_value());
  EXPECT_EQ(cert->signature_algorithm.pss->hash, "sha256");
  EXPECT_EQ(cert->signature_algorithm.pss->mgf1_hash, "sha256");
  EXPECT_EQ(cert->signature_algorithm.pss->salt_length, 32u);

  // saltLength 20 is the DEFAULT and must not be encoded.
  params.children[2].children[0].contents = "\x14";
  alg.children[1] = params;
  root_.children[1] = alg;
  TbsField(2) = alg;
  ExpectError("20 is the DEFAULT");
}

TEST_F(EditedCertificateTest, RejectsKeyUsageWithTrailingZeroBits) {
  // digitalSignature|keyEncipherment as 03 03 00 a0 00 (padded to 16 bits).
  Extensions().children[1].children.back().contents =
      std::string("\x03\x03\x00\xa0\x00", 5);
  ExpectError("trailing zero bits");
}

TEST_F(EditedCertificateTest, RejectsBadIpAddressLength) {
  DerNode names = Constructed(
      CBS_ASN1_SEQUENCE,
      {Primitive(CBS_ASN1_CONTEXT_SPECIFIC | 7, std::string("\x01\x02\x03", 3))});
  Extensions().children.back().children.back().contents = EncodeDerTree(names);
  ExpectError("iPAddress must be 4 or 16 octets, got 3");
}

TEST_F(EditedCertificateTest, RejectsNonAsciiDnsName) {
  DerNode names = Constructed(
      CBS_ASN1_SEQUENCE,
      {Primitive(CBS_ASN1_CONTEXT_SPECIFIC | 2, "b\xc3\xbc" "cher.example")});
  Extensions().children.back().children.back().contents = EncodeDerTree(names);
  ExpectError("dNSName: IA5String has invalid character 0xc3");
}

TEST_F(EditedCertificateTest, ListsOtherGeneralNames) {
  DerNode names = Constructed(
      CBS_ASN1_SEQUENCE,
      {Primitive(CBS_ASN1_CONTEXT_SPECIFIC | 8, "\x2b\x06\x01"),
       Primitive(CBS_ASN1_CONTEXT_SPECIFIC | 2, "mx.example.com")});
  Extensions().children.back().children.back().contents = EncodeDerTree(names);
  absl::StatusOr<Certificate> cert = Reparse();
  ASSERT_TRUE(cert.ok()) << cert.status();
  ASSERT_EQ(cert->subject_alt_names.size(), 2u);
  EXPECT_EQ(ToString(cert->subject_alt_names[0]), "other:registeredID:1.3.6.1");
}

TEST_F(EditedCertificateTest, RejectsExtensionsInV1) {
  TbsField(0).children[0].contents = std::string("\x01", 1);  // v2
  ExpectError("extensions require a v3 certificate");
}

TEST_F(EditedCertificateTest, RejectsNegativeModulus) {
  DerNode& spki = TbsField(6);
  DerNode key = ParseDerTree(spki.children[1].contents.substr(1));
  key.children[0].contents[0] = '\x80';
  spki.children[1].contents = std::string(1, '\0') + EncodeDerTree(key);
  ExpectError("INTEGER is negative");
}

// Found by x509_differential_fuzzer: BoringSSL rejects an end-of-contents
// element as AlgorithmIdentifier parameters, and so must we.
TEST_F(EditedCertificateTest, RejectsEndOfContentsAsKeyParameters) {
  DerNode& alg = TbsField(6).children[0];
  alg.children[0].contents = std::string("\x2a\x86\x48\x08\x00", 5);
  alg.children[1] = Primitive(0, "");
  ExpectError("subjectPublicKeyInfo.algorithm.parameters at offset");
  ExpectError("end-of-contents");
}

// Also found by the differential fuzzer: parameters of an unknown key type
// must still be valid DER for their universal type.
TEST_F(EditedCertificateTest, RejectsMalformedBooleanAsKeyParameters) {
  DerNode& alg = TbsField(6).children[0];
  alg.children[0].contents = std::string("\x2a\x86\x48\x08\x00", 5);
  alg.children[1] = Primitive(CBS_ASN1_BOOLEAN, "\x05\x2b");
  ExpectError("BOOLEAN must be one octet");
}

TEST_F(EditedCertificateTest, RejectsConstructedPrimitiveTypeAsParameters) {
  DerNode& alg = TbsField(6).children[0];
  alg.children[0].contents = std::string("\x2a\x86\x48\x08\x00", 5);
  alg.children[1] = Constructed(29, {});  // [UNIVERSAL 29] constructed
  ExpectError("universal tag 29 must be primitive in DER");
}

TEST_F(EditedCertificateTest, RejectsOddBmpStringAsParameters) {
  DerNode& alg = TbsField(6).children[0];
  alg.children[0].contents = std::string("\x2a\x86\x48\x08\x00", 5);
  alg.children[1] = Primitive(CBS_ASN1_BMPSTRING, "abc");
  ExpectError("BMPString has an odd length");
}

TEST_F(EditedCertificateTest, RejectsTwoParameterElements) {
  DerNode& alg = TbsField(6).children[0];
  alg.children.push_back(Primitive(CBS_ASN1_NULL, ""));
  ExpectError("trailing bytes after the parameters");
}

TEST(CertificateParseTest, RejectsEmptyAndGarbageInput) {
  absl::StatusOr<Certificate> cert = ParseCertificate("");
  ASSERT_FALSE(cert.ok());
  EXPECT_THAT(cert.status().message(), HasSubstr("certificate at offset 0"));
  cert = ParseCertificate("\x30\x80\x00\x00");
  ASSERT_FALSE(cert.ok());
  EXPECT_THAT(cert.status().message(), HasSubstr("indefinite length"));
  cert = ParseCertificate(std::string("\x30\x00", 2));
  ASSERT_FALSE(cert.ok());
  EXPECT_THAT(cert.status().message(), HasSubstr("tbsCertificate at offset 2"));
}

}  // namespace
}  // namespace mailshake::x509
