#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/smtp/dialogue.h"

namespace mailshake {
namespace smtp {
namespace {

constexpr absl::string_view kStartTlsCommand = "STARTTLS\r\n";
constexpr absl::string_view kQuitCommand = "QUIT\r\n";

// BuildMessage returns a message of exactly |size| octets (at least 2) made
// of CR LF terminated lines no longer than 80 octets, none starting with '.',
// followed by the end-of-data line ".\r\n".
std::string BuildMessage(const ClientOptions& options) {
  const size_t size = std::max<size_t>(options.message_size, 2);
  std::string message;
  message.reserve(size + 3);
  const std::string header =
      absl::StrCat("From: <", options.mail_from, ">\r\nTo: <", options.rcpt_to,
                   ">\r\nSubject: mailshake\r\n\r\n");
  if (header.size() <= size && header.size() < 1000) message = header;
  static constexpr absl::string_view kFiller =
      "mailshake-0123456789-abcdefghijklmnopqrstuvwxyz-"
      "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  while (message.size() < size) {
    const size_t remaining = size - message.size();
    // Lines of up to 78 octets of text; never leave a single octet behind,
    // since a line needs two for its CR LF.
    size_t text = remaining <= 80 ? remaining - 2 : 78;
    if (remaining > 80 && remaining - 80 == 1) text = 77;
    for (size_t i = 0; i < text; ++i) {
      message.push_back(kFiller[i % kFiller.size()]);
    }
    message.append("\r\n");
  }
  message.append(".\r\n");
  return message;
}

}  // namespace

absl::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kBanner:
      return "banner";
    case Phase::kEhlo:
      return "ehlo";
    case Phase::kStartTls:
      return "starttls";
    case Phase::kTls:
      return "tls";
    case Phase::kPostTls:
      return "post_tls";
    case Phase::kQuit:
      return "quit";
  }
  return "unknown";
}

absl::string_view FailureKindName(FailureKind kind) {
  switch (kind) {
    case FailureKind::kNone:
      return "none";
    case FailureKind::kBannerRejected:
      return "banner_rejected";
    case FailureKind::kEhloRejected:
      return "ehlo_rejected";
    case FailureKind::kStartTlsNotOffered:
      return "starttls_not_offered";
    case FailureKind::kStartTlsRefused:
      return "starttls_refused";
    case FailureKind::kPostTlsEhloRejected:
      return "post_tls_ehlo_rejected";
    case FailureKind::kMailRejected:
      return "mail_rejected";
    case FailureKind::kRcptRejected:
      return "rcpt_rejected";
    case FailureKind::kDataRejected:
      return "data_rejected";
    case FailureKind::kUnexpectedReply:
      return "unexpected_reply";
    case FailureKind::kConnectionClosed:
      return "connection_closed";
    case FailureKind::kReplyBeforeCommand:
      return "reply_before_command";
    case FailureKind::kStartTlsInjection:
      return "starttls_injection";
  }
  return "unknown";
}

std::string FailureCategory(const Step& step, absl::string_view phase_name) {
  switch (step.failure) {
    case FailureKind::kConnectionClosed:
      return absl::StrCat("closed_by_server:", phase_name);
    case FailureKind::kReplyBeforeCommand:
    case FailureKind::kStartTlsInjection:
      return absl::StrCat("protocol_violation:", FailureKindName(step.failure));
    case FailureKind::kStartTlsNotOffered:
      // It comes with the EHLO reply's 250, which says nothing about the
      // failure: the category stands alone.
      return std::string(FailureKindName(step.failure));
    default:
      break;
  }
  std::string out(FailureKindName(step.failure));
  if (step.reply_code != 0) absl::StrAppend(&out, ":", step.reply_code);
  return out;
}

ClientDialogue::ClientDialogue(ClientOptions options)
    : options_(std::move(options)),
      ehlo_(absl::StrCat("EHLO ", options_.ehlo_name, "\r\n")),
      mail_(absl::StrCat("MAIL FROM:<", options_.mail_from, ">\r\n")),
      mail_with_size_(absl::StrCat("MAIL FROM:<", options_.mail_from,
                                   "> SIZE=", options_.message_size, "\r\n")),
      rcpt_(absl::StrCat("RCPT TO:<", options_.rcpt_to, ">\r\n")),
      message_(BuildMessage(options_)) {}

Step ClientDialogue::Start() {
  tls_active_ = false;
  finished_ = false;
  extensions_ = EhloExtensions();
  if (options_.implicit_tls) {
    phase_ = Phase::kTls;
    awaiting_ = Awaiting::kNothing;
    Step step;
    step.kind = Step::kStartTls;
    return step;
  }
  phase_ = Phase::kBanner;
  awaiting_ = Awaiting::kBanner;
  return Step();
}

Step ClientDialogue::Send(absl::string_view bytes, Phase phase,
                          Awaiting awaiting) {
  phase_ = phase;
  awaiting_ = awaiting;
  Step step;
  step.kind = Step::kSend;
  step.bytes = bytes;
  return step;
}

Step ClientDialogue::Fail(FailureKind kind, int code) {
  finished_ = true;
  awaiting_ = Awaiting::kNothing;
  Step step;
  step.kind = Step::kFail;
  step.failure = kind;
  step.reply_code = code;
  return step;
}

Step ClientDialogue::Done() {
  finished_ = true;
  awaiting_ = Awaiting::kNothing;
  Step step;
  step.kind = Step::kDone;
  return step;
}

Step ClientDialogue::AfterEhlo() {
  if (options_.after_tls == ClientOptions::kMail) {
    return Send(extensions_.size ? mail_with_size_ : mail_, Phase::kPostTls,
                Awaiting::kMail);
  }
  return Send(kQuitCommand, Phase::kQuit, Awaiting::kQuit);
}

Step ClientDialogue::OnReply(const Reply& reply, bool more_received) {
  Step step = Advance(reply);
  if (more_received) {
    // What follows |reply| was received before anything this step sends.
    if (step.kind == Step::kSend) return Fail(FailureKind::kReplyBeforeCommand, 0);
    if (step.kind == Step::kStartTls) return Fail(FailureKind::kStartTlsInjection, 0);
  }
  return step;
}

Step ClientDialogue::Advance(const Reply& reply) {
  const int code = reply.code;
  switch (awaiting_) {
    case Awaiting::kNothing:
      // A reply nobody asked for: during the TLS handshake this is response
      // injection; after the end it is garbage.
      return Fail(FailureKind::kUnexpectedReply, code);
    case Awaiting::kBanner:
      if (code != 220) return Fail(FailureKind::kBannerRejected, code);
      return Send(ehlo_, Phase::kEhlo, Awaiting::kEhlo);
    case Awaiting::kEhlo:
      if (code != 250) {
        return Fail(phase_ == Phase::kPostTls
                        ? FailureKind::kPostTlsEhloRejected
                        : FailureKind::kEhloRejected,
                    code);
      }
      extensions_ = ParseEhlo(reply);
      if (!tls_active_) {
        if (!extensions_.starttls) {
          return Fail(FailureKind::kStartTlsNotOffered, code);
        }
        return Send(kStartTlsCommand, Phase::kStartTls, Awaiting::kStartTls);
      }
      return AfterEhlo();
    case Awaiting::kStartTls: {
      if (code != 220) return Fail(FailureKind::kStartTlsRefused, code);
      phase_ = Phase::kTls;
      awaiting_ = Awaiting::kNothing;
      Step step;
      step.kind = Step::kStartTls;
      return step;
    }
    case Awaiting::kMail:
      if (code != 250) return Fail(FailureKind::kMailRejected, code);
      return Send(rcpt_, Phase::kPostTls, Awaiting::kRcpt);
    case Awaiting::kRcpt:
      // 251 "user not local; will forward" is a success too.
      if (code != 250 && code != 251) {
        return Fail(FailureKind::kRcptRejected, code);
      }
      return Send("DATA\r\n", Phase::kPostTls, Awaiting::kData);
    case Awaiting::kData:
      if (code != 354) return Fail(FailureKind::kDataRejected, code);
      return Send(message_, Phase::kPostTls, Awaiting::kMessage);
    case Awaiting::kMessage:
      if (code != 250) return Fail(FailureKind::kDataRejected, code);
      return Send(kQuitCommand, Phase::kQuit, Awaiting::kQuit);
    case Awaiting::kQuit:
      if (code != 221) return Fail(FailureKind::kUnexpectedReply, code);
      return Done();
  }
  return Fail(FailureKind::kUnexpectedReply, code);
}

Step ClientDialogue::OnTlsEstablished() {
  if (finished_ || phase_ != Phase::kTls || tls_active_) {
    return Fail(FailureKind::kUnexpectedReply, 0);
  }
  tls_active_ = true;
  if (options_.implicit_tls) {
    phase_ = Phase::kBanner;
    awaiting_ = Awaiting::kBanner;
    return Step();
  }
  // RFC 3207 section 4.2: the client must discard what it learnt before TLS
  // and send EHLO again before MAIL.
  extensions_ = EhloExtensions();
  if (options_.after_tls == ClientOptions::kQuit) {
    return Send(kQuitCommand, Phase::kQuit, Awaiting::kQuit);
  }
  return Send(ehlo_, Phase::kPostTls, Awaiting::kEhlo);
}

Step ClientDialogue::OnConnectionClosed() {
  if (awaiting_ == Awaiting::kQuit) return Done();
  return Fail(FailureKind::kConnectionClosed, 0);
}

}  // namespace smtp
}  // namespace mailshake
