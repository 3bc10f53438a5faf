#include "src/tls/tls.h"

#include <stdio.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <openssl/pool.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/tls/memory_pair.h"

namespace mailshake::tls {
namespace {

using ::testing::HasSubstr;

constexpr char kHost[] = "mx.example.test";
constexpr char kAllSigalgs[] =
    "ecdsa_secp256r1_sha256,ecdsa_secp384r1_sha384,ed25519,rsa_pss_rsae_sha256,"
    "rsa_pkcs1_sha256";

// TestCredential generates one credential per key type and host for the whole
// test binary: RSA-4096 generation costs seconds.
const Credential& TestCredential(KeyType type, const std::string& host = kHost) {
  static auto* cache = new std::map<std::pair<KeyType, std::string>, Credential>;
  auto it = cache->find({type, host});
  if (it == cache->end()) {
    absl::StatusOr<Credential> credential = GenerateSelfSigned(type, host);
    EXPECT_TRUE(credential.ok()) << credential.status();
    it = cache->emplace(std::make_pair(type, host), *std::move(credential)).first;
  }
  return it->second;
}

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(testing::TempDir(), "/", name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  return path;
}

bssl::UniquePtr<SSL_CTX> ServerCtx(ServerConfig config) {
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = NewServerContext(config);
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  return ctx.ok() ? *std::move(ctx) : nullptr;
}

bssl::UniquePtr<SSL_CTX> ClientCtx(ClientConfig config) {
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = NewClientContext(config);
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  return ctx.ok() ? *std::move(ctx) : nullptr;
}

ServerConfig ServerWith(KeyType type) {
  ServerConfig config;
  config.credentials.push_back(TestCredential(type));
  return config;
}

ClientConfig AnyClient() {
  ClientConfig config;
  config.sigalgs = kAllSigalgs;
  config.resumption = ClientConfig::Resumption::kOff;
  return config;
}

// Handshake runs one in-memory handshake and returns the pair.
absl::StatusOr<MemoryPair> Handshake(SSL_CTX* client, SSL_CTX* server) {
  absl::StatusOr<MemoryPair> pair = MemoryPair::Create(client, server);
  if (!pair.ok()) return pair.status();
  if (absl::Status s = pair->Handshake(); !s.ok()) return s;
  return pair;
}

// ---- Key types and credentials.

class EveryKeyType : public testing::TestWithParam<KeyType> {};

TEST_P(EveryKeyType, GeneratesCredentialThatCompletesTls13AndTls12Handshakes) {
  const Credential& credential = TestCredential(GetParam());
  ASSERT_EQ(credential.chain.size(), 1u);
  EXPECT_EQ(credential.Describe().AsKeyType(), GetParam());

  for (uint16_t version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
    SCOPED_TRACE(VersionName(version));
    ServerConfig server = ServerWith(GetParam());
    ClientConfig client = AnyClient();
    client.min_version = client.max_version = version;
    bssl::UniquePtr<SSL_CTX> server_ctx = ServerCtx(server);
    bssl::UniquePtr<SSL_CTX> client_ctx = ClientCtx(client);
    absl::StatusOr<MemoryPair> pair = Handshake(client_ctx.get(), server_ctx.get());
    ASSERT_TRUE(pair.ok()) << pair.status();
    const HandshakeInfo info = ReadHandshakeInfo(pair->client());
    EXPECT_EQ(info.version, version);
    EXPECT_FALSE(info.resumed);
    EXPECT_EQ(info.peer_key.AsKeyType(), GetParam()) << info.ToString();
    EXPECT_NE(info.signature_algorithm, 0) << info.ToString();
  }
}

INSTANTIATE_TEST_SUITE_P(Tls, EveryKeyType, testing::ValuesIn(kAllKeyTypes),
                         [](const testing::TestParamInfo<KeyType>& info) {
                           return std::string(KeyTypeName(info.param));
                         });

TEST(KeyTypeTest, NamesRoundTripAndUnknownNameIsRejected) {
  for (KeyType type : kAllKeyTypes) {
    absl::StatusOr<KeyType> parsed = ParseKeyType(KeyTypeName(type));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_EQ(*ParseKeyType("RSA2048"), KeyType::kRsa2048);
  absl::Status bad = ParseKeyType("dsa1024").status();
  EXPECT_THAT(bad.message(), HasSubstr("\"dsa1024\""));
}

TEST(GenerateSelfSignedTest, CertificateNamesTheHostAndIsSelfIssued) {
  const Credential& credential = TestCredential(KeyType::kEcdsaP256);
  bssl::UniquePtr<X509> cert(X509_parse_from_buffer(credential.chain[0].get()));
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert.get(), kHost, strlen(kHost), 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "other.example.test", 18, 0, nullptr), 0);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())),
            0);
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notBefore(cert.get())), -1);
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notAfter(cert.get())), 1);
}

TEST(GenerateSelfSignedTest, SerialsDiffer) {
  absl::StatusOr<Credential> a = GenerateSelfSigned(KeyType::kEd25519, kHost);
  absl::StatusOr<Credential> b = GenerateSelfSigned(KeyType::kEd25519, kHost);
  ASSERT_TRUE(a.ok() && b.ok());
  bssl::UniquePtr<X509> ca(X509_parse_from_buffer(a->chain[0].get()));
  bssl::UniquePtr<X509> cb(X509_parse_from_buffer(b->chain[0].get()));
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(ca.get()), X509_get0_serialNumber(cb.get())),
            0);
  EXPECT_NE(a->Sha256Fingerprint(), b->Sha256Fingerprint());
}

TEST(GenerateSelfSignedTest, RejectsEmptyHostName) {
  EXPECT_FALSE(GenerateSelfSigned(KeyType::kEd25519, "").ok());
}

TEST(CredentialTest, CopySharesKeyAndBuffers) {
  const Credential& original = TestCredential(KeyType::kEcdsaP256);
  Credential copy = original;
  EXPECT_EQ(copy.key.get(), original.key.get());
  ASSERT_EQ(copy.chain.size(), 1u);
  EXPECT_EQ(copy.chain[0].get(), original.chain[0].get());
  EXPECT_EQ(copy.Sha256Fingerprint(), original.Sha256Fingerprint());
  EXPECT_EQ(copy.Sha256Fingerprint().size(), 32u * 3 - 1);
}

TEST(LoadCredentialTest, ReadsPemChainLeafFirstAndKey) {
  const Credential& leaf = TestCredential(KeyType::kRsa2048);
  const Credential& other = TestCredential(KeyType::kEcdsaP384);
  const std::string chain_pem = *ChainToPem(leaf) + *ChainToPem(other);
  const std::string cert_path = WriteTempFile("chain.pem", chain_pem);
  const std::string key_path = WriteTempFile("leaf.key", *PrivateKeyToPem(leaf));

  absl::StatusOr<Credential> loaded = LoadCredential(cert_path, key_path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->chain.size(), 2u);
  EXPECT_EQ(loaded->Sha256Fingerprint(), leaf.Sha256Fingerprint());
  Credential second_only;
  CRYPTO_BUFFER_up_ref(loaded->chain[1].get());
  second_only.chain.emplace_back(loaded->chain[1].get());
  EXPECT_EQ(second_only.Sha256Fingerprint(), other.Sha256Fingerprint());
  EXPECT_EQ(loaded->Describe().AsKeyType(), KeyType::kRsa2048);

  // The loaded credential serves a handshake, and the client sees both certs.
  ServerConfig server;
  server.credentials.push_back(*loaded);
  bssl::UniquePtr<SSL_CTX> server_ctx = ServerCtx(server);
  bssl::UniquePtr<SSL_CTX> client_ctx = ClientCtx(AnyClient());
  absl::StatusOr<MemoryPair> pair = Handshake(client_ctx.get(), server_ctx.get());
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(sk_CRYPTO_BUFFER_num(SSL_get0_peer_certificates(pair->client())), 2u);
}

TEST(LoadCredentialTest, RejectsKeyThatDoesNotMatchLeaf) {
  const std::string cert_path =
      WriteTempFile("p256.pem", *ChainToPem(TestCredential(KeyType::kEcdsaP256)));
  const std::string key_path =
      WriteTempFile("other.key", *PrivateKeyToPem(TestCredential(KeyType::kEcdsaP384)));
  absl::Status status = LoadCredential(cert_path, key_path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("does not match"));
}

TEST(LoadCredentialTest, ReportsMissingFileAndFileWithoutCertificates) {
  absl::Status missing = LoadCredential("/nonexistent/cert.pem", "/nonexistent/key.pem").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("/nonexistent/cert.pem"));

  const std::string empty = WriteTempFile("empty.pem", "no pem here\n");
  absl::Status none = LoadCredential(empty, empty).status();
  EXPECT_EQ(none.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(none.message(), HasSubstr("no PEM certificate"));
}

TEST(ServerContextTest, RejectsMismatchedKeyAndCertificate) {
  Credential mismatched = TestCredential(KeyType::kEcdsaP256);
  mismatched.key = Credential(TestCredential(KeyType::kEcdsaP384)).key;
  ServerConfig config;
  config.credentials.push_back(mismatched);
  absl::Status status = NewServerContext(config).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("credential 1"));
}

TEST(ServerContextTest, RequiresACredential) {
  EXPECT_FALSE(NewServerContext(ServerConfig()).ok());
}

TEST(DescribeCertificateKeyTest, RejectsBytesThatAreNotACertificate) {
  static const uint8_t kGarbage[] = {0x30, 0x03, 0x02, 0x01, 0x01};
  bssl::UniquePtr<CRYPTO_BUFFER> buffer(CRYPTO_BUFFER_new(kGarbage, sizeof(kGarbage), nullptr));
  EXPECT_FALSE(DescribeCertificateKey(buffer.get()).ok());
}

// ---- The catalog.

TEST(CatalogTest, ListsEcdheSuitesWithForwardSecrecyAndTls13Suites) {
  const CipherSuite* rsa_gcm = FindCipherSuite(0xc030);
  ASSERT_NE(rsa_gcm, nullptr);
  EXPECT_EQ(rsa_gcm->standard_name, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
  EXPECT_EQ(rsa_gcm->openssl_name, "ECDHE-RSA-AES256-GCM-SHA384");
  EXPECT_TRUE(rsa_gcm->forward_secret);
  EXPECT_EQ(rsa_gcm->auth, CipherSuite::Auth::kRsa);

  const CipherSuite* ecdsa_chacha = FindCipherSuite(0xcca9);
  ASSERT_NE(ecdsa_chacha, nullptr);
  EXPECT_EQ(ecdsa_chacha->auth, CipherSuite::Auth::kEcdsa);

  const CipherSuite* plain_rsa = FindCipherSuite(0x009c);  // TLS_RSA_WITH_AES_128_GCM_SHA256
  ASSERT_NE(plain_rsa, nullptr);
  EXPECT_FALSE(plain_rsa->forward_secret);

  for (uint16_t id : {0x1301, 0x1302, 0x1303}) {
    const CipherSuite* suite = FindCipherSuite(id);
    ASSERT_NE(suite, nullptr) << id;
    EXPECT_EQ(suite->min_version, TLS1_3_VERSION);
    EXPECT_TRUE(suite->forward_secret);
  }
  EXPECT_EQ(CipherName(0x1301), "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(CipherName(0xfefe), "0xfefe");
}

TEST(CatalogTest, ParsesStandardAndBoringSslSuiteNamesInOrder) {
  absl::StatusOr<std::vector<const CipherSuite*>> suites = ParseCipherSuites(
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, ecdhe-rsa-aes128-gcm-sha256");
  ASSERT_TRUE(suites.ok()) << suites.status();
  ASSERT_EQ(suites->size(), 2u);
  EXPECT_EQ((*suites)[0]->id, 0xcca9);
  EXPECT_EQ((*suites)[1]->id, 0xc02f);
  EXPECT_TRUE(ParseCipherSuites("")->empty());
}

TEST(CatalogTest, SuiteListErrorsNameTheBadEntry) {
  absl::Status unknown = ParseCipherSuites("ECDHE-RSA-AES128-GCM-SHA256,RC4-MD5").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.message(), HasSubstr("\"RC4-MD5\""));

  absl::Status duplicate =
      ParseCipherSuites("ECDHE-RSA-AES128-GCM-SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
          .status();
  EXPECT_THAT(duplicate.message(), HasSubstr("more than once"));

  absl::Status empty = ParseCipherSuites("ECDHE-RSA-AES128-GCM-SHA256,,").status();
  EXPECT_THAT(empty.message(), HasSubstr("empty entry 2"));
}

TEST(CatalogTest, ParsesGroupsWithAliasesAndNamesBadEntry) {
  absl::StatusOr<std::vector<const Group*>> groups =
      ParseGroups("x25519,prime256v1,secp384r1,P-521,CECPQ2");
  ASSERT_TRUE(groups.ok()) << groups.status();
  ASSERT_EQ(groups->size(), 5u);
  EXPECT_EQ((*groups)[0]->id, SSL_CURVE_X25519);
  EXPECT_EQ((*groups)[1]->id, SSL_CURVE_SECP256R1);
  EXPECT_EQ((*groups)[4]->id, SSL_CURVE_CECPQ2);
  EXPECT_THAT(ParseGroups("X25519,P-192").status().message(), HasSubstr("\"P-192\""));
  EXPECT_THAT(ParseGroups("X25519,x25519").status().message(), HasSubstr("more than once"));
  EXPECT_EQ(GroupName(SSL_CURVE_SECP384R1), "P-384");
  EXPECT_EQ(GroupName(0), "none");
}

TEST(CatalogTest, ParsesSignatureAlgorithmsAndNamesBadEntry) {
  absl::StatusOr<std::vector<const SignatureAlgorithm*>> sigalgs =
      ParseSignatureAlgorithms("ed25519,rsa_pss_rsae_sha256");
  ASSERT_TRUE(sigalgs.ok());
  EXPECT_EQ((*sigalgs)[0]->id, SSL_SIGN_ED25519);
  EXPECT_EQ((*sigalgs)[1]->id, SSL_SIGN_RSA_PSS_RSAE_SHA256);
  EXPECT_THAT(ParseSignatureAlgorithms("ed25519,rsa_pss_sha256").status().message(),
              HasSubstr("\"rsa_pss_sha256\""));
  EXPECT_EQ(SigalgName(SSL_SIGN_ECDSA_SECP384R1_SHA384), "ecdsa_secp384r1_sha384");
}

TEST(CatalogTest, SignatureAlgorithmsForKeyFollowVersionRules) {
  const KeyDescription p384 = TestCredential(KeyType::kEcdsaP384).Describe();
  const std::vector<uint16_t> offered = {SSL_SIGN_ECDSA_SECP256R1_SHA256,
                                         SSL_SIGN_ECDSA_SECP384R1_SHA384,
                                         SSL_SIGN_RSA_PKCS1_SHA256};
  // TLS 1.3 binds ECDSA algorithms to curves; TLS 1.2 does not.
  EXPECT_THAT(SignatureAlgorithmsFor(p384, TLS1_3_VERSION, offered),
              testing::ElementsAre(SSL_SIGN_ECDSA_SECP384R1_SHA384));
  EXPECT_THAT(SignatureAlgorithmsFor(p384, TLS1_2_VERSION, offered),
              testing::ElementsAre(SSL_SIGN_ECDSA_SECP256R1_SHA256,
                                   SSL_SIGN_ECDSA_SECP384R1_SHA384));
  const KeyDescription rsa = TestCredential(KeyType::kRsa2048).Describe();
  EXPECT_TRUE(SignatureAlgorithmsFor(rsa, TLS1_3_VERSION, offered).empty());
  EXPECT_THAT(SignatureAlgorithmsFor(rsa, TLS1_2_VERSION, offered),
              testing::ElementsAre(SSL_SIGN_RSA_PKCS1_SHA256));
}

TEST(CatalogTest, ParsesVersions) {
  EXPECT_EQ(*ParseVersion("1.2"), TLS1_2_VERSION);
  EXPECT_EQ(*ParseVersion("1.3"), TLS1_3_VERSION);
  EXPECT_EQ(*ParseVersion("TLSv1.3"), TLS1_3_VERSION);
  EXPECT_EQ(*ParseVersion("tls1.2"), TLS1_2_VERSION);
  EXPECT_THAT(ParseVersion("1.4").status().message(), HasSubstr("\"1.4\""));
  EXPECT_EQ(VersionName(TLS1_3_VERSION), "TLSv1.3");
}

// ---- Negotiated facts match what was forced.

TEST(NegotiationTest, ForcedTls12SuiteGroupAndSigalgAreWhatIsNegotiated) {
  ServerConfig server = ServerWith(KeyType::kRsa2048);
  ClientConfig client = AnyClient();
  client.max_version = TLS1_2_VERSION;
  client.ciphers = "ECDHE-RSA-AES256-GCM-SHA384";
  client.groups = "P-384";
  client.sigalgs = "rsa_pkcs1_sha256";
  bssl::UniquePtr<SSL_CTX> server_ctx = ServerCtx(server);
  bssl::UniquePtr<SSL_CTX> client_ctx = ClientCtx(client);
  absl::StatusOr<MemoryPair> pair = Handshake(client_ctx.get(), server_ctx.get());
  ASSERT_TRUE(pair.ok()) << pair.status();
  for (SSL* ssl : {pair->client(), pair->server()}) {
    const HandshakeInfo info = ReadHandshakeInfo(ssl);
    EXPECT_EQ(info.version, TLS1_2_VERSION);
    EXPECT_EQ(info.cipher_suite, 0xc030);
    EXPECT_EQ(info.group, SSL_CURVE_SECP384R1);
  }
  const HandshakeInfo client_info = ReadHandshakeInfo(pair->client());
  EXPECT_EQ(client_info.signature_algorithm, SSL_SIGN_RSA_PKCS1_SHA256);
  EXPECT_EQ(client_info.peer_key.AsKeyType(), KeyType::kRsa2048);
  EXPECT_EQ(client_info.ToString(),
            "TLSv1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 P-384 rsa_pkcs1_sha256 RSA-2048 "
            "full");
}

TEST(NegotiationTest, ForcedTls13GroupAndSigalgAreWhatIsNegotiated) {
  for (const char* group : {"X25519", "P-256", "P-384", "P-521", "CECPQ2"}) {
    SCOPED_TRACE(group);
    ServerConfig server = ServerWith(KeyType::kRsa3072);
    server.groups = group;  // BoringSSL's default omits P-521 and CECPQ2
    ClientConfig client = AnyClient();
    client.min_version = TLS1_3_VERSION;
    client.groups = group;
    client.sigalgs = "rsa_pss_rsae_sha384";
    bssl::UniquePtr<SSL_CTX> server_ctx = ServerCtx(server);
    bssl::UniquePtr<SSL_CTX> client_ctx = ClientCtx(client);
    absl::StatusOr<MemoryPair> pair = Handshake(client_ctx.get(), server_ctx.get());
    ASSERT_TRUE(pair.ok()) << pair.status();
    const HandshakeInfo info = ReadHandshakeInfo(pair->client());
    EXPECT_EQ(info.version, TLS1_3_VERSION);
    EXPECT_EQ(GroupName(info.group), group);
    EXPECT_EQ(info.signature_algorithm, SSL_SIGN_RSA_PSS_RSAE_SHA384);
    EXPECT_EQ(FindCipherSuite(info.cipher_suite)->min_version, TLS1_3_VERSION);
  }
}

TEST(NegotiationTest, ServerGroupListLimitsWhatClientCanGet) {
  ServerConfig server = ServerWith(KeyType::kEcdsaP256);
  server.groups = "P-256";
  ClientConfig client = AnyClient();
  client.groups = "X25519";
  bssl::UniquePtr<SSL_CTX> server_ctx = ServerCtx(server);
  bssl::UniquePtr<SSL_CTX> client_ctx = ClientCtx(client);
  absl::StatusOr<MemoryPair> pair = MemoryPair::Create(client_ctx.get(), server_ctx.get());
  ASSERT_TRUE(pair.ok());
  absl::Status status = pair->Handshake();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("server: "));
  // The server's refusal arrives at the client as an alert.
  std::optional<Alert> sent = LastAlert(pair->server());
  ASSERT_TRUE(sent.has_value());
  EXPECT_TRUE(sent->sent);
  EXPECT_EQ(sent->level, SSL3_AL_FATAL);
  EXPECT_EQ(sent->description, SSL_AD_HANDSHAKE_FAILURE);
}

// TLS 1.2 with an ECDSA certificate needs the certificate's curve among the
// groups both sides allow, even when the key exchange uses another group.
TEST(NegotiationTest, Tls12EcdsaCertificateNeedsItsCurveAmongTheGroups) {
  ServerConfig server = ServerWith(KeyType::kEcdsaP256);
  ClientConfig client = AnyClient();
  client.max_version = TLS1_2_VERSION;
  client.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
  client.groups = "X25519";
  {
    bssl::UniquePtr<SSL_CTX> server_ctx = ServerCtx(server);
    bssl::UniquePtr<SSL_CTX> client_ctx = ClientCtx(client);
    absl::Status status = Handshake(client_ctx.get(), server_ctx.get()).status();
    EXPECT_FALSE(status.ok());
    // BoringSSL's server signs anyway; its client refuses the certificate.
    EXPECT_THAT(std::string(status.message()), HasSubstr("client: "));
    EXPECT_THAT(std::string(status.message()), HasSubstr("BAD_ECC_CERT"));
  }
  // Offering P-256 as well lets the handshake through with X25519 for ECDHE.
  client.groups = "X25519,P-256";
  bssl::UniquePtr<SSL_CTX> server_ctx = ServerCtx(server);
  bssl::UniquePtr<SSL_CTX> client_ctx = ClientCtx(client);
  absl::StatusOr<MemoryPair> pair = Handshake(client_ctx.get(), server_ctx.get());
  ASSERT_TRUE(pair.ok()) << pair.status();
  const HandshakeInfo info = ReadHandshakeInfo(pair->client());
  EXPECT_EQ(info.group, SSL_CURVE_X25519);
  EXPECT_EQ(info.cipher_suite, 0xc02b);
}

TEST(ContextTest, CipherListRejectsTls13SuitesAndUnknownNames) {
  ClientConfig client = AnyClient();
  client.ciphers = "TLS_AES_128_GCM_SHA256";
  absl::Status tls13 = NewClientContext(client).status();
  EXPECT_EQ(tls13.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tls13.message(), HasSubstr("TLS 1.3 suite"));

  ServerConfig server = ServerWith(KeyType::kEcdsaP256);
  server.groups = "X25519,X448";
  EXPECT_THAT(NewServerContext(server).status().message(), HasSubstr("\"X448\""));

  client = AnyClient();
  client.min_version = TLS1_3_VERSION;
  client.max_version = TLS1_2_VERSION;
  EXPECT_THAT(NewClientContext(client).status().message(), HasSubstr("above maximum"));
}

// ---- Several credentials on one server.

TEST(CredentialSelectionTest, ServerPicksTheCredentialTheClientCanVerify) {
  ServerConfig server;
  server.credentials = {TestCredential(KeyType::kRsa2048), TestCredential(KeyType::kEcdsaP256),
                        TestCredential(KeyType::kEd25519)};
  bssl::UniquePtr<SSL_CTX> server_ctx = ServerCtx(server);

  struct Case {
    uint16_t version;
    const char* sigalgs;
    const char* ciphers;
    KeyType want;
  };
  const Case cases[] = {
      {TLS1_3_VERSION, kAllSigalgs, "", KeyType::kRsa2048},
      {TLS1_3_VERSION, "ecdsa_secp256r1_sha256", "", KeyType::kEcdsaP256},
      {TLS1_3_VERSION, "ed25519", "", KeyType::kEd25519},
      {TLS1_2_VERSION, kAllSigalgs, "ECDHE-ECDSA-AES128-GCM-SHA256", KeyType::kEcdsaP256},
      {TLS1_2_VERSION, kAllSigalgs, "ECDHE-RSA-AES128-GCM-SHA256", KeyType::kRsa2048},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(VersionName(c.version), " ", c.sigalgs, " ", c.ciphers));
    ClientConfig client = AnyClient();
    client.min_version = client.max_version = c.version;
    client.sigalgs = c.sigalgs;
    client.ciphers = c.ciphers;
    bssl::UniquePtr<SSL_CTX> client_ctx = ClientCtx(client);
    absl::StatusOr<MemoryPair> pair = Handshake(client_ctx.get(), server_ctx.get());
    ASSERT_TRUE(pair.ok()) << pair.status();
    EXPECT_EQ(ReadHandshakeInfo(pair->client()).peer_key.AsKeyType(), c.want);
  }
}

// ---- Resumption.

struct ResumptionCase {
  uint16_t version;
  ClientConfig::Resumption mode;
  bool want_resumed;
};

class ResumptionTest : public testing::TestWithParam<ResumptionCase> {};

TEST_P(ResumptionTest, SecondHandshakeResumesAsConfigured) {
  const ResumptionCase& c = GetParam();
  ServerConfig server = ServerWith(KeyType::kEcdsaP256);
  ClientConfig client = AnyClient();
  client.min_version = client.max_version = c.version;
  client.resumption = c.mode;
  bssl::UniquePtr<SSL_CTX> server_ctx = ServerCtx(server);
  bssl::UniquePtr<SSL_CTX> client_ctx = ClientCtx(client);
  for (int i = 0; i < 3; i++) {
    SCOPED_TRACE(i);
    absl::StatusOr<MemoryPair> pair = Handshake(client_ctx.get(), server_ctx.get());
    ASSERT_TRUE(pair.ok()) << pair.status();
    ASSERT_TRUE(pair->DeliverPostHandshake().ok());
    const HandshakeInfo client_info = ReadHandshakeInfo(pair->client());
    const HandshakeInfo server_info = ReadHandshakeInfo(pair->server());
    EXPECT_EQ(client_info.resumed, i > 0 && c.want_resumed);

    EXPECT_EQ(server_info.resumed, client_info.resumed);
    if (client_info.resumed) {
      // A resumed session still knows the server's key.
      EXPECT_EQ(client_info.peer_key.AsKeyType(), KeyType::kEcdsaP256);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Tls, ResumptionTest,
    testing::Values(ResumptionCase{TLS1_2_VERSION, ClientConfig::Resumption::kTicket, true},
                    ResumptionCase{TLS1_2_VERSION, ClientConfig::Resumption::kSessionId, true},
                    ResumptionCase{TLS1_2_VERSION, ClientConfig::Resumption::kOff, false},
                    ResumptionCase{TLS1_3_VERSION, ClientConfig::Resumption::kTicket, true},
                    // TLS 1.3 has only PSK resumption; refusing RFC 5077 tickets does not stop it.
                    ResumptionCase{TLS1_3_VERSION, ClientConfig::Resumption::kSessionId, true},
                    ResumptionCase{TLS1_3_VERSION, ClientConfig::Resumption::kOff, false}));

TEST(ResumptionTest, Tls12SessionIdModeResumesWithoutTickets) {
  ServerConfig server = ServerWith(KeyType::kEcdsaP256);
  ClientConfig client = AnyClient();
  client.max_version = TLS1_2_VERSION;
  client.resumption = ClientConfig::Resumption::kSessionId;
  bssl::UniquePtr<SSL_CTX> server_ctx = ServerCtx(server);
  bssl::UniquePtr<SSL_CTX> client_ctx = ClientCtx(client);
  ASSERT_TRUE(Handshake(client_ctx.get(), server_ctx.get()).ok());
  absl::StatusOr<MemoryPair> pair = Handshake(client_ctx.get(), server_ctx.get());
  ASSERT_TRUE(pair.ok());
  EXPECT_TRUE(SSL_session_reused(pair->client()));
  EXPECT_FALSE(SSL_SESSION_has_ticket(SSL_get_session(pair->client())));
  EXPECT_GT(SSL_CTX_sess_number(server_ctx.get()), 0u);
}

// ---- Certificate verification.

class VerifyTest : public testing::Test {
 protected:
  void SetUp() override {
    anchors_ = WriteTempFile("anchors.pem", *ChainToPem(TestCredential(KeyType::kEcdsaP256)));
    server_ctx_ = ServerCtx(ServerWith(KeyType::kEcdsaP256));
  }
  absl::StatusOr<MemoryPair> Connect(ClientConfig::Verify verify, const std::string& name,
                                     const std::string& anchors) {
    ClientConfig client = AnyClient();
    client.verify = verify;
    client.server_name = name;
    client.trust_anchors_pem_path = anchors;
    client_ctx_ = ClientCtx(client);
    absl::StatusOr<MemoryPair> pair = MemoryPair::Create(client_ctx_.get(), server_ctx_.get());
    if (!pair.ok()) return pair.status();
    if (absl::Status s = pair->Handshake(); !s.ok()) {
      last_alert_ = LastAlert(pair->client());
      last_verify_error_ = LastVerifyError(pair->client());
      return s;
    }
    return pair;
  }

  std::string anchors_;
  bssl::UniquePtr<SSL_CTX> server_ctx_;
  bssl::UniquePtr<SSL_CTX> client_ctx_;
  std::optional<Alert> last_alert_;
  long last_verify_error_ = X509_V_OK;
};

TEST_F(VerifyTest, AcceptsTrustedCertificateForItsName) {
  absl::StatusOr<MemoryPair> pair = Connect(ClientConfig::Verify::kName, kHost, anchors_);
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(LastVerifyError(pair->client()), X509_V_OK);
  EXPECT_STREQ(SSL_get_servername(pair->server(), TLSEXT_NAMETYPE_host_name), kHost);
}

TEST_F(VerifyTest, RejectsTrustedCertificateForAnotherName) {
  absl::Status status =
      Connect(ClientConfig::Verify::kName, "other.example.test", anchors_).status();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("certificate rejected"));
  EXPECT_EQ(last_verify_error_, X509_V_ERR_HOSTNAME_MISMATCH);
  ASSERT_TRUE(last_alert_.has_value());
  EXPECT_TRUE(last_alert_->sent);
  EXPECT_EQ(last_alert_->description, SSL_AD_BAD_CERTIFICATE);
}

TEST_F(VerifyTest, ChainModeIgnoresNameButRejectsUntrustedCertificate) {
  EXPECT_TRUE(Connect(ClientConfig::Verify::kChain, "other.example.test", anchors_).ok());

  const std::string stranger = WriteTempFile(
      "stranger.pem", *ChainToPem(TestCredential(KeyType::kEcdsaP256, "stranger.test")));
  EXPECT_FALSE(Connect(ClientConfig::Verify::kChain, kHost, stranger).ok());
  ASSERT_TRUE(last_alert_.has_value());
  EXPECT_EQ(last_alert_->description, SSL_AD_UNKNOWN_CA);
}

TEST_F(VerifyTest, VerificationNeedsAnchorsAndNameNeedsServerName) {
  ClientConfig client = AnyClient();
  client.verify = ClientConfig::Verify::kChain;
  EXPECT_THAT(NewClientContext(client).status().message(), HasSubstr("trust anchor"));
  client.verify = ClientConfig::Verify::kName;
  client.trust_anchors_pem_path = anchors_;
  EXPECT_THAT(NewClientContext(client).status().message(), HasSubstr("server name"));
  client.server_name = kHost;
  client.trust_anchors_pem_path = "/nonexistent/anchors.pem";
  EXPECT_THAT(NewClientContext(client).status().message(), HasSubstr("/nonexistent/anchors.pem"));
}

TEST_F(VerifyTest, VerifyChainWithoutAConnection) {
  const Credential cred = TestCredential(KeyType::kEcdsaP256);
  bssl::UniquePtr<STACK_OF(CRYPTO_BUFFER)> chain(sk_CRYPTO_BUFFER_new_null());
  for (const auto& b : cred.chain) {
    CRYPTO_BUFFER_up_ref(b.get());
    ASSERT_TRUE(sk_CRYPTO_BUFFER_push(chain.get(), b.get()));
  }
  absl::StatusOr<bssl::UniquePtr<X509_STORE>> anchors = LoadTrustAnchors(anchors_);
  ASSERT_TRUE(anchors.ok()) << anchors.status();
  EXPECT_EQ(VerifyChain(anchors->get(), chain.get(), ""), X509_V_OK);
  EXPECT_EQ(VerifyChain(anchors->get(), chain.get(), kHost), X509_V_OK);
  EXPECT_EQ(VerifyChain(anchors->get(), chain.get(), "other.example.test"),
            X509_V_ERR_HOSTNAME_MISMATCH);
  // A directory of hashed names, as /etc/ssl/certs is laid out, with no
  // anchor for this certificate: untrusted, not an error.
  absl::StatusOr<bssl::UniquePtr<X509_STORE>> empty_dir =
      LoadTrustAnchors(testing::TempDir());
  ASSERT_TRUE(empty_dir.ok()) << empty_dir.status();
  EXPECT_EQ(VerifyChain(empty_dir->get(), chain.get(), ""),
            X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  bssl::UniquePtr<STACK_OF(CRYPTO_BUFFER)> none(sk_CRYPTO_BUFFER_new_null());
  EXPECT_EQ(VerifyChain(anchors->get(), none.get(), ""), X509_V_ERR_UNSPECIFIED);
  EXPECT_FALSE(LoadTrustAnchors("/nonexistent/anchors.pem").ok());
}

// ---- The in-memory pair.

TEST(MemoryPairTest, CountsCpuTimeForEachSide) {
  bssl::UniquePtr<SSL_CTX> server_ctx = ServerCtx(ServerWith(KeyType::kRsa2048));
  bssl::UniquePtr<SSL_CTX> client_ctx = ClientCtx(AnyClient());
  absl::StatusOr<MemoryPair> pair = MemoryPair::Create(client_ctx.get(), server_ctx.get());
  ASSERT_TRUE(pair.ok());
  HandshakeCpu cpu;
  ASSERT_TRUE(pair->Handshake(&cpu).ok());
  EXPECT_GT(cpu.client_ns, 0);
  // An RSA-2048 signature costs the server far more than verifying it costs
  // the client.
  EXPECT_GT(cpu.server_ns, cpu.client_ns);
}

TEST(ErrorQueueTest, DrainReturnsEntriesAndEmptiesQueue) {
  EXPECT_EQ(DrainErrorQueue(), "");
  ClientConfig client = AnyClient();
  bssl::UniquePtr<SSL_CTX> ctx = ClientCtx(client);
  EXPECT_FALSE(SSL_CTX_set_strict_cipher_list(ctx.get(), "NOT-A-CIPHER"));
  EXPECT_NE(DrainErrorQueue(), "");
  EXPECT_EQ(DrainErrorQueue(), "");
}

}  // namespace
}  // namespace mailshake::tls
