#include <openssl/bio.h>
#include <openssl/bytestring.h>
#include <openssl/ssl.h>

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/tls/tls.h"
#include "src/wire/hello.h"
#include "src/wire/testing.h"

namespace mailshake::wire {
namespace {

using testing::EncodeCertificate;
using testing::EncodeDheKeyExchange;
using testing::EncodeEcdheKeyExchange;
using testing::EncodeServerHello;
using testing::HandshakeMessage;
using testing::KeyShareExtension;
using testing::Records;
using testing::ServerHelloFor;

// A ClientHello parsed back with CBS, to check what the writer wrote.
struct ParsedHello {
  uint16_t record_version = 0;
  uint16_t legacy_version = 0;
  std::string session_id;
  std::vector<uint16_t> suites;
  std::vector<uint8_t> compression;
  bool has_extensions = false;
  std::map<uint16_t, std::string> extensions;
};

ParsedHello ParseClientHello(const std::string& records) {
  ParsedHello out;
  CBS cbs, payload, body, sid, suites, comp, exts;
  CBS_init(&cbs, reinterpret_cast<const uint8_t*>(records.data()), records.size());
  uint8_t type, hs_type;
  EXPECT_TRUE(CBS_get_u8(&cbs, &type) && CBS_get_u16(&cbs, &out.record_version) &&
              CBS_get_u16_length_prefixed(&cbs, &payload) && CBS_len(&cbs) == 0);
  EXPECT_EQ(type, 22);
  EXPECT_TRUE(CBS_get_u8(&payload, &hs_type) && CBS_get_u24_length_prefixed(&payload, &body) &&
              CBS_len(&payload) == 0);
  EXPECT_EQ(hs_type, 1);
  EXPECT_TRUE(CBS_get_u16(&body, &out.legacy_version) && CBS_skip(&body, 32) &&
              CBS_get_u8_length_prefixed(&body, &sid) &&
              CBS_get_u16_length_prefixed(&body, &suites) &&
              CBS_get_u8_length_prefixed(&body, &comp));
  out.session_id.assign(reinterpret_cast<const char*>(CBS_data(&sid)), CBS_len(&sid));
  uint16_t s;
  while (CBS_get_u16(&suites, &s)) out.suites.push_back(s);
  uint8_t c;
  while (CBS_get_u8(&comp, &c)) out.compression.push_back(c);
  if (CBS_len(&body) != 0) {
    out.has_extensions = true;
    EXPECT_TRUE(CBS_get_u16_length_prefixed(&body, &exts) && CBS_len(&body) == 0);
    while (CBS_len(&exts) != 0) {
      uint16_t ext_type;
      CBS data;
      EXPECT_TRUE(CBS_get_u16(&exts, &ext_type) && CBS_get_u16_length_prefixed(&exts, &data));
      out.extensions[ext_type].assign(reinterpret_cast<const char*>(CBS_data(&data)),
                                      CBS_len(&data));
    }
  }
  return out;
}

ClientHelloSpec ModernSpec() {
  ClientHelloSpec spec;
  spec.supported_versions = {kTls13, kTls12};
  spec.cipher_suites = {0x1301, 0x1302, 0x1303, 0xc02f, 0xc02b};
  spec.groups = {kGroupX25519, kGroupP256};
  spec.key_share_groups = {kGroupX25519, kGroupP256};
  spec.signature_algorithms = {0x0804, 0x0403, 0x0401};
  spec.server_name = "mx.example";
  spec.renegotiation_info = true;
  spec.extended_master_secret = true;
  spec.session_ticket = true;
  spec.status_request = true;
  spec.ec_point_formats = true;
  spec.alpn = {"smtp"};
  spec.session_id.assign(32, '\x01');
  return spec;
}

TEST(ClientHelloTest, WritesEveryRequestedField) {
  ClientHelloSpec spec = ModernSpec();
  spec.renegotiation_scsv = true;
  spec.fallback_scsv = true;
  absl::StatusOr<std::string> bytes = WriteClientHello(spec);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ParsedHello h = ParseClientHello(*bytes);
  EXPECT_EQ(h.record_version, 0x0301);
  EXPECT_EQ(h.legacy_version, 0x0303);
  EXPECT_EQ(h.session_id.size(), 32u);
  EXPECT_EQ(h.suites, (std::vector<uint16_t>{0x1301, 0x1302, 0x1303, 0xc02f, 0xc02b, 0x00ff,
                                             0x5600}));
  EXPECT_EQ(h.compression, std::vector<uint8_t>{0});
  EXPECT_EQ(h.extensions[kExtServerName], std::string("\x00\x0d\x00\x00\x0amx.example", 15));
  EXPECT_EQ(h.extensions[kExtSupportedVersions], std::string("\x04\x03\x04\x03\x03", 5));
  EXPECT_EQ(h.extensions[kExtSupportedGroups], std::string("\x00\x04\x00\x1d\x00\x17", 6));
  EXPECT_EQ(h.extensions[kExtRenegotiationInfo], std::string("\x00", 1));
  EXPECT_EQ(h.extensions[kExtAlpn], std::string("\x00\x05\x04smtp", 7));
  EXPECT_EQ(h.extensions[kExtStatusRequest], std::string("\x01\x00\x00\x00\x00", 5));
  EXPECT_EQ(h.extensions.count(kExtExtendedMasterSecret), 1u);
  EXPECT_EQ(h.extensions.count(kExtSessionTicket), 1u);
  // key_share: X25519 (32 bytes) then P-256 (65 bytes, uncompressed point).
  const std::string& ks = h.extensions[kExtKeyShare];
  ASSERT_EQ(ks.size(), 2u + 4 + 32 + 4 + 65);
  EXPECT_EQ(ks.substr(0, 6), std::string("\x00\x69\x00\x1d\x00\x20", 6));
  EXPECT_EQ(ks.substr(38, 4), std::string("\x00\x17\x00\x41", 4));
  EXPECT_EQ(ks[42], '\x04');
}

TEST(ClientHelloTest, KeySharesAreFreshEachTime) {
  ClientHelloSpec spec = ModernSpec();
  ParsedHello a = ParseClientHello(*WriteClientHello(spec));
  ParsedHello b = ParseClientHello(*WriteClientHello(spec));
  EXPECT_NE(a.extensions[kExtKeyShare], b.extensions[kExtKeyShare]);
}

TEST(ClientHelloTest, EmptyKeyShareElicitsRetry) {
  ClientHelloSpec spec = ModernSpec();
  spec.key_share_groups.clear();
  spec.send_empty_key_share = true;
  ParsedHello h = ParseClientHello(*WriteClientHello(spec));
  EXPECT_EQ(h.extensions[kExtKeyShare], std::string("\x00\x00", 2));
}

TEST(ClientHelloTest, RenegotiatingHelloCarriesTheClientVerifyData) {
  ClientHelloSpec spec = ModernSpec();
  spec.renegotiated_connection = std::string(12, '\x7e');
  ParsedHello h = ParseClientHello(*WriteClientHello(spec));
  EXPECT_EQ(h.extensions[kExtRenegotiationInfo], "\x0c" + std::string(12, '\x7e'));
  spec.renegotiated_connection = std::string(256, 'x');
  EXPECT_FALSE(WriteClientHello(spec).ok());
}

TEST(ClientHelloTest, Ssl3HelloHasNoExtensions) {
  ClientHelloSpec spec;
  spec.record_version = kSsl3;
  spec.legacy_version = kSsl3;
  spec.cipher_suites = {0x000a, 0x002f};
  spec.no_extensions = true;
  spec.server_name = "ignored";
  ParsedHello h = ParseClientHello(*WriteClientHello(spec));
  EXPECT_EQ(h.record_version, kSsl3);
  EXPECT_EQ(h.legacy_version, kSsl3);
  EXPECT_FALSE(h.has_extensions);
}

TEST(ClientHelloTest, RejectsImpossibleSpecs) {
  ClientHelloSpec spec = ModernSpec();
  spec.key_share_groups = {30};  // X448: no generator here
  spec.groups.push_back(30);
  EXPECT_FALSE(WriteClientHello(spec).ok());
  spec = ModernSpec();
  spec.key_share_groups = {kGroupP384};  // not in groups
  EXPECT_FALSE(WriteClientHello(spec).ok());
  spec = ModernSpec();
  spec.cipher_suites.clear();
  EXPECT_FALSE(WriteClientHello(spec).ok());
  spec = ModernSpec();
  spec.compression_methods.clear();
  EXPECT_FALSE(WriteClientHello(spec).ok());
  spec = ModernSpec();
  spec.cipher_suites.assign(1025, 0x002f);
  EXPECT_FALSE(WriteClientHello(spec).ok());
}

// Reader.

std::string Tls12Flight(uint16_t suite, const std::string& ske) {
  ServerHello sh = ServerHelloFor(kTls12, suite);
  sh.extensions.push_back(Extension{kExtRenegotiationInfo, std::string("\x00", 1)});
  sh.extensions.push_back(Extension{kExtExtendedMasterSecret, ""});
  sh.extensions.push_back(Extension{kExtStatusRequest, ""});
  std::string hs = HandshakeMessage(2, EncodeServerHello(sh)) +
                   HandshakeMessage(11, EncodeCertificate({"leaf-der", "ca-der"})) +
                   HandshakeMessage(22, std::string("\x01\x00\x00\x03OCS", 7)) +
                   HandshakeMessage(12, ske) + HandshakeMessage(14, "");
  return Records(22, kTls12, hs);
}

TEST(FlightReaderTest, ReadsTls12FlightFedOneByteAtATime) {
  std::string wire = Tls12Flight(0xc02f, EncodeEcdheKeyExchange(29, 0x0804));
  FlightReader reader;
  for (char c : wire) reader.Add(absl::string_view(&c, 1));
  ASSERT_TRUE(reader.done());
  const ServerFlight& f = reader.flight();
  EXPECT_EQ(f.kind, ReplyKind::kServerHello);
  ASSERT_TRUE(f.hello.has_value());
  EXPECT_EQ(f.hello->version, kTls12);
  EXPECT_EQ(f.hello->cipher_suite, 0xc02f);
  EXPECT_TRUE(f.hello->renegotiation_info_valid);
  EXPECT_TRUE(f.hello->extended_master_secret);
  EXPECT_TRUE(f.hello->status_request);
  EXPECT_FALSE(f.hello->session_ticket);
  EXPECT_EQ(f.certificates, (std::vector<std::string>{"leaf-der", "ca-der"}));
  EXPECT_TRUE(f.ocsp_stapled);
  EXPECT_EQ(f.ocsp_response_length, 3u);
  ASSERT_TRUE(f.server_key_exchange.has_value());
  EXPECT_EQ(f.server_key_exchange->named_curve, 29);
  EXPECT_EQ(f.server_key_exchange->signature_algorithm, 0x0804);
  EXPECT_TRUE(f.server_hello_done);
  EXPECT_FALSE(f.truncated);
  EXPECT_EQ(f.bytes, wire.size());
}

TEST(FlightReaderTest, BytesBeyondTheFlightLimitAreRefused) {
  FlightLimits small;
  small.max_flight_bytes = 10;
  FlightReader reader(small);
  reader.Add(std::string("\x16\x03\x03\x00\x20\x02\x00\x00\x1c", 9));
  EXPECT_FALSE(reader.done());
  reader.Add("xx");
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.flight().kind, ReplyKind::kOversized);
  EXPECT_EQ(reader.flight().bytes, 0u);  // no complete record
}

TEST(FlightReaderTest, ReadsDhePrimeSizeAcrossTinyRecords) {
  std::string wire = Records(22, kTls12,
                             HandshakeMessage(2, EncodeServerHello(ServerHelloFor(kTls12, 0x009e))) +
                                 HandshakeMessage(12, EncodeDheKeyExchange(2047, 0x0401)) +
                                 HandshakeMessage(14, ""),
                             3);
  FlightReader reader;
  reader.Add(wire);
  ASSERT_TRUE(reader.done());
  ASSERT_TRUE(reader.flight().server_key_exchange.has_value());
  EXPECT_EQ(reader.flight().server_key_exchange->dh_p_bits, 2047);
  EXPECT_EQ(reader.flight().server_key_exchange->kind, ServerKeyExchange::Kind::kDhe);
}

TEST(FlightReaderTest, Tls10KeyExchangeHasNoSignatureAlgorithm) {
  std::string wire = Records(
      22, kTls10,
      HandshakeMessage(2, EncodeServerHello(ServerHelloFor(kTls10, 0xc013))) +
          HandshakeMessage(12, EncodeEcdheKeyExchange(23, 0)) + HandshakeMessage(14, ""));
  FlightReader reader;
  reader.Add(wire);
  ASSERT_TRUE(reader.flight().server_key_exchange.has_value());
  EXPECT_EQ(reader.flight().server_key_exchange->named_curve, 23);
  EXPECT_EQ(reader.flight().server_key_exchange->signature_algorithm, 0);
  EXPECT_TRUE(reader.flight().server_hello_done);
}

TEST(FlightReaderTest, StopsAfterTls13ServerHello) {
  ServerHello sh = ServerHelloFor(kTls13, 0x1302);
  sh.extensions.push_back(KeyShareExtension(kGroupX25519, false));
  std::string wire = Records(22, kTls12, HandshakeMessage(2, EncodeServerHello(sh))) +
                     std::string("\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x02zz", 13);
  FlightReader reader;
  reader.Add(wire);
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.flight().kind, ReplyKind::kServerHello);
  EXPECT_EQ(reader.flight().hello->version, kTls13);
  EXPECT_EQ(reader.flight().hello->selected_version, kTls13);
  EXPECT_EQ(reader.flight().hello->key_share_group, kGroupX25519);
}

TEST(FlightReaderTest, RecognizesHelloRetryRequest) {
  ServerHello hrr = ServerHelloFor(kTls13, 0x1301, /*hello_retry_request=*/true);
  hrr.extensions.push_back(KeyShareExtension(4588, true));
  hrr.extensions.push_back(Extension{kExtCookie, std::string("\x00\x02hi", 4)});
  FlightReader reader;
  reader.Add(Records(22, kTls12, HandshakeMessage(2, EncodeServerHello(hrr))));
  EXPECT_EQ(reader.flight().kind, ReplyKind::kHelloRetryRequest);
  EXPECT_TRUE(reader.flight().hello->hello_retry_request);
  EXPECT_EQ(reader.flight().hello->key_share_group, 4588);
  EXPECT_EQ(reader.flight().hello->cookie, "hi");
}

TEST(FlightReaderTest, ReportsDowngradeSentinel) {
  ServerHello sh = ServerHelloFor(kTls12, 0xc02f);
  std::memcpy(sh.random.data() + 24, "DOWNGRD\x01", 8);
  absl::StatusOr<ServerHello> parsed = ParseServerHello(EncodeServerHello(sh));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->downgrade_sentinel, kTls12);
  std::memcpy(sh.random.data() + 24, "DOWNGRD\x00", 8);
  EXPECT_EQ(ParseServerHello(EncodeServerHello(sh))->downgrade_sentinel, kTls11);
}

TEST(FlightReaderTest, AlertInsteadOfHello) {
  FlightReader reader;
  reader.Add(std::string("\x15\x03\x01\x00\x02\x02\x28", 7));
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.flight().kind, ReplyKind::kAlert);
  EXPECT_EQ(reader.flight().alert->description, 40);
  EXPECT_EQ(reader.flight().record_version, kTls10);
}

TEST(FlightReaderTest, SmtpReplyIsNotTls) {
  FlightReader reader;
  reader.Add("421 4.3.2 Service shutting down\r\n");
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.flight().kind, ReplyKind::kNotTls);
  EXPECT_EQ(PrintableBytes(reader.flight().first_bytes),
            "421 4.3.2 Service shutting down\\x0d\\x0a");
}

TEST(FlightReaderTest, Sslv2ServerHelloIsRecognized) {
  FlightReader reader;
  reader.Add(std::string("\x80\x40\x04\x00\x01\x00\x02", 7));
  EXPECT_EQ(reader.flight().kind, ReplyKind::kSslv2);
}

TEST(FlightReaderTest, OversizedRecordStopsAtTheHeader) {
  FlightReader reader;
  reader.Add(std::string("\x16\x03\x03\xff\xff", 5));
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.flight().kind, ReplyKind::kOversized);
}

TEST(FlightReaderTest, HugeCertificateChainIsBounded) {
  // 100,000 one-byte certificates exceed the flight limit long before the
  // reader keeps them; it keeps at most max_certificates.
  std::vector<std::string> certs(100000, "x");
  std::string wire =
      Records(22, kTls12,
              HandshakeMessage(2, EncodeServerHello(ServerHelloFor(kTls12, 0x002f))) +
                  HandshakeMessage(11, EncodeCertificate(certs)) + HandshakeMessage(14, ""));
  FlightReader reader;
  reader.Add(wire);
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.flight().kind, ReplyKind::kServerHello);
  EXPECT_TRUE(reader.flight().truncated);
  EXPECT_FALSE(reader.flight().server_hello_done);
  EXPECT_FALSE(reader.flight().problem.empty());

  FlightLimits roomy;
  roomy.max_flight_bytes = 1 << 20;
  roomy.max_handshake_message = 1 << 20;
  FlightReader reader2(roomy);
  reader2.Add(wire);
  EXPECT_TRUE(reader2.flight().server_hello_done);
  EXPECT_EQ(reader2.flight().certificate_count, 100000u);
  EXPECT_EQ(reader2.flight().certificates.size(), roomy.max_certificates);
}

TEST(FlightReaderTest, TruncatedReplyIsMalformedAfterFinish) {
  std::string wire = Tls12Flight(0xc02f, EncodeEcdheKeyExchange(29, 0x0804));
  FlightReader reader;
  reader.Add(absl::string_view(wire).substr(0, 20));
  EXPECT_FALSE(reader.done());
  reader.Finish();
  EXPECT_EQ(reader.flight().kind, ReplyKind::kMalformed);
  EXPECT_TRUE(reader.flight().truncated);
}

TEST(FlightReaderTest, SilenceStaysIncomplete) {
  FlightReader reader;
  reader.Finish();
  EXPECT_EQ(reader.flight().kind, ReplyKind::kIncomplete);
  EXPECT_EQ(reader.flight().bytes, 0u);
}

TEST(FlightReaderTest, RejectsDuplicateExtensionsAndJunk) {
  ServerHello sh = ServerHelloFor(kTls12, 0xc02f);
  sh.extensions.push_back(Extension{kExtExtendedMasterSecret, ""});
  sh.extensions.push_back(Extension{kExtExtendedMasterSecret, ""});
  EXPECT_FALSE(ParseServerHello(EncodeServerHello(sh)).ok());
  std::string body = EncodeServerHello(ServerHelloFor(kTls12, 0xc02f)) + "x";
  EXPECT_FALSE(ParseServerHello(body).ok());
  FlightReader reader;
  reader.Add(Records(22, kTls12, HandshakeMessage(11, "")));
  EXPECT_EQ(reader.flight().kind, ReplyKind::kMalformed);
}

TEST(FlightReaderTest, ServerHelloWithoutExtensionsBlock) {
  absl::StatusOr<ServerHello> sh =
      ParseServerHello(EncodeServerHello(ServerHelloFor(kSsl3, 0x000a), false));
  ASSERT_TRUE(sh.ok());
  EXPECT_EQ(sh->version, kSsl3);
  EXPECT_TRUE(sh->extensions.empty());
}

// Interoperability: BoringSSL's own server, in memory, answers our hellos.

std::string ServerAnswer(SSL_CTX* ctx, const std::string& hello) {
  absl::StatusOr<bssl::UniquePtr<SSL>> ssl = tls::NewServerConnection(ctx);
  EXPECT_TRUE(ssl.ok());
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  BIO_write(in, hello.data(), static_cast<int>(hello.size()));
  SSL_set_bio(ssl->get(), in, out);
  SSL_do_handshake(ssl->get());
  const uint8_t* data;
  size_t len;
  BIO_mem_contents(out, &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

class BoringServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<tls::Credential> cred =
        tls::GenerateSelfSigned(tls::KeyType::kEcdsaP256, "mx.example");
    ASSERT_TRUE(cred.ok());
    tls::ServerConfig config;
    config.credentials.push_back(std::move(*cred));
    absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = tls::NewServerContext(config);
    ASSERT_TRUE(ctx.ok()) << ctx.status();
    ctx_ = std::move(*ctx);
  }
  bssl::UniquePtr<SSL_CTX> ctx_;
};

TEST_F(BoringServerTest, AcceptsTls13HelloWithX25519Share) {
  FlightReader reader;
  reader.Add(ServerAnswer(ctx_.get(), *WriteClientHello(ModernSpec())));
  ASSERT_EQ(reader.flight().kind, ReplyKind::kServerHello) << reader.flight().problem;
  EXPECT_EQ(reader.flight().hello->version, kTls13);
  EXPECT_EQ(reader.flight().hello->key_share_group, kGroupX25519);
  EXPECT_EQ(reader.flight().hello->session_id, std::string(32, '\x01'));
}

TEST_F(BoringServerTest, AnswersEmptyKeyShareWithRetryRequest) {
  ClientHelloSpec spec = ModernSpec();
  spec.groups = {kGroupP256};
  spec.key_share_groups.clear();
  spec.send_empty_key_share = true;
  FlightReader reader;
  reader.Add(ServerAnswer(ctx_.get(), *WriteClientHello(spec)));
  ASSERT_EQ(reader.flight().kind, ReplyKind::kHelloRetryRequest) << reader.flight().problem;
  EXPECT_EQ(reader.flight().hello->key_share_group, kGroupP256);
}

TEST_F(BoringServerTest, Tls12FlightEndsWithServerHelloDone) {
  ClientHelloSpec spec = ModernSpec();
  spec.supported_versions.clear();
  spec.key_share_groups.clear();
  spec.cipher_suites = {0xc02b};
  spec.groups = {kGroupP256};
  FlightReader reader;
  reader.Add(ServerAnswer(ctx_.get(), *WriteClientHello(spec)));
  const ServerFlight& f = reader.flight();
  ASSERT_EQ(f.kind, ReplyKind::kServerHello) << f.problem;
  EXPECT_EQ(f.hello->version, kTls12);
  EXPECT_EQ(f.hello->cipher_suite, 0xc02b);
  EXPECT_TRUE(f.hello->renegotiation_info_valid);
  EXPECT_TRUE(f.hello->extended_master_secret);
  EXPECT_EQ(f.certificates.size(), 1u);
  ASSERT_TRUE(f.server_key_exchange.has_value());
  EXPECT_EQ(f.server_key_exchange->named_curve, kGroupP256);
  EXPECT_EQ(f.server_key_exchange->signature_algorithm, 0x0403);
  EXPECT_TRUE(f.server_hello_done);
}

TEST_F(BoringServerTest, RefusesUnknownSuitesWithAlert) {
  ClientHelloSpec spec = ModernSpec();
  spec.supported_versions.clear();
  spec.cipher_suites = {0x0005};  // RC4: never in BoringSSL
  FlightReader reader;
  reader.Add(ServerAnswer(ctx_.get(), *WriteClientHello(spec)));
  ASSERT_EQ(reader.flight().kind, ReplyKind::kAlert);
  EXPECT_EQ(reader.flight().alert->description, 40);
}

}  // namespace
}  // namespace mailshake::wire
