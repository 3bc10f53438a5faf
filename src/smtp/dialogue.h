// SMTP dialogues as pure state machines: no sockets, no clocks, no TLS. The
// embedded server drives one ServerDialogue per connection and the load
// engine one ClientDialogue per session; both just move bytes and replies in
// and out and act on what the dialogue tells them to do.
//
// Security decisions pinned here (and by tests):
//  - STARTTLS (RFC 3207): every byte the client sent after the STARTTLS line,
//    in the same read or later before the handshake, is discarded unexecuted
//    and counted (the CVE-2011-0411 command injection class).
//  - Only CR LF ends a command line, and only CR LF "." CR LF ends DATA. A
//    bare CR or LF inside a command line makes it a 501; inside a message it
//    is message content (and counted). Nothing can be smuggled past the end
//    of DATA with "\n.\n" or "\r.\r" (CVE-2023-51766 class).
//  - All buffering is bounded: at most one command line (512 octets) or one
//    text line (1000 octets), whatever the client sends.

#ifndef MAILSHAKE_SRC_SMTP_DIALOGUE_H_
#define MAILSHAKE_SRC_SMTP_DIALOGUE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "src/smtp/command_parser.h"
#include "src/smtp/line_assembler.h"
#include "src/smtp/reply_parser.h"

namespace mailshake {
namespace smtp {

// ---------------------------------------------------------------------------
// Server side.

struct ServerOptions {
  // hostname names the server in the banner, EHLO and closing replies.
  std::string hostname = "localhost";
  // starttls_offered makes EHLO advertise STARTTLS while TLS is not active.
  // When false, STARTTLS gets 502.
  bool starttls_offered = true;
  // implicit_tls means the connection is TLS from the start (port 465,
  // RFC 8314): STARTTLS is neither offered nor accepted.
  bool implicit_tls = false;
  // max_message_size is advertised with SIZE and enforced on DATA (552).
  size_t max_message_size = 10 << 20;
  // max_recipients bounds RCPT per transaction (452 beyond it).
  size_t max_recipients = 100;
  // max_errors is how many error replies in a row end the connection with
  // 421.
  size_t max_errors = 10;
};

enum class ServerAction {
  kContinue,  // Send the output, keep reading.
  kStartTls,  // Send the output in plaintext, then do the TLS handshake as
              // server and call OnTlsEstablished().
  kClose,     // Send the output, then close the connection.
};

// ServerCounters are what one connection did, for the server's statistics.
struct ServerCounters {
  uint64_t commands = 0;           // Command lines received.
  uint64_t errors = 0;             // 4xx and 5xx replies sent.
  uint64_t messages_accepted = 0;  // Messages answered with 250.
  uint64_t message_octets = 0;     // Octets of accepted messages, unstuffed.
  uint64_t messages_rejected = 0;  // Messages refused at end of DATA.
  // discarded_after_starttls counts octets received after an accepted
  // STARTTLS line and before OnTlsEstablished(), which were never executed.
  uint64_t discarded_after_starttls = 0;
  // bare_line_ends_in_data counts CR or LF octets inside message lines that
  // were not part of a CR LF pair.
  uint64_t bare_line_ends_in_data = 0;
};

class ServerDialogue {
 public:
  explicit ServerDialogue(ServerOptions options);

  ServerDialogue(const ServerDialogue&) = delete;
  ServerDialogue& operator=(const ServerDialogue&) = delete;

  // Greet appends the banner "220 <hostname> ESMTP mailshake\r\n" to |*out|.
  // Call it once when the connection opens (after the handshake for implicit
  // TLS).
  void Greet(std::string* out);

  // Consume executes the client bytes in |in| (plaintext, or decrypted once
  // TLS is active), appending every reply, in order, to |*out|. Any number of
  // pipelined commands, and any split of them, is fine: an incomplete line is
  // kept (bounded) for the next call. It returns kStartTls right after
  // accepting STARTTLS, discarding the rest of |in| (and again, discarding
  // all of |in|, if called before OnTlsEstablished()), and kClose after QUIT,
  // too many errors in a row, or when the dialogue had already ended.
  ServerAction Consume(absl::string_view in, std::string* out);

  // OnTlsEstablished tells the dialogue that the TLS handshake completed. As
  // RFC 3207 section 4.2 requires, the client must send EHLO again: all state
  // from before is forgotten. No reply is sent.
  void OnTlsEstablished();

  // OnTimeout appends "421 4.4.2 <hostname> Error: timeout exceeded\r\n"; the
  // caller then closes the connection.
  void OnTimeout(std::string* out);

  bool tls_active() const { return tls_active_; }
  bool closed() const { return state_ == State::kClosed; }
  // receiving_data returns true between the 354 to DATA and the end of the
  // message, when servers usually apply a longer timeout (RFC 5321 4.5.3.2).
  bool receiving_data() const { return state_ == State::kData; }
  // close_reason returns why the dialogue ended, as a static string: "quit",
  // "too_many_errors" or "timeout"; "" while it has not ended.
  const char* close_reason() const { return close_reason_; }
  const ServerCounters& counters() const { return counters_; }

 private:
  enum class State {
    kCommand,  // Reading command lines.
    kData,     // Reading message text after 354.
    kTlsWait,  // STARTTLS accepted, waiting for OnTlsEstablished().
    kClosed,
  };

  // Each handles the line just completed in line_ and returns the action.
  ServerAction OnCommandLine(std::string* out);
  ServerAction OnDataLine(std::string* out);
  ServerAction Execute(const Command& command, std::string* out);
  void ResetTransaction();
  // Respond appends "<code> <enhanced> <text>\r\n" and tracks errors in a row.
  // Returns kClose if this error was one too many (421 appended as well).
  ServerAction Respond(int code, absl::string_view enhanced,
                       absl::string_view text, std::string* out);
  void AppendEhloReply(std::string* out) const;

  const ServerOptions options_;
  State state_ = State::kCommand;
  internal::LineAssembler line_;
  bool tls_active_;
  bool greeted_ = false;         // EHLO or HELO accepted.
  bool extended_ = false;        // It was EHLO.
  bool in_transaction_ = false;  // MAIL accepted.
  bool smtputf8_ = false;        // MAIL had SMTPUTF8.
  size_t recipients_ = 0;        // RCPT accepted in this transaction.
  size_t rcpt_attempts_ = 0;     // RCPT commands in this transaction.
  // DATA state: octets of the unstuffed message, and what went wrong.
  uint64_t message_size_ = 0;
  bool message_line_too_long_ = false;
  size_t errors_in_a_row_ = 0;
  const char* close_reason_ = "";
  ServerCounters counters_;
  // Scratch for OnCommandLine, kept between lines for its strings' capacity.
  Command command_;
  CommandError error_;
};

// ---------------------------------------------------------------------------
// Client side.

struct ClientOptions {
  // ehlo_name is the domain sent with EHLO.
  std::string ehlo_name = "mailshake.invalid";
  // implicit_tls starts with the TLS handshake (smtps, RFC 8314).
  bool implicit_tls = false;
  // AfterTls says what to do once TLS is up (after STARTTLS, or after the
  // first EHLO for implicit TLS): QUIT at once, EHLO again then QUIT, or
  // EHLO, then send one message (MAIL, RCPT, DATA), then QUIT.
  enum AfterTls { kQuit, kEhlo, kMail };
  AfterTls after_tls = kQuit;
  std::string mail_from = "bench@mailshake.invalid";
  std::string rcpt_to = "sink@mailshake.invalid";
  // message_size is the size in octets of the message sent with kMail,
  // headers included, excluding the final ".\r\n".
  size_t message_size = 1024;
};

// Phase is the step of the session being timed. After the session finished
// it stays at the phase where it ended, so a failure can be attributed.
enum class Phase {
  kBanner,    // Waiting for the 220 greeting.
  kEhlo,      // EHLO sent, waiting for 250.
  kStartTls,  // STARTTLS sent, waiting for 220.
  kTls,       // The caller is doing the TLS handshake.
  kPostTls,   // EHLO / MAIL / RCPT / DATA over TLS.
  kQuit,      // QUIT sent, waiting for 221 or the close.
};

absl::string_view PhaseName(Phase phase);

enum class FailureKind {
  kNone,
  kBannerRejected,       // Greeting was not 220 (e.g. 554, 421).
  kEhloRejected,         // EHLO refused (no fallback to HELO: a benchmark
                         // needs ESMTP).
  kStartTlsNotOffered,   // EHLO reply lacks STARTTLS.
  kStartTlsRefused,      // STARTTLS got something else than 220.
  kPostTlsEhloRejected,  // EHLO over TLS refused.
  kMailRejected,         // MAIL FROM refused.
  kRcptRejected,         // RCPT TO refused.
  kDataRejected,         // DATA, or the message at end of data, refused.
  kUnexpectedReply,      // A reply when none was due, or a non-221 to QUIT.
  kConnectionClosed,     // The server closed before the session ended.
  // A reply (or part of one) had already been received when the dialogue
  // asked to send the command it would answer: the server answered a command
  // it never got (see ClientDialogue::OnReply).
  kReplyBeforeCommand,
  // Bytes followed the 220 to STARTTLS before the handshake: STARTTLS
  // response injection (CVE-2011-0411 class).
  kStartTlsInjection,
};

absl::string_view FailureKindName(FailureKind kind);

// Step is what the caller must do next.
struct Step {
  enum Kind {
    kWait,      // Nothing to send: read the next reply.
    kSend,      // Send |bytes|, then read the next reply.
    kStartTls,  // Do the TLS handshake as client, then OnTlsEstablished().
    kDone,      // The session succeeded: close the connection.
    kFail,      // The session failed with |failure| (and |reply_code| if a
                // reply caused it): close the connection.
  };
  Kind kind = kWait;
  // bytes points into the ClientDialogue and stays valid until its next
  // non-const call.
  absl::string_view bytes;
  FailureKind failure = FailureKind::kNone;
  int reply_code = 0;
};

// FailureCategory returns the outcome category (the engine's vocabulary, as
// in mailshake.result/v1) of a failed |step| that ended in |phase_name|:
// "closed_by_server:<phase_name>" when the server closed,
// "protocol_violation:reply_before_command" and
// "protocol_violation:starttls_injection" for the two protocol violations
// the dialogue detects, "starttls_not_offered", and otherwise the failure's
// name followed by ":<reply code>" (e.g. "starttls_refused:454").
std::string FailureCategory(const Step& step, absl::string_view phase_name);

// ClientDialogue drives one session at a time and is reusable: Start() begins
// a new session, keeping the command strings and the message the constructor
// built once, so sessions do not rebuild them.
class ClientDialogue {
 public:
  explicit ClientDialogue(ClientOptions options);

  ClientDialogue(const ClientDialogue&) = delete;
  ClientDialogue& operator=(const ClientDialogue&) = delete;

  // Start begins a session on a new connection. For plain SMTP it returns
  // kWait (for the banner); for implicit TLS it returns kStartTls.
  Step Start();
  // OnReply advances the session with the next reply from the server.
  // |more_received| says whether more bytes from the server had already been
  // received behind |reply| (in the same read, or kept by the caller's
  // parser) when OnReply is called. Those bytes cannot answer a command the
  // dialogue asks to send now, since the server had not received it: if the
  // step would be kSend the session fails with kReplyBeforeCommand, and if
  // it would be kStartTls with kStartTlsInjection. PIPELINING (RFC 2920)
  // changes nothing here: it lets a client send a group of commands without
  // waiting, and their replies still follow the group. This client sends no
  // groups, so no reply may ever precede the command it answers.
  Step OnReply(const Reply& reply, bool more_received = false);
  // OnTlsEstablished reports that the handshake requested by kStartTls
  // completed.
  Step OnTlsEstablished();
  // OnConnectionClosed reports that the server closed the connection. That is
  // success while waiting for the reply to QUIT, and failure otherwise.
  Step OnConnectionClosed();

  Phase phase() const { return phase_; }
  bool finished() const { return finished_; }
  bool tls_active() const { return tls_active_; }
  // extensions returns what the last EHLO reply advertised.
  const EhloExtensions& extensions() const { return extensions_; }

 private:
  enum class Awaiting {
    kNothing,
    kBanner,
    kEhlo,
    kStartTls,
    kMail,
    kRcpt,
    kData,
    kMessage,
    kQuit
  };

  // Advance is OnReply without the check for bytes received too early.
  Step Advance(const Reply& reply);
  Step Send(absl::string_view bytes, Phase phase, Awaiting awaiting);
  Step Fail(FailureKind kind, int code);
  Step Done();
  // AfterEhlo decides what follows a positive EHLO reply.
  Step AfterEhlo();

  const ClientOptions options_;
  const std::string ehlo_;
  const std::string mail_;
  const std::string mail_with_size_;
  const std::string rcpt_;
  const std::string message_;  // Body, dot-stuffed, ending with CRLF.CRLF.
  Phase phase_ = Phase::kBanner;
  Awaiting awaiting_ = Awaiting::kNothing;
  bool tls_active_ = false;
  bool finished_ = false;
  EhloExtensions extensions_;
};

}  // namespace smtp
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_SMTP_DIALOGUE_H_
