#ifndef MAILSHAKE_SRC_WIRE_HELLO_H_
#define MAILSHAKE_SRC_WIRE_HELLO_H_

// The first flight of a TLS handshake on the wire, without BoringSSL's SSL
// API: a ClientHello writer that can say anything from SSL 3.0 to TLS 1.3
// (any suite, group, key share, signature scheme), and an incremental reader
// of the server's answer that stops after its first flight:
//
//   TLS <= 1.2: ServerHello, Certificate, CertificateStatus,
//               ServerKeyExchange, CertificateRequest, ServerHelloDone
//   TLS 1.3:    ServerHello or HelloRetryRequest (the rest is encrypted)
//
// or an alert, an SSLv2 reply, or bytes that are not TLS at all. Every parser
// here is bounded (FlightLimits) and linear in its input; it never allocates
// more than the limits allow, whatever the peer sends.
//
// Usage:
//   ClientHelloSpec spec;
//   spec.cipher_suites = {0xc02f, 0xc030};
//   spec.groups = {kGroupX25519};
//   absl::StatusOr<std::string> bytes = WriteClientHello(spec);
//   ... write *bytes to the socket ...
//   FlightReader reader;
//   while (!reader.done()) reader.Add(ReadSomeBytes());  // or Finish() on EOF
//   const ServerFlight& flight = reader.flight();

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/wire/catalog.h"

namespace mailshake::wire {

// TLS record layer (RFC 8446 5.1, RFC 5246 6.2.1): the content types and the
// header length every reader of raw records here shares.
inline constexpr uint8_t kContentChangeCipherSpec = 20;
inline constexpr uint8_t kContentAlert = 21;
inline constexpr uint8_t kContentHandshake = 22;
inline constexpr uint8_t kContentApplicationData = 23;
inline constexpr size_t kRecordHeaderLength = 5;

// Handshake message types (RFC 8446 4, RFC 6066 8) the reader knows.
inline constexpr uint8_t kHandshakeClientHello = 1;
inline constexpr uint8_t kHandshakeServerHello = 2;
inline constexpr uint8_t kHandshakeCertificate = 11;
inline constexpr uint8_t kHandshakeServerKeyExchange = 12;
inline constexpr uint8_t kHandshakeCertificateRequest = 13;
inline constexpr uint8_t kHandshakeServerHelloDone = 14;
inline constexpr uint8_t kHandshakeCertificateStatus = 22;

// Group codepoints the writer can make key shares for (see GroupInfo).
inline constexpr uint16_t kGroupP256 = 23;
inline constexpr uint16_t kGroupP384 = 24;
inline constexpr uint16_t kGroupP521 = 25;
inline constexpr uint16_t kGroupX25519 = 29;

// Extension codepoints the reader reports on.
inline constexpr uint16_t kExtServerName = 0;
inline constexpr uint16_t kExtStatusRequest = 5;
inline constexpr uint16_t kExtSupportedGroups = 10;
inline constexpr uint16_t kExtEcPointFormats = 11;
inline constexpr uint16_t kExtSignatureAlgorithms = 13;
inline constexpr uint16_t kExtAlpn = 16;
inline constexpr uint16_t kExtExtendedMasterSecret = 23;
inline constexpr uint16_t kExtSessionTicket = 35;
inline constexpr uint16_t kExtSupportedVersions = 43;
inline constexpr uint16_t kExtCookie = 44;
inline constexpr uint16_t kExtKeyShare = 51;
inline constexpr uint16_t kExtRenegotiationInfo = 0xff01;

// ClientHelloSpec says everything a ClientHello carries. Empty lists leave
// the extension out (except |compression_methods|, which must not be empty).
struct ClientHelloSpec {
  // Version in the record header (0x0301 is what most clients send) and the
  // ClientHello's legacy_version (client_version). For TLS 1.3 set
  // |legacy_version| to 0x0303 and list 0x0304 in |supported_versions|.
  uint16_t record_version = kTls10;
  uint16_t legacy_version = 0x0303;
  // supported_versions extension (RFC 8446), highest first; empty: none.
  std::vector<uint16_t> supported_versions;

  // At most 64 suites are meaningful to many servers; the writer accepts up
  // to 1024 but the scanner never offers more than 64. SCSVs are appended
  // after |cipher_suites| when the flags ask for them.
  std::vector<uint16_t> cipher_suites;
  bool renegotiation_scsv = false;  // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
  bool fallback_scsv = false;       // TLS_FALLBACK_SCSV

  // compression_methods; 0 is "null". Must contain at least one entry.
  std::vector<uint8_t> compression_methods = {0};

  // Extensions. With |no_extensions| the hello ends after the compression
  // methods (an SSL 3.0-style hello) and every field below is ignored.
  bool no_extensions = false;
  std::string server_name;                    // SNI host_name; empty: none
  std::vector<uint16_t> groups;               // supported_groups
  std::vector<uint16_t> key_share_groups;     // TLS 1.3 key shares, each in
                                              // |groups| and key_share_supported;
                                              // empty list sent when
                                              // |send_empty_key_share|
  bool send_empty_key_share = false;          // key_share with no entries (elicits HRR)
  std::vector<uint16_t> signature_algorithms; // signature_algorithms
  bool renegotiation_info = false;            // renegotiation_info extension, holding
  std::string renegotiated_connection;        // this: empty in an initial handshake,
                                              // the client's verify_data when
                                              // renegotiating (RFC 5746 3.5)
  bool extended_master_secret = false;
  bool session_ticket = false;                // empty SessionTicket extension
  bool status_request = false;                // OCSP status_request
  std::vector<std::string> alpn;              // e.g. {"smtp"}; empty: none
  bool ec_point_formats = false;              // uncompressed only
  std::string cookie;                         // TLS 1.3 cookie echoed after HRR

  // 32 bytes of client random; all zero means "fill with random bytes".
  std::array<uint8_t, 32> random{};
  // legacy_session_id: TLS 1.3 middlebox compatibility wants 32 bytes.
  std::string session_id;
};

// WriteClientHello returns one or more TLS records holding the ClientHello
// described by |spec|. It fails with InvalidArgument (naming the field) for
// an empty suite or compression list, more than 1024 suites, a key share for
// a group the writer cannot generate or that |groups| does not list, or a
// message that does not fit the length fields.
absl::StatusOr<std::string> WriteClientHello(const ClientHelloSpec& spec);

// WriteClientHelloBody returns the handshake message alone (type 1, 3-byte
// length, body) without record framing, for tests and fuzz oracles.
absl::StatusOr<std::string> WriteClientHelloBody(const ClientHelloSpec& spec);

// What the server's reply turned out to be.
enum class ReplyKind : uint8_t {
  kIncomplete,          // not finished yet (or EOF before the flight ended: see |truncated|)
  kServerHello,         // a ServerHello (TLS <= 1.2 flight or TLS 1.3 hello)
  kHelloRetryRequest,   // TLS 1.3 HelloRetryRequest
  kAlert,               // an alert before any ServerHello
  kSslv2,               // an SSLv2-framed reply (SERVER-HELLO or ERROR)
  kNotTls,              // bytes that are not TLS records (e.g. an SMTP reply)
  kMalformed,           // TLS framing whose content violates the protocol
  kOversized,           // a record or the flight exceeds FlightLimits
};

const char* ReplyKindName(ReplyKind kind);

// PrintableBytes returns at most the first 64 bytes of |bytes| with
// everything outside printable ASCII (and backslash) as \xHH, for evidence.
std::string PrintableBytes(absl::string_view bytes);

struct Alert {
  uint8_t level = 0;        // 1 warning, 2 fatal
  uint8_t description = 0;  // see AlertName
};

// One extension as the server sent it.
struct Extension {
  uint16_t type = 0;
  std::string data;
};

// ServerHello (or HelloRetryRequest: same message, magic random).
struct ServerHello {
  uint16_t legacy_version = 0;
  std::array<uint8_t, 32> random{};
  std::string session_id;
  uint16_t cipher_suite = 0;
  uint8_t compression_method = 0;
  std::vector<Extension> extensions;  // in wire order, at most 64 kept

  // Derived facts.
  bool hello_retry_request = false;
  // supported_versions' selected_version; 0 when absent.
  uint16_t selected_version = 0;
  // Version negotiated: |selected_version| when present, else |legacy_version|.
  uint16_t version = 0;
  // TLS 1.3 key_share: the group of the server's share, or of an HRR's
  // selected_group; 0 when absent.
  uint16_t key_share_group = 0;
  // RFC 8446 4.1.3 downgrade sentinel in the last 8 random bytes:
  // 0 none, 0x0303 for "DOWNGRD\x01" (TLS 1.2), 0x0302 for "DOWNGRD\x00" (<= 1.1).
  uint16_t downgrade_sentinel = 0;
  // renegotiation_info present, and whether its content was the empty
  // renegotiated_connection of an initial handshake (RFC 5746).
  bool renegotiation_info = false;
  bool renegotiation_info_valid = false;
  bool extended_master_secret = false;
  bool session_ticket = false;
  bool status_request = false;
  std::string alpn;  // protocol selected; empty when none
  std::string cookie;  // HRR cookie

  // Returns the extension of |type|, or null.
  const Extension* FindExtension(uint16_t type) const;
};

// ServerKeyExchange of a TLS <= 1.2 flight, parsed as far as the key
// exchange of the selected suite tells how.
struct ServerKeyExchange {
  enum class Kind : uint8_t { kUnknown, kEcdhe, kDhe } kind = Kind::kUnknown;
  uint16_t named_curve = 0;  // ECDHE: named_curve (0 for explicit curves)
  int dh_p_bits = 0;         // DHE: bit length of p
  int dh_g_bits = 0;
  // TLS 1.2: the SignatureAndHashAlgorithm the server signed with; 0 for
  // earlier versions (MD5+SHA1 or SHA1 implied) and anonymous suites.
  uint16_t signature_algorithm = 0;
  size_t signature_length = 0;
};

// The whole first flight as far as it was read.
struct ServerFlight {
  ReplyKind kind = ReplyKind::kIncomplete;
  // Set for kMalformed/kNotTls/kOversized: what was wrong, for evidence.
  // It depends only on the bytes, never on how they were cut into reads.
  std::string problem;
  // First bytes received (at most 64), for evidence (see PrintableBytes).
  std::string first_bytes;
  uint16_t record_version = 0;  // of the first record
  // The alert that ended the flight (or came instead of it), if any.
  std::optional<Alert> alert;
  std::optional<ServerHello> hello;
  // TLS <= 1.2 only: DER certificates in the Certificate message, in the
  // order sent (at most FlightLimits::max_certificates kept; the count of
  // all entries is |certificate_count|).
  std::vector<std::string> certificates;
  size_t certificate_count = 0;
  // CertificateStatus (stapled OCSP response), TLS <= 1.2.
  bool ocsp_stapled = false;
  size_t ocsp_response_length = 0;
  std::optional<ServerKeyExchange> server_key_exchange;
  bool certificate_request = false;
  bool server_hello_done = false;
  // Handshake message types in order of arrival (at most 32 kept).
  std::vector<uint8_t> message_types;
  // Bytes of the complete records read, up to the one that ended the flight
  // (a record that broke a rule is not counted). Like every field here it
  // does not depend on how the bytes were cut into reads.
  size_t bytes = 0;
  // The peer closed (or Finish was called) before the flight ended.
  bool truncated = false;
};

struct FlightLimits {
  size_t max_record_length = 16384 + 2048;  // TLSCiphertext bound (RFC 5246 6.2.3)
  size_t max_flight_bytes = 256 * 1024;     // whole reply, before we stop with kOversized
  size_t max_handshake_message = 128 * 1024;
  size_t max_certificates = 16;
};

// FlightReader reads the server's first flight from bytes fed in any
// fragmentation. It is the only reader of server bytes in this package.
class FlightReader {
 public:
  explicit FlightReader(FlightLimits limits = FlightLimits());

  // Add consumes |bytes|. Once done() is true further bytes are ignored.
  // Work is linear in the bytes added; memory is bounded by the limits.
  void Add(absl::string_view bytes);

  // Finish tells the reader the peer sent nothing more (EOF, reset or
  // deadline); an unfinished flight is marked truncated, and a reply that
  // never became anything keeps kind kIncomplete.
  void Finish();

  // True once the flight is complete (ServerHelloDone, a TLS 1.3
  // ServerHello or HRR, an alert, or an error) or Finish was called.
  bool done() const { return done_; }

  const ServerFlight& flight() const { return flight_; }

 private:
  void Fail(ReplyKind kind, std::string problem);
  void ProcessRecords();
  void ProcessHandshake();
  bool HandleMessage(uint8_t type, absl::string_view body);

  FlightLimits limits_;
  ServerFlight flight_;
  std::string pending_;    // bytes of an incomplete record
  std::string handshake_;  // handshake bytes not yet forming whole messages
  size_t received_ = 0;    // bytes taken by Add (at most max_flight_bytes)
  bool done_ = false;
};

// ParseServerHello parses a ServerHello/HelloRetryRequest message body (after
// the 4-byte handshake header). Exposed for tests and the fuzz oracle.
absl::StatusOr<ServerHello> ParseServerHello(absl::string_view body);

// ParseServerKeyExchange parses a ServerKeyExchange body for an ECDHE
// (|ecdhe|) or DHE suite negotiated at |version|; |anonymous| suites carry no
// signature. Exposed for tests and the fuzz oracle.
absl::StatusOr<ServerKeyExchange> ParseServerKeyExchange(absl::string_view body, uint16_t version,
                                                         bool ecdhe, bool anonymous);

}  // namespace mailshake::wire

#endif  // MAILSHAKE_SRC_WIRE_HELLO_H_
