#include "src/wire/catalog.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace mailshake::wire {
namespace {

TEST(CatalogTest, EveryListedSuiteDerivesItsAttributes) {
  // 189 names are listed in catalog.cc; a name DeriveSuite cannot parse
  // would silently drop out of the table.
  EXPECT_EQ(CipherSuites().size(), 189u);
}

TEST(CatalogTest, SuitesAreSortedAndUnique) {
  uint16_t last = 0;
  for (const CipherSuiteInfo& s : CipherSuites()) {
    EXPECT_GT(s.id, last) << s.iana_name;
    last = s.id;
  }
}

TEST(CatalogTest, DerivesModernSuite) {
  const CipherSuiteInfo* s = FindCipherSuite(0xc02f);
  ASSERT_NE(s, nullptr);
  EXPECT_STREQ(s->openssl_name, "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(s->key_exchange, KeyExchange::kEcdhe);
  EXPECT_EQ(s->authentication, Authentication::kRsa);
  EXPECT_EQ(s->cipher, Cipher::kAes128);
  EXPECT_EQ(s->mode, CipherMode::kGcm);
  EXPECT_EQ(s->mac, Mac::kAead);
  EXPECT_EQ(s->min_version, kTls12);
  EXPECT_EQ(s->max_version, kTls12);
  EXPECT_TRUE(s->forward_secret());
  EXPECT_TRUE(s->aead());
  EXPECT_FALSE(s->export_grade || s->null_cipher || s->anonymous);
}

TEST(CatalogTest, DerivesLegacyFlags) {
  const CipherSuiteInfo* exp = FindCipherSuite(0x0003);
  ASSERT_NE(exp, nullptr);
  EXPECT_TRUE(exp->export_grade);
  EXPECT_EQ(exp->cipher_bits(), 40);
  EXPECT_EQ(exp->max_version, kTls10);
  EXPECT_EQ(exp->min_version, kSsl3);
  EXPECT_FALSE(exp->forward_secret());

  const CipherSuiteInfo* anon = FindCipherSuite(0xc018);
  ASSERT_NE(anon, nullptr);
  EXPECT_TRUE(anon->anonymous);
  EXPECT_EQ(anon->min_version, kTls10);  // EC suites start at TLS 1.0

  const CipherSuiteInfo* null = FindCipherSuite(0x0002);
  ASSERT_NE(null, nullptr);
  EXPECT_TRUE(null->null_cipher);
  EXPECT_EQ(null->mac, Mac::kSha1);

  const CipherSuiteInfo* des = FindCipherSuite(0x0009);
  ASSERT_NE(des, nullptr);
  EXPECT_EQ(des->max_version, kTls11);

  const CipherSuiteInfo* rsa = FindCipherSuite(0x002f);
  ASSERT_NE(rsa, nullptr);
  EXPECT_EQ(rsa->key_exchange, KeyExchange::kRsa);
  EXPECT_FALSE(rsa->forward_secret());
  EXPECT_EQ(rsa->mode, CipherMode::kCbc);

  const CipherSuiteInfo* ccm8 = FindCipherSuite(0xc0a0);
  ASSERT_NE(ccm8, nullptr);
  EXPECT_EQ(ccm8->mode, CipherMode::kCcm8);
  EXPECT_EQ(ccm8->mac, Mac::kAead);
}

TEST(CatalogTest, Tls13SuitesAreTls13Only) {
  for (uint16_t id : {0x1301, 0x1302, 0x1303, 0x1304, 0x1305}) {
    const CipherSuiteInfo* s = FindCipherSuite(id);
    ASSERT_NE(s, nullptr) << id;
    EXPECT_EQ(s->min_version, kTls13);
    EXPECT_EQ(s->max_version, kTls13);
    EXPECT_TRUE(s->forward_secret());
  }
  EXPECT_EQ(SuitesForVersion(kTls13).size(), 5u);
}

TEST(CatalogTest, SuitesForVersionRespectsRanges) {
  std::set<uint16_t> ssl3;
  for (uint16_t id : SuitesForVersion(kSsl3)) ssl3.insert(id);
  EXPECT_TRUE(ssl3.count(0x000a));   // 3DES
  EXPECT_FALSE(ssl3.count(0xc013));  // ECDHE needs TLS 1.0
  EXPECT_FALSE(ssl3.count(0x009c));  // GCM needs TLS 1.2
  std::vector<uint16_t> tls12 = SuitesForVersion(kTls12);
  EXPECT_GT(tls12.size(), 128u);  // needs three chunks of 64
  for (uint16_t id : tls12) {
    EXPECT_NE(id, kEmptyRenegotiationInfoScsv);
    EXPECT_FALSE(FindCipherSuite(id)->export_grade);
  }
}

TEST(CatalogTest, FindsSuitesByEitherName) {
  EXPECT_EQ(FindCipherSuiteByName("ECDHE-ECDSA-CHACHA20-POLY1305")->id, 0xcca9);
  EXPECT_EQ(FindCipherSuiteByName("tls_rsa_with_aes_256_cbc_sha")->id, 0x0035);
  EXPECT_EQ(FindCipherSuiteByName("nonsense"), nullptr);
  EXPECT_EQ(FindCipherSuite(0x0000), nullptr);
}

TEST(CatalogTest, GroupsCoverClassicalFfdheAndHybrids) {
  const GroupInfo* x25519 = FindGroup(29);
  ASSERT_NE(x25519, nullptr);
  EXPECT_TRUE(x25519->key_share_supported);
  EXPECT_EQ(FindGroupByName("X25519MLKEM768")->id, 4588);
  EXPECT_EQ(FindGroupByName("P-384")->id, 24);
  EXPECT_EQ(FindGroup(256)->kind, GroupKind::kFfdhe);
  EXPECT_EQ(FindGroup(256)->bits, 2048);
  EXPECT_EQ(FindGroup(31)->min_version, kTls13);  // brainpoolP256r1tls13
  EXPECT_EQ(FindGroup(26)->max_version, kTls12);  // brainpoolP256r1
  EXPECT_FALSE(FindGroup(30)->key_share_supported);
  uint16_t last = 0;
  for (const GroupInfo& g : Groups()) {
    EXPECT_GT(g.id, last);
    last = g.id;
  }
}

TEST(CatalogTest, SignatureSchemesKnowTheirHash) {
  EXPECT_EQ(FindSignatureScheme(0x0201)->hash, Hash::kSha1);
  EXPECT_FALSE(FindSignatureScheme(0x0201)->tls13_allowed);
  EXPECT_TRUE(FindSignatureScheme(0x0804)->tls13_allowed);
  EXPECT_STREQ(FindSignatureScheme(0x0403)->name, "ecdsa_secp256r1_sha256");
}

TEST(CatalogTest, NamesVersionsAndAlerts) {
  EXPECT_STREQ(VersionName(kSsl3), "SSLv3");
  EXPECT_STREQ(VersionName(kTls13), "TLSv1.3");
  EXPECT_STREQ(VersionName(0x7f1c), "0x7f1c");
  EXPECT_STREQ(AlertName(40), "handshake_failure");
  EXPECT_STREQ(AlertName(86), "inappropriate_fallback");
  EXPECT_STREQ(AlertName(200), "alert_200");
}

TEST(CatalogTest, NamesCodepointsByIanaNameOrHex) {
  EXPECT_EQ(SuiteName(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(SuiteName(0x1301), "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(SuiteName(0xfefe), "0xfefe");
  EXPECT_EQ(GroupName(29), "x25519");
  EXPECT_EQ(GroupName(256), "ffdhe2048");
  EXPECT_EQ(GroupName(0x0abc), "0x0abc");
  EXPECT_EQ(SignatureSchemeName(0x0804), "rsa_pss_rsae_sha256");
  EXPECT_EQ(SignatureSchemeName(0x0001), "0x0001");
}

}  // namespace
}  // namespace mailshake::wire
