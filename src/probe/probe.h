// mailshake::probe: what a sending mail server will get from a receiving one,
// and the evidence for each fact. The probe connects to one target a few
// times, one connection at a time by default, each step bounded by a
// deadline:
//   1. banner, EHLO, STARTTLS and a full BoringSSL handshake as a modern
//      opportunistic sender makes it: the STARTTLS facts, the negotiated
//      parameters, the certificate chain as sent;
//   2. MAIL FROM before STARTTLS (never DATA), pipelined with RSET and NOOP
//      when the server advertises PIPELINING: does it refuse mail without
//      TLS (530), and does it answer pipelined commands in order;
//   3. "STARTTLS\r\nNOOP\r\n" in one write: a server that answers the NOOP
//      inside TLS executes injected plaintext (CVE-2011-0411 class);
//   4. a resumed handshake with the session from 1;
//   5. a TLS 1.2 handshake (ECDHE AES-GCM) followed by a client-initiated
//      renegotiation: does the server answer it with a ServerHello.
// The certificate chain is validated by BoringSSL's X.509 verifier against
// trust anchors, its facts come from src/x509's summary, and names are
// checked under the rules a sender applies (x509::NameRules).
//
// |Findings| turns the facts into findings with stable ids; src/probe's
// policies (policy.h) judge them.

#ifndef MAILSHAKE_SRC_PROBE_PROBE_H_
#define MAILSHAKE_SRC_PROBE_PROBE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/net/address.h"
#include "src/tls/tls.h"
#include "src/wire/scan.h"
#include "src/x509/summary.h"
#include "src/x509/x509.h"

namespace mailshake::probe {

// Deadlines bound every wait of the probe.
struct Deadlines {
  absl::Duration connect = absl::Seconds(5);
  // Each SMTP reply, and the TLS handshake.
  absl::Duration reply = absl::Seconds(10);
  // A banner slower than this is reported as a tarpit (still within |reply|).
  absl::Duration tarpit = absl::Seconds(3);
};

// NameCheck asks whether the leaf certificate is valid for |reference| under
// |rules|.
struct NameCheck {
  std::string reference;
  x509::NameRules rules = x509::NameRules::kRfc9525;
};

struct ProbeOptions {
  net::Target target;
  // Names to check besides the host dialled (which is checked under
  // |host_rules| unless it is an IP literal... then as an IP).
  std::vector<NameCheck> names;
  x509::NameRules host_rules = x509::NameRules::kRfc9525;
  // Trust anchors: a PEM file or a hashed directory.
  std::string trust_anchors = "/etc/ssl/certs";
  // SNI; empty sends none (the default for IP literals is none, for host
  // names the host).
  std::string server_name;
  std::string ehlo_name = "mailshake.invalid";
  Deadlines deadlines;
  // The time certificates are judged against.
  absl::Time now = absl::Now();
  // Run src/wire's scan (versions, suites, groups, ...) through |Connector|.
  bool scan = true;
  // Connections in flight at once during the scan (1: gentle).
  int connections = 1;
};

// Severity says what a finding means for a sender.
enum class Severity {
  kOk,       // as it should be
  kInfo,     // a fact without judgement
  kWarning,  // works, but a partner may refuse it or it is fragile
  kProblem,  // a sender fails, or security is broken
  kUnknown,  // the probe could not find out (the outcome says why)
};

// SeverityName returns "ok", "info", "warning", "problem" or "unknown".
const char* SeverityName(Severity severity);

// Finding is one fact with its evidence. |id| is stable across versions
// (documented in SCHEMA.md): tools may key on it.
struct Finding {
  std::string id;
  Severity severity = Severity::kInfo;
  std::string title;         // one line for the terminal report
  nlohmann::json value;      // the fact, machine-readable
  std::vector<std::string> evidence;  // transcript lines, reasons
  std::string outcome;       // outcome category when the check could not finish
};

// SmtpFacts is what the SMTP side of the probe found.
struct SmtpFacts {
  // The first connection: banner, EHLO, STARTTLS.
  std::string outcome = "not_run";  // "ok" or the category that stopped it
  std::string outcome_detail;
  int banner_code = 0;
  absl::Duration banner_delay;
  std::string banner_text;
  bool ehlo_ok = false;
  bool starttls_offered = false;
  bool pipelining_advertised = false;
  int starttls_code = 0;
  std::string starttls_text;
  std::vector<std::string> transcript;
  // MAIL FROM before STARTTLS: the reply code (0: not answered/not tried).
  int mail_before_tls_code = 0;
  std::string mail_before_tls_outcome = "not_run";
  std::vector<std::string> mail_transcript;
  // Pipelined MAIL, RSET, NOOP before STARTTLS: answered with three replies
  // in order (nullopt when not tried: PIPELINING not advertised).
  std::optional<bool> pipelining_correct;
  std::string pipelining_detail;
  // STARTTLS injection: the NOOP sent with STARTTLS was answered inside TLS.
  std::optional<bool> injection_vulnerable;
  std::string injection_outcome = "not_run";
  std::vector<std::string> injection_transcript;
};

// CertificateFacts is what the full handshake showed.
struct CertificateFacts {
  std::string outcome = "not_run";  // of the handshake
  std::string outcome_detail;
  tls::HandshakeInfo handshake;     // what a modern client negotiated
  std::vector<std::string> chain;   // DER as sent, leaf first
  std::string parse_error;          // when a certificate does not parse
  std::optional<x509::Summary> summary;
  // BoringSSL's verdict on the chain against the trust anchors.
  long verify_error = -1;           // X509_V_OK (0) or X509_V_ERR_*; -1 not run
  std::string verify_error_text;
  struct Name {
    NameCheck check;
    x509::NameMatchResult result;
  };
  std::vector<Name> names;
  // Resumption with the session of the first handshake.
  std::optional<bool> resumed;
  std::string resumption_outcome = "not_run";
};

// RenegotiationFacts is what a client-initiated renegotiation on a TLS 1.2
// connection showed (NCSC-NL 2025-05 3.4.2): a renegotiating ClientHello,
// encrypted under the connection's keys, sent right after the handshake.
struct RenegotiationFacts {
  // "ok" when the answer was judged; "not_applicable:..." when no TLS 1.2
  // connection with an ECDHE AES-GCM suite could be made (a TLS 1.3-only
  // server has no renegotiation); "not_run"; or the category that stopped it.
  std::string outcome = "not_run";
  // The server answered with a ServerHello (it renegotiates); false for an
  // alert, a close, a reset or silence until the deadline.
  std::optional<bool> accepted;
  std::string detail;
  std::vector<std::string> evidence;
};

struct ProbeReport {
  std::string target;  // "smtp://host:port"
  std::string host;
  bool implicit_tls = false;
  absl::Time start;
  absl::Duration elapsed;
  SmtpFacts smtp;
  CertificateFacts certificate;
  RenegotiationFacts renegotiation;
  int connections = 0;  // opened by the probe's own checks
  Deadlines deadlines;  // the ones the probe ran with
  // src/wire's scan, when it ran; |scan_status| says why not otherwise.
  std::optional<wire::ScanResult> scan;
  std::string scan_status = "not_run";
};

// MakeConnector returns the connect function src/wire's scanner dials
// through: a TCP connect, then for smtp:// banner, EHLO and STARTTLS (src/smtp's
// client dialogue over a |Session|), all by the scanner's deadline. Failures
// carry their outcome category in the message ("banner_rejected:421: ...").
wire::Connector MakeConnector(const ProbeOptions& options);

// Probe runs the SMTP side and the certificate checks against
// |options.target|. It fails only for invalid options (unloadable trust
// anchors); whatever the server does is reported in the result.
absl::StatusOr<ProbeReport> Probe(const ProbeOptions& options);

// Probed reports whether the target answered enough to be judged: a banner
// was read (whatever its code).
bool Probed(const ProbeReport& report);

// Findings turns |report| into findings, in report order.
std::vector<Finding> Findings(const ProbeReport& report);

// Rfc8460ResultType returns the TLS-RPT result type (RFC 8460 4.3) a sending
// MTA would report for |report|'s certificate or STARTTLS failure under a
// policy that requires authenticated TLS, or "" when none applies:
// "starttls-not-supported", "certificate-expired", "certificate-not-trusted",
// "certificate-host-mismatch" or "validation-failure". It names the first
// failure in the shared outcome vocabulary and maps it with
// outcome::Rfc8460ResultType, the one mapping bench results use too.
std::string Rfc8460ResultType(const ProbeReport& report, bool check_name);

}  // namespace mailshake::probe

#endif  // MAILSHAKE_SRC_PROBE_PROBE_H_
