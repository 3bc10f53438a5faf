#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/x509/testing.h"
#include "src/x509/x509.h"

namespace mailshake::x509 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using x509::testing::ReadTestdata;

TEST(PemTest, DecodesToTheSameBytesAsTheDerFile) {
  absl::StatusOr<std::vector<std::string>> ders =
      DecodePemCertificates(ReadTestdata("leaf-rsa2048.pem"));
  ASSERT_TRUE(ders.ok()) << ders.status();
  ASSERT_EQ(ders->size(), 1u);
  EXPECT_EQ((*ders)[0], ReadTestdata("leaf-rsa2048.der"));
}

TEST(PemTest, ReadsEveryBlockAndIgnoresSurroundingText) {
  absl::StatusOr<std::vector<std::string>> ders =
      DecodePemCertificates(ReadTestdata("two-with-text.pem"));
  ASSERT_TRUE(ders.ok()) << ders.status();
  EXPECT_THAT(*ders, ElementsAre(ReadTestdata("ecdsa-p256.der"),
                                 ReadTestdata("ed25519.der")));
}

TEST(PemTest, AcceptsCrlfLineEndings) {
  absl::StatusOr<std::vector<std::string>> ders =
      DecodePemCertificates(ReadTestdata("crlf.pem"));
  ASSERT_TRUE(ders.ok()) << ders.status();
  EXPECT_THAT(*ders, ElementsAre(ReadTestdata("ecdsa-p256.der")));
}

TEST(PemTest, SkipsOtherBlockTypes) {
  const std::string pem = absl::StrCat(
      "-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n"
      "-----END PRIVATE KEY-----\n",
      ReadTestdata("ecdsa-p256.pem"));
  absl::StatusOr<std::vector<std::string>> ders = DecodePemCertificates(pem);
  ASSERT_TRUE(ders.ok()) << ders.status();
  EXPECT_EQ(ders->size(), 1u);
}

TEST(PemTest, NamesEachDefect) {
  EXPECT_THAT(DecodePemCertificates(ReadTestdata("pem-truncated.pem"))
                  .status()
                  .message(),
              HasSubstr("CERTIFICATE opened on line 1 has no END line"));
  EXPECT_THAT(DecodePemCertificates(ReadTestdata("pem-bad-base64.pem"))
                  .status()
                  .message(),
              HasSubstr("PEM certificate 1, line 2: invalid base64 character "
                        "0x21"));
  EXPECT_THAT(DecodePemCertificates("hello").status().message(),
              HasSubstr("no -----BEGIN CERTIFICATE----- block"));
  EXPECT_THAT(DecodePemCertificates("-----BEGIN CERTIFICATE-----\nAAA\n"
                                    "-----END CERTIFICATE-----\n")
                  .status()
                  .message(),
              HasSubstr("not a multiple of 4"));
  EXPECT_THAT(DecodePemCertificates("-----BEGIN CERTIFICATE-----\nA===\n"
                                    "-----END CERTIFICATE-----\n")
                  .status()
                  .message(),
              HasSubstr("invalid base64"));
  EXPECT_THAT(DecodePemCertificates("-----BEGIN CERTIFICATE-----\n"
                                    "-----END CERTIFICATE-----\n")
                  .status()
                  .message(),
              HasSubstr("is empty"));
  EXPECT_THAT(DecodePemCertificates("-----BEGIN CERTIFICATE-----\nAAAA\n"
                                    "-----END X509 CRL-----\n")
                  .status()
                  .message(),
              HasSubstr("END X509 CRL does not close BEGIN CERTIFICATE"));
  EXPECT_THAT(DecodePemCertificates("-----BEGIN CERTIFICATE-----\n"
                                    "-----BEGIN CERTIFICATE-----\n")
                  .status()
                  .message(),
              HasSubstr("BEGIN inside"));
}

TEST(PemTest, BoundsTheNumberOfBlocksAndBytes) {
  const std::string one = ReadTestdata("ed25519.pem");
  std::string many;
  for (size_t i = 0; i <= kMaxPemCertificates; ++i) many += one;
  EXPECT_THAT(DecodePemCertificates(many).status().message(),
              HasSubstr("more than 64 PEM certificates"));
  EXPECT_THAT(DecodePemCertificates(std::string(kMaxPemBytes + 1, ' '))
                  .status()
                  .message(),
              HasSubstr("limit"));
}

TEST(ChainTest, OrderedChainEndsAtRoot) {
  absl::StatusOr<CertificateChain> chain =
      CertificateChain::FromPem(ReadTestdata("chain.pem"));
  ASSERT_TRUE(chain.ok()) << chain.status();
  ASSERT_EQ(chain->size(), 3u);
  const ChainAnalysis a = AnalyzeChain(chain->certificates());
  EXPECT_TRUE(a.ordered);
  EXPECT_TRUE(a.broken_links.empty());
  EXPECT_TRUE(a.ends_at_self_signed_root);
  EXPECT_FALSE(a.leaf_self_signed);
  EXPECT_TRUE(IsIssuedBy(chain->certificates()[0], chain->certificates()[1]));
  EXPECT_FALSE(IsIssuedBy(chain->certificates()[1], chain->certificates()[0]));
  EXPECT_TRUE(IsSelfSigned(chain->certificates()[2]));
}

TEST(ChainTest, MisorderedChainNamesTheBrokenLinks) {
  absl::StatusOr<CertificateChain> chain =
      CertificateChain::FromPem(ReadTestdata("chain-misordered.pem"));
  ASSERT_TRUE(chain.ok()) << chain.status();
  const ChainAnalysis a = AnalyzeChain(chain->certificates());
  EXPECT_FALSE(a.ordered);
  // leaf -> root is broken; root -> intermediate is broken too.
  EXPECT_THAT(a.broken_links, ElementsAre(0u, 1u));
  EXPECT_FALSE(a.ends_at_self_signed_root);
}

TEST(ChainTest, LeafWithoutIssuerDoesNotEndAtRoot) {
  absl::StatusOr<CertificateChain> chain =
      CertificateChain::FromFileContents(ReadTestdata("leaf-rsa2048.der"));
  ASSERT_TRUE(chain.ok()) << chain.status();
  const ChainAnalysis a = AnalyzeChain(chain->certificates());
  EXPECT_TRUE(a.ordered);
  EXPECT_FALSE(a.ends_at_self_signed_root);
  EXPECT_FALSE(AnalyzeChain({}).ordered);
}

TEST(ChainTest, SelfSignedLeafIsDetected) {
  absl::StatusOr<CertificateChain> chain =
      CertificateChain::FromFileContents(ReadTestdata("self-signed.pem"));
  ASSERT_TRUE(chain.ok()) << chain.status();
  const ChainAnalysis a = AnalyzeChain(chain->certificates());
  EXPECT_TRUE(a.leaf_self_signed);
  EXPECT_TRUE(a.ends_at_self_signed_root);
}

TEST(ChainTest, KeyIdentifierMismatchBreaksTheLink) {
  absl::StatusOr<CertificateChain> chain =
      CertificateChain::FromPem(ReadTestdata("chain.pem"));
  ASSERT_TRUE(chain.ok()) << chain.status();
  Certificate leaf = chain->certificates()[0];
  const std::string other_id = "not the issuer's key id";
  leaf.authority_key_id = other_id;
  EXPECT_FALSE(IsIssuedBy(leaf, chain->certificates()[1]));
  leaf.authority_key_id.reset();
  EXPECT_TRUE(IsIssuedBy(leaf, chain->certificates()[1]));
}

TEST(ChainTest, NamesCompareCaseInsensitivelyAcrossStringTypes) {
  absl::StatusOr<CertificateChain> chain =
      CertificateChain::FromPem(ReadTestdata("chain.pem"));
  ASSERT_TRUE(chain.ok()) << chain.status();
  Name a = chain->certificates()[0].issuer;
  Name b = a;
  b.der = "different bytes";
  b.rdns.back().attributes.back().value = "MAILSHAKE  test issuing CA 1 ";
  b.rdns.back().attributes.back().string_tag = 0x13;
  EXPECT_TRUE(NamesEqual(a, b));
  b.rdns.back().attributes.back().value = "Mailshake Test Issuing CA 2";
  EXPECT_FALSE(NamesEqual(a, b));
}

TEST(ChainTest, ChainSurvivesMoves) {
  absl::StatusOr<CertificateChain> chain =
      CertificateChain::FromPem(ReadTestdata("chain.pem"));
  ASSERT_TRUE(chain.ok()) << chain.status();
  CertificateChain moved = *std::move(chain);
  std::vector<CertificateChain> holder;
  holder.push_back(std::move(moved));
  holder.reserve(16);
  EXPECT_EQ(holder[0].leaf().subject.Last(AttributeType::kCommonName),
            "mail.example.com");
  EXPECT_EQ(holder[0].leaf().der.size(),
            ReadTestdata("leaf-rsa2048.der").size());
}

TEST(ChainTest, ErrorsNameTheFailingCertificate) {
  const std::string pem = absl::StrCat(ReadTestdata("ecdsa-p256.pem"),
                                       "-----BEGIN CERTIFICATE-----\nMAA=\n"
                                       "-----END CERTIFICATE-----\n");
  absl::StatusOr<CertificateChain> chain = CertificateChain::FromPem(pem);
  ASSERT_FALSE(chain.ok());
  EXPECT_THAT(chain.status().message(), HasSubstr("certificate 2 of 2"));
  EXPECT_THAT(chain.status().message(), HasSubstr("tbsCertificate"));
}

}  // namespace
}  // namespace mailshake::x509
