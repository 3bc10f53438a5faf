// One connection to the server under test, driven step by step, every step
// bounded by an absolute deadline: TCP connect, SMTP replies (through
// src/smtp's reply parser and client dialogue), sends, and a BoringSSL client
// handshake. The probe's checks, `mailshake cert` and the connector that
// src/wire's scanner dials through are all built on it.
//
//   absl::StatusOr<std::unique_ptr<Session>> s = Session::Open(address, deadline);
//   ReachedTls reached;
//   absl::Status r = ReachTls(s->get(), implicit, options, per_reply, &reached);
//   ... (*s)->Handshake(ctx, deadline) ...
//
// Failures are absl::Status values that carry one outcome category of the
// shared vocabulary ("connect_refused", "timeout:banner", "reset:starttls",
// "banner_rejected:421", "starttls_not_offered", "tls_alert:...", ...):
// read it with |OutcomeCategory|.

#ifndef MAILSHAKE_SRC_PROBE_SESSION_H_
#define MAILSHAKE_SRC_PROBE_SESSION_H_

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/net/address.h"
#include "src/net/socket.h"
#include "src/smtp/dialogue.h"
#include "src/smtp/reply_parser.h"

namespace mailshake::probe {

// OutcomeCategory returns the outcome category carried by |status| (see the
// file comment), "ok" for an OK status and "error" when none was attached.
std::string OutcomeCategory(const absl::Status& status);

// WithCategory returns |status| with |category| attached.
absl::Status WithCategory(absl::Status status, absl::string_view category);

// Transcript keeps what was said on a connection, for evidence: "C: EHLO x",
// "S: 250-...", "TLS: ...". Bounded: at most |kMaxLines| lines of at most
// |kMaxLineLength| octets each (longer ones are cut and marked), non-printable
// octets escaped.
class Transcript {
 public:
  static constexpr size_t kMaxLines = 64;
  static constexpr size_t kMaxLineLength = 200;

  void Add(absl::string_view prefix, absl::string_view text);
  void AddReply(const smtp::Reply& reply);
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::vector<std::string> lines_;
  size_t dropped_ = 0;
};

class Session {
 public:
  // Open connects to |address| and returns once the connection is up, or
  // fails by |deadline| ("connect_refused", "connect_timeout", ...).
  static absl::StatusOr<std::unique_ptr<Session>> Open(const net::SocketAddress& address,
                                                       absl::Time deadline);

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Send writes all of |bytes|, through TLS once |Handshake| succeeded, and
  // records them in the transcript under "C: ". |phase| names the step for
  // failure categories ("ehlo", "starttls", ...).
  absl::Status Send(absl::string_view bytes, absl::string_view phase, absl::Time deadline);

  // ReadReply returns the next complete SMTP reply, reading as needed. Bytes
  // beyond it stay in |pending()|. Fails with "timeout:PHASE",
  // "closed_by_server:PHASE", "reset:PHASE" or
  // "protocol_violation:bad_reply".
  absl::StatusOr<smtp::Reply> ReadReply(absl::string_view phase, absl::Time deadline);

  // Handshake runs a BoringSSL client handshake from |ctx| over the
  // connection (SNI and verification as the context says), offering a saved
  // session when |offer_session|. Plaintext already received and not consumed
  // is an error ("protocol_violation:starttls_injection") unless
  // |allow_pending|. On failure the category is "tls_alert:NAME",
  // "tls_error:REASON", "timeout:tls", "reset:tls" or "closed_by_server:tls".
  absl::Status Handshake(SSL_CTX* ctx, absl::Time deadline, bool offer_session = false,
                         bool allow_pending = false);

  // WaitReadable waits until the peer sends something or closes, up to
  // |deadline|. Returns true if it did.
  bool WaitReadable(absl::Time deadline);

  // PeerChain returns the certificates the server sent in the handshake, DER,
  // leaf first (empty before a successful |Handshake|).
  std::vector<std::string> PeerChain() const;

  // ssl returns the TLS connection once |Handshake| was called, else null.
  SSL* ssl() const { return ssl_.get(); }
  int fd() const { return fd_.get(); }
  // TakeFd hands the socket over (non-blocking), e.g. to src/wire's scanner
  // after the SMTP dialogue reached STARTTLS's 220. The session is unusable
  // afterwards.
  net::UniqueFd TakeFd() { return std::move(fd_); }
  // pending returns plaintext received beyond the last reply.
  const std::string& pending() const { return pending_; }
  Transcript& transcript() { return transcript_; }

 private:
  explicit Session(net::UniqueFd fd) : fd_(std::move(fd)) {}
  // Wait polls for |events| until |deadline|; false on timeout.
  bool Wait(short events, absl::Time deadline);
  // Fill reads more plaintext (or TLS application data) into |pending_|.
  absl::Status Fill(absl::string_view phase, absl::Time deadline);

  net::UniqueFd fd_;
  bssl::UniquePtr<SSL> ssl_;
  smtp::ReplyParser parser_;
  std::string pending_;
  Transcript transcript_;
};

// ReachedTls is what |ReachTls| saw on its way to the point at which the
// next bytes on the connection are the client's ClientHello.
struct ReachedTls {
  smtp::Reply banner;          // empty for implicit TLS
  smtp::Reply ehlo;            // the EHLO reply before STARTTLS
  smtp::EhloExtensions extensions;
  smtp::Reply starttls;        // the 220 to STARTTLS
  // From the call to the end of the banner: a tarpit shows here.
  absl::Duration banner_delay;
};

// ReachTls drives src/smtp's ClientDialogue over |session| until the TLS
// handshake is due: at once for implicit TLS, else after banner, EHLO,
// STARTTLS and its 220. Failures carry the dialogue's category
// ("banner_rejected:421", "starttls_not_offered", "starttls_refused:454",
// "protocol_violation:starttls_injection" when bytes follow the 220, ...).
// Each reply must arrive within |per_reply| of the step that awaits it, and
// all of them by |deadline|.
// |*reached| is filled as far as the dialogue got, on failure too.
absl::Status ReachTls(Session* session, bool implicit_tls, const smtp::ClientOptions& options,
                      absl::Duration per_reply, ReachedTls* reached,
                      absl::Time deadline = absl::InfiniteFuture());

}  // namespace mailshake::probe

#endif  // MAILSHAKE_SRC_PROBE_SESSION_H_
