#ifndef MAILSHAKE_SRC_WIRE_SCAN_H_
#define MAILSHAKE_SRC_WIRE_SCAN_H_

// The TLS-level scanner: with its own ClientHellos (hello.h) it finds which
// versions, cipher suites, groups and signature algorithms a server accepts,
// its preference orders, and the facts its first flight reveals, each with
// the exchange that shows it.
//
// Dependency direction: wire -> net (socket ownership only) and BoringSSL's
// crypto (key shares, randomness); never the SSL API, never smtp. The caller
// (src/probe) supplies a Connector that performs TCP connect and, for
// smtp://, the SMTP dialogue up to STARTTLS's 220; wire knows nothing of SMTP.
//
// Method (every step is one fresh connection and one ClientHello):
//  - suites per version: the catalog's suites for the version in chunks of at
//    most 64; the server's pick is removed and the chunk offered again until
//    it refuses. A ServerHello below the version offered, or a
//    protocol_version alert, means the version is refused.
//  - order: the accepted list forward and reversed; the same pick twice means
//    server order, which is then read off by offering what is left, pick by
//    pick. The client's first choice both times means client order.
//  - groups: TLS 1.3 with an empty key_share (the HelloRetryRequest names
//    the server's choice), TLS <= 1.2 with ECDHE suites only (the
//    ServerKeyExchange names the curve), removing each pick; then reversed.
//  - signature algorithms: TLS 1.2 by removal (ServerKeyExchange names the
//    pick) and SHA-1 alone; TLS 1.3 each scheme alone.
//  - extras: renegotiation_info, EMS, ticket and stapled OCSP from the first
//    complete TLS <= 1.2 flight; DEFLATE offered; ALPN smtp and foreign; the
//    second-highest version with TLS_FALLBACK_SCSV.
// With n accepted suites and k chunks a version costs about 2n + k exchanges;
// OpenSSL's 56 TLS 1.2 suites for an RSA key took 138 exchanges.
//
// Every read and write has a deadline; a peer that is silent, resets, sends
// garbage, an SSLv2 reply, an oversized record, or closes early yields an
// Exchange with that outcome, never an "accepted". One connection at a time
// by default.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/net/socket.h"
#include "src/wire/catalog.h"
#include "src/wire/hello.h"

namespace mailshake::wire {

// Connector opens one connection and returns its socket once the next thing
// to send is the ClientHello. It must finish by |deadline|. A failure (refused,
// 421, STARTTLS not offered, ...) is reported by the scanner as an exchange
// with outcome kConnectFailed and the status message as detail. With
// ScanOptions::connections > 1 it is called from several threads at once.
using Connector = std::function<absl::StatusOr<net::UniqueFd>(absl::Time deadline)>;

// How one exchange ended.
enum class Outcome : uint8_t {
  kServerHello,        // the server chose something (see Exchange fields)
  kHelloRetryRequest,  // TLS 1.3 HRR (selected group in |group|)
  kAlert,              // the server refused with an alert (|alert|)
  kClosed,             // EOF before any reply (a refusal some servers use)
  kReset,              // connection reset
  kTimeout,            // nothing (or not enough) within the read deadline
  kConnectFailed,      // the Connector failed (|detail| says why)
  kSslv2,              // SSLv2-framed reply
  kNotTls,             // bytes that are not TLS (|detail|: first bytes)
  kMalformed,          // TLS framing with invalid contents (|detail|)
  kOversized,          // a record or the flight exceeded FlightLimits
  kWriteFailed,        // the ClientHello could not be written
};

const char* OutcomeName(Outcome outcome);

// Exchange is the evidence of one ClientHello: what was offered and what
// came back.
struct Exchange {
  int index = 0;        // position in ScanResult::exchanges
  std::string purpose;  // e.g. "suites TLSv1.2 chunk 2", "groups TLSv1.3"
  // Offered.
  uint16_t offered_version = 0;  // highest version offered
  std::vector<uint16_t> offered_suites;
  std::vector<uint16_t> offered_groups;
  std::vector<uint16_t> offered_key_shares;
  std::vector<uint16_t> offered_signature_algorithms;
  // Received.
  Outcome outcome = Outcome::kTimeout;
  std::string detail;          // alert name, problem, connector error, ...
  std::optional<Alert> alert;  // also set when an alert followed a ServerHello
  uint16_t version = 0;        // negotiated version (ServerHello)
  uint16_t cipher_suite = 0;
  uint16_t group = 0;  // TLS 1.3 key_share / HRR group, or TLS 1.2 ECDHE curve
  uint16_t signature_algorithm = 0;  // TLS 1.2 ServerKeyExchange
  int dh_p_bits = 0;                 // DHE ServerKeyExchange
  uint16_t downgrade_sentinel = 0;
  bool flight_complete = false;  // ServerHelloDone seen (TLS <= 1.2)
  absl::Duration elapsed;        // connect to last byte
};

// Tri-state facts.
enum class Tri : uint8_t { kUnknown, kYes, kNo };
const char* TriName(Tri tri);

// Preference: whose order decides (found by offering a list and its reverse).
enum class Preference : uint8_t { kUnknown, kServer, kClient };
const char* PreferenceName(Preference preference);

struct VersionFinding {
  uint16_t version = 0;
  Tri accepted = Tri::kUnknown;  // kUnknown when every attempt hit a condition
  int evidence = -1;             // index into ScanResult::exchanges
};

struct SuiteFinding {
  uint16_t version = 0;
  // Accepted suites: in the server's preference order when |order| is
  // kServer, otherwise in the order found.
  std::vector<uint16_t> accepted;
  Preference order = Preference::kUnknown;
  bool complete = false;  // false when a condition cut the enumeration short
  std::vector<int> evidence;
};

struct GroupFinding {
  // kTls13 (groups named in HelloRetryRequests to a hello without key
  // shares), or the highest accepted TLS <= 1.2 version (ECDHE curves read
  // off ServerKeyExchange, offering only the accepted ECDHE suites).
  uint16_t version = 0;
  std::vector<uint16_t> accepted;  // preference order when |order| is kServer
  Preference order = Preference::kUnknown;
  uint16_t preferred = 0;  // chosen when every accepted group is offered in catalog order
  bool complete = false;
  std::vector<int> evidence;
};

struct SignatureFinding {
  // kTls12 (or the highest TLS <= 1.2): read from ServerKeyExchange, in the
  // server's order of choice. kTls13: each TLS 1.3 scheme offered alone,
  // accepted when a ServerHello came back (the choice itself is encrypted).
  uint16_t version = 0;
  std::vector<uint16_t> accepted;
  Tri sha1_only = Tri::kUnknown;      // accepts a hello offering only SHA-1 schemes
  Tri accepts_sha1 = Tri::kUnknown;   // a SHA-1 scheme is among |accepted|
  std::vector<int> evidence;
};

struct Fact {
  Tri value = Tri::kUnknown;
  int evidence = -1;
};

// How a server answered one ALPN offer.
enum class AlpnAnswer : uint8_t {
  kUnknown,   // not tried, or no TLS answer (the exchange says why)
  kIgnored,   // a ServerHello without ALPN
  kSelected,  // a ServerHello selecting |AlpnFinding::protocol|
  kRefused,   // an alert (|AlpnFinding::alert|; RFC 7301's is 120)
};

// AlpnAnswerName returns "unknown", "ignored", "selected" or "refused".
const char* AlpnAnswerName(AlpnAnswer answer);

struct AlpnFinding {
  AlpnAnswer answer = AlpnAnswer::kUnknown;
  std::string protocol;  // kSelected: the protocol the server chose
  uint8_t alert = 0;     // kRefused: the alert's description
  int evidence = -1;
};

struct ScanOptions {
  Connector connect;
  std::string server_name;  // SNI; empty sends none
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration read_timeout = absl::Seconds(5);  // per exchange, after the hello is written
  // Connections in flight at once; 1 is gentle (the default).
  int connections = 1;
  // Versions to test, any of kSsl3..kTls13.
  std::vector<uint16_t> versions = {kSsl3, kTls10, kTls11, kTls12, kTls13};
  bool enumerate_suites = true;
  bool find_server_order = true;
  bool enumerate_groups = true;
  bool enumerate_signature_algorithms = true;
  bool check_extras = true;  // compression, renegotiation, EMS, ticket, OCSP
  FlightLimits limits;
  // Hard bounds on the whole scan; hitting one ends it with |aborted| set.
  int max_exchanges = 3000;
  absl::Duration total_budget = absl::Seconds(300);
  // After this many consecutive exchanges without any TLS reply (connect
  // failures, timeouts, garbage) the scan stops: the server is not answering.
  int max_consecutive_conditions = 6;
};

struct ScanResult {
  std::vector<VersionFinding> versions;  // one per ScanOptions::versions, same order
  std::vector<SuiteFinding> suites;      // one per accepted version
  std::vector<GroupFinding> groups;      // TLS 1.2 and/or 1.3 when accepted
  std::vector<SignatureFinding> signature_algorithms;
  std::vector<uint16_t> dh_p_bits;       // distinct DHE modulus sizes seen (ascending)
  int dh_evidence = -1;
  Fact compression;            // server accepts DEFLATE (method 1)
  Fact secure_renegotiation;   // RFC 5746 renegotiation_info answered
  Fact extended_master_secret;
  Fact session_ticket;         // SessionTicket extension answered (TLS <= 1.2)
  Fact ocsp_stapling;          // CertificateStatus sent (TLS <= 1.2)
  Fact fallback_scsv;          // inappropriate_fallback for a downgraded retry
  // ALPN (RFC 7301) at the highest TLS <= 1.2 version (a TLS 1.3 server
  // answers it encrypted): |alpn_smtp| offers "smtp" alone, as a sender
  // that uses ALPN does (a refusal breaks that sender); |alpn_foreign|
  // offers only "h2" and "http/1.1": selecting one is the cross-protocol
  // confusion ALPACA abuses, refusing with no_application_protocol is RFC
  // 7301 3.2's answer, ignoring it is common and harmless.
  AlpnFinding alpn_smtp;
  AlpnFinding alpn_foreign;
  // Certificates (DER) from the first complete TLS <= 1.2 flight, as sent.
  std::vector<std::string> certificates;
  // Every exchange, in order of start; findings point into it.
  std::vector<Exchange> exchanges;
  // Exchanges whose outcome was a condition (timeout, reset, garbage, ...).
  std::vector<int> conditions;
  bool aborted = false;
  std::string abort_reason;
  absl::Duration elapsed;
};

// Scan runs the scan described by |options|. It fails only for invalid
// options (no connector, connections outside 1..64, unknown version); what the
// server does is always reported inside ScanResult.
absl::StatusOr<ScanResult> Scan(const ScanOptions& options);

// DefaultHello returns the hello the scanner starts from for |version|
// (kSsl3..kTls13): for SSL 3.0 no extensions and the renegotiation SCSV; for
// TLS 1.0-1.2 SNI (when |server_name| is not empty), every catalog group
// valid at |version|, every signature scheme, ec_point_formats,
// renegotiation_info, extended_master_secret, session_ticket and
// status_request; for TLS 1.3 supported_versions, an X25519 key share and a
// 32-byte session id. |cipher_suites| is left empty for the caller.
ClientHelloSpec DefaultHello(uint16_t version, absl::string_view server_name);

// ExchangeHello writes |hello| to |fd| and reads the first flight until it is
// complete, the peer closes, or |deadline| passes. The socket is made
// non-blocking. Returns the outcome and fills |*flight|. Exposed so the probe
// can send one-off hellos over a connection it prepared.
Outcome ExchangeHello(int fd, absl::string_view hello, absl::Time deadline,
                      const FlightLimits& limits, ServerFlight* flight, std::string* detail);

}  // namespace mailshake::wire

#endif  // MAILSHAKE_SRC_WIRE_SCAN_H_
