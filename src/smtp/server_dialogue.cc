#include <utility>

#include "absl/strings/str_cat.h"
#include "src/smtp/dialogue.h"

namespace mailshake {
namespace smtp {
namespace {

// RFC 5321 section 4.5.3.1.6: a text line is at most 1000 octets with CR LF.
constexpr size_t kMaxTextLine = 1000;

}  // namespace

ServerDialogue::ServerDialogue(ServerOptions options)
    : options_(std::move(options)),
      line_(kMaxCommandLine - 2, internal::LineEnding::kCrlfOnly),
      tls_active_(options_.implicit_tls) {}

void ServerDialogue::Greet(std::string* out) {
  absl::StrAppend(out, "220 ", options_.hostname, " ESMTP mailshake\r\n");
}

void ServerDialogue::OnTimeout(std::string* out) {
  absl::StrAppend(out, "421 4.4.2 ", options_.hostname,
                  " Error: timeout exceeded\r\n");
  state_ = State::kClosed;
  close_reason_ = "timeout";
}

void ServerDialogue::OnTlsEstablished() {
  tls_active_ = true;
  greeted_ = false;
  extended_ = false;
  ResetTransaction();
  errors_in_a_row_ = 0;
  line_.Clear();
  line_.set_max_content(kMaxCommandLine - 2);
  if (state_ != State::kClosed) state_ = State::kCommand;
}

void ServerDialogue::ResetTransaction() {
  in_transaction_ = false;
  smtputf8_ = false;
  recipients_ = 0;
  rcpt_attempts_ = 0;
}

ServerAction ServerDialogue::Consume(absl::string_view in, std::string* out) {
  switch (state_) {
    case State::kClosed:
      return ServerAction::kClose;
    case State::kTlsWait:
      counters_.discarded_after_starttls += in.size();
      return ServerAction::kStartTls;
    case State::kCommand:
    case State::kData:
      break;
  }
  while (!in.empty()) {
    const internal::LineAssembler::Result r = line_.Feed(&in);
    if (r != internal::LineAssembler::Result::kLine) {
      // kNeedMore: all of |in| is consumed. kOverflow: keep skipping the
      // overlong line; it is answered when its CR LF arrives. kBareCr cannot
      // happen with kCrlfOnly.
      continue;
    }
    const ServerAction action =
        state_ == State::kData ? OnDataLine(out) : OnCommandLine(out);
    if (action == ServerAction::kStartTls) {
      // RFC 3207 section 4.2 / CVE-2011-0411: whatever was pipelined after
      // STARTTLS must not survive into the TLS session.
      counters_.discarded_after_starttls += in.size();
      line_.Clear();
      state_ = State::kTlsWait;
      return action;
    }
    if (action == ServerAction::kClose) {
      state_ = State::kClosed;
      return action;
    }
  }
  return ServerAction::kContinue;
}

ServerAction ServerDialogue::Respond(int code, absl::string_view enhanced,
                                     absl::string_view text, std::string* out) {
  absl::StrAppend(out, code, " ");
  if (!enhanced.empty()) absl::StrAppend(out, enhanced, " ");
  absl::StrAppend(out, text, "\r\n");
  if (code < 400) {
    errors_in_a_row_ = 0;
    return ServerAction::kContinue;
  }
  ++counters_.errors;
  if (++errors_in_a_row_ >= options_.max_errors) {
    absl::StrAppend(out, "421 4.7.0 ", options_.hostname,
                    " Error: too many errors\r\n");
    close_reason_ = "too_many_errors";
    return ServerAction::kClose;
  }
  return ServerAction::kContinue;
}

ServerAction ServerDialogue::OnCommandLine(std::string* out) {
  ++counters_.commands;
  if (line_.overflowed()) return Respond(500, "5.5.2", "Line too long", out);
  // (command_ and error_ are reused so that their strings keep capacity.)
  if (!ParseCommand(line_.line(), &command_, &error_)) {
    return Respond(error_.code, error_.enhanced, error_.text, out);
  }
  return Execute(command_, out);
}

void ServerDialogue::AppendEhloReply(std::string* out) const {
  const std::string size = absl::StrCat("SIZE ", options_.max_message_size);
  const bool starttls = options_.starttls_offered && !tls_active_;
  const absl::string_view lines[] = {
      options_.hostname, "PIPELINING",          size,       "8BITMIME",
      "SMTPUTF8",        "ENHANCEDSTATUSCODES", "STARTTLS",
  };
  const size_t count = starttls ? 7 : 6;
  for (size_t i = 0; i < count; ++i) {
    absl::StrAppend(out, "250", i + 1 == count ? " " : "-", lines[i], "\r\n");
  }
}

ServerAction ServerDialogue::Execute(const Command& command, std::string* out) {
  switch (command.verb) {
    case Verb::kEhlo:
    case Verb::kHelo:
      // RFC 5321 section 4.1.4: EHLO/HELO also resets any transaction.
      ResetTransaction();
      greeted_ = true;
      extended_ = command.verb == Verb::kEhlo;
      errors_in_a_row_ = 0;
      if (extended_) {
        AppendEhloReply(out);
      } else {
        absl::StrAppend(out, "250 ", options_.hostname, "\r\n");
      }
      return ServerAction::kContinue;

    case Verb::kMail:
      if (!greeted_) return Respond(503, "5.5.1", "Send EHLO/HELO first", out);
      if (in_transaction_) {
        return Respond(503, "5.5.1", "Nested MAIL command", out);
      }
      if (!extended_ &&
          (command.size.has_value() || command.body != Body::kUnspecified ||
           command.smtputf8)) {
        return Respond(555, "5.5.4", "MAIL parameters need EHLO", out);
      }
      if (command.size.has_value() &&
          *command.size > options_.max_message_size) {
        return Respond(552, "5.3.4", "Message size exceeds fixed limit", out);
      }
      in_transaction_ = true;
      smtputf8_ = command.smtputf8;
      return Respond(250, "2.1.0", "Sender OK", out);

    case Verb::kRcpt:
      if (!in_transaction_)
        return Respond(503, "5.5.1", "Need MAIL first", out);
      ++rcpt_attempts_;
      if (command.path.non_ascii && !smtputf8_) {
        return Respond(553, "5.6.7",
                       "Non-ASCII address requires SMTPUTF8 on MAIL", out);
      }
      if (recipients_ >= options_.max_recipients) {
        return Respond(452, "4.5.3", "Too many recipients", out);
      }
      ++recipients_;
      return Respond(250, "2.1.5", "Recipient OK", out);

    case Verb::kData:
      if (!in_transaction_)
        return Respond(503, "5.5.1", "Need MAIL first", out);
      if (recipients_ == 0) {
        // RFC 5321 section 3.3: 503 when no RCPT was given, 554 when every
        // RCPT was refused.
        if (rcpt_attempts_ == 0) {
          return Respond(503, "5.5.1", "Need RCPT first", out);
        }
        return Respond(554, "5.5.1", "No valid recipients", out);
      }
      state_ = State::kData;
      line_.set_max_content(kMaxTextLine - 2);
      message_size_ = 0;
      message_line_too_long_ = false;
      return Respond(354, "", "End data with <CR><LF>.<CR><LF>", out);

    case Verb::kRset:
      ResetTransaction();
      return Respond(250, "2.0.0", "OK", out);

    case Verb::kNoop:
      return Respond(250, "2.0.0", "OK", out);

    case Verb::kQuit:
      absl::StrAppend(out, "221 2.0.0 ", options_.hostname,
                      " closing connection\r\n");
      close_reason_ = "quit";
      return ServerAction::kClose;

    case Verb::kStartTls:
      // RFC 3207 does not say what to answer once TLS is up; STARTTLS is
      // then no longer advertised, so it is a command out of sequence (503),
      // as for the client that has not sent EHLO/HELO yet.
      if (tls_active_) return Respond(503, "5.5.1", "TLS already active", out);
      if (!options_.starttls_offered) {
        return Respond(502, "5.5.1", "STARTTLS not available", out);
      }
      if (!greeted_) return Respond(503, "5.5.1", "Send EHLO first", out);
      errors_in_a_row_ = 0;
      out->append("220 2.0.0 Ready to start TLS\r\n");
      return ServerAction::kStartTls;

    case Verb::kVrfy:
      return Respond(252, "2.5.0", "Cannot VRFY user, but will accept message",
                     out);

    case Verb::kHelp:
      return Respond(214, "2.0.0",
                     "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT "
                     "STARTTLS VRFY HELP",
                     out);
  }
  return Respond(500, "5.5.2", "Command not recognized", out);
}

ServerAction ServerDialogue::OnDataLine(std::string* out) {
  const absl::string_view line = line_.line();
  if (!line_.overflowed() && line == ".") {
    state_ = State::kCommand;
    line_.set_max_content(kMaxCommandLine - 2);
    ResetTransaction();
    if (message_line_too_long_) {
      ++counters_.messages_rejected;
      return Respond(500, "5.5.2", "Message text line too long", out);
    }
    if (message_size_ > options_.max_message_size) {
      ++counters_.messages_rejected;
      return Respond(552, "5.3.4", "Message size exceeds fixed limit", out);
    }
    ++counters_.messages_accepted;
    counters_.message_octets += message_size_;
    return Respond(250, "2.0.0", "Message accepted and discarded", out);
  }
  if (line_.overflowed()) message_line_too_long_ = true;
  for (size_t at = line.find_first_of("\r\n"); at != absl::string_view::npos;
       at = line.find_first_of("\r\n", at + 1)) {
    ++counters_.bare_line_ends_in_data;
  }
  // Dot-unstuffing (RFC 5321 section 4.5.2): the leading '.' is not content.
  const bool stuffed = !line.empty() && line.front() == '.';
  message_size_ += line_.length() - (stuffed ? 1 : 0) + 2;
  return ServerAction::kContinue;
}

}  // namespace smtp
}  // namespace mailshake
