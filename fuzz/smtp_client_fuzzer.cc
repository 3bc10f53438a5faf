// Fuzzes ClientDialogue against an arbitrary server: the stream (after the
// split_input.h header) is parsed into replies with ReplyParser, and each
// reply goes to OnReply. A kStartTls step is answered with OnTlsEstablished;
// a marked chunk makes the harness call OnTlsEstablished when nobody asked
// for it (a confused caller); the end of the stream, or a malformed reply,
// is the server closing the connection.
//
// Invariants:
//  - Once a step is kDone or kFail the session is finished, and every later
//    call returns kFail: nothing more is sent, no TLS is started.
//  - kSend bytes are one command line that ParseCommand accepts (STARTTLS
//    only before TLS; MAIL, RCPT and DATA only after it), or, after 354, a
//    dot-stuffed message ending with CR LF "." CR LF whose lines fit in 1000
//    octets.
//  - kStartTls only in phase kTls without TLS; kDone only in phase kQuit;
//    kFail carries a failure kind and the code of the reply that caused it,
//    and FailureCategory names it as dialogue.h documents.
//
// Response injection (flag bit 5): the TLS handshake stays pending after a
// kStartTls until a marked chunk arrives, and server octets read meanwhile go
// to the parser as they would in a client that kept reading: any reply that
// completes before the handshake is STARTTLS response injection
// (CVE-2011-0411's mirror image) and must end the session with kFail
// kUnexpectedReply; so must octets of the read that carried the 220, as the
// engine checks. A session that saw injected octets never reaches kDone.
//
// Flags octet: bit 0 implicit TLS, bits 1-2 what to do after TLS (QUIT, EHLO,
// a message), bit 3 a 3000-octet message instead of 100 octets, bit 4 reuse
// the dialogue for a second session after the first ends, bit 5 keep the
// handshake pending until a marked chunk (response injection), bit 6 tell
// the dialogue when octets followed a reply in its read (OnReply's
// |more_received|, as the engine does): the command it would send next, or
// the STARTTLS handshake, must then fail as a protocol violation.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/split_input.h"
#include "src/smtp/command_parser.h"
#include "src/smtp/dialogue.h"
#include "src/smtp/reply_parser.h"

namespace {

using mailshake::fuzz::Chunk;
using mailshake::fuzz::SplitInput;
using mailshake::smtp::ClientDialogue;
using mailshake::smtp::ClientOptions;
using mailshake::smtp::Command;
using mailshake::smtp::CommandError;
using mailshake::smtp::FailureKind;
using mailshake::smtp::FailureKindName;
using mailshake::smtp::ParseCommand;
using mailshake::smtp::ParseResult;
using mailshake::smtp::PhaseName;
using mailshake::smtp::Phase;
using mailshake::smtp::Reply;
using mailshake::smtp::ReplyParser;
using mailshake::smtp::Step;
using mailshake::smtp::Verb;

ClientOptions OptionsFor(uint8_t flags) {
  ClientOptions options;
  options.implicit_tls = (flags & 1) != 0;
  switch ((flags >> 1) & 3) {
    case 0:
      options.after_tls = ClientOptions::kQuit;
      break;
    case 1:
      options.after_tls = ClientOptions::kEhlo;
      break;
    default:
      options.after_tls = ClientOptions::kMail;
      break;
  }
  options.message_size = (flags & 8) ? 3000 : 100;
  return options;
}

void CheckMessage(absl::string_view message) {
  FUZZ_CHECK(absl::EndsWith(message, "\r\n.\r\n"), "message end");
  absl::string_view body = message.substr(0, message.size() - 3);
  while (!body.empty()) {
    const size_t eol = body.find("\r\n");
    FUZZ_CHECK(eol != absl::string_view::npos && eol + 2 <= 1000,
               "message line of %zu octets", eol);
    FUZZ_CHECK(eol == 0 || body[0] != '.', "unstuffed dot");
    const absl::string_view line = body.substr(0, eol);
    FUZZ_CHECK(line.find_first_of("\r\n") == absl::string_view::npos,
               "bare line end in message");
    body.remove_prefix(eol + 2);
  }
}

// Session drives one ClientDialogue and checks every step it returns.
class Session {
 public:
  explicit Session(const ClientOptions& options)
      : dialogue_(options), implicit_(options.implicit_tls) {}

  // Start begins a session; the dialogue may have run one before.
  void Start() {
    ended_ = false;
    awaiting_message_ = false;
    const Step step = dialogue_.Start();
    FUZZ_CHECK(!dialogue_.finished() && !dialogue_.tls_active(), "Start");
    FUZZ_CHECK(step.kind == (dialogue_.phase() == Phase::kTls ? Step::kStartTls
                                                              : Step::kWait),
               "Start returned %d", step.kind);
    last_ = step;
    awaiting_ = implicit_ ? kHandshake : kBanner;
    Check(step, 0);
  }

  // |more|: octets followed the reply in the same read (flag bit 6 passes
  // that on, as the engine does).
  void OnReply(const Reply& reply, bool more) {
    const Step step = dialogue_.OnReply(reply, more);
    Check(step, CheckReplyClass(reply, step, more));
  }
  void OnTlsEstablished() {
    const bool due = awaiting_ == kHandshake && !dialogue_.finished();
    const Step step = dialogue_.OnTlsEstablished();
    awaiting_ = kNone;
    if (due) {
      // Implicit TLS waits for the banner; after STARTTLS the client speaks.
      FUZZ_CHECK(step.kind == (implicit_ ? Step::kWait : Step::kSend),
                 "step %d after the handshake", step.kind);
      if (implicit_) awaiting_ = kBanner;
    } else {
      FUZZ_CHECK(step.kind == Step::kFail, "a handshake nobody asked for gave step %d",
                 step.kind);
    }
    Check(step, 0);
  }
  void OnConnectionClosed() { Check(dialogue_.OnConnectionClosed(), 0); }

  // OnInjectedReply hands over a reply that arrived while the TLS
  // handshake was pending: it must end the session as injection.
  void OnInjectedReply(const Reply& reply) {
    const Step step = dialogue_.OnReply(reply);
    FUZZ_CHECK(step.kind == Step::kFail &&
                   step.failure == FailureKind::kUnexpectedReply,
               "a reply during the TLS handshake was taken (step %d)",
               step.kind);
    Check(step, reply.code);
  }

  bool wants_tls() const { return last_.kind == Step::kStartTls; }
  const Step& last() const { return last_; }
  bool finished() const { return dialogue_.finished(); }

 private:
  // What the client waits for, from what it sent (an independent model of
  // the reply codes each command needs: RFC 5321 4.3.2 and RFC 3207).
  enum Awaiting { kNone, kBanner, kEhlo, kStartTlsReply, kHandshake, kMail, kRcpt, kData,
                  kMessage, kQuit };

  // A line after the first that is the keyword STARTTLS without parameters
  // (RFC 3207 4: it takes none).
  static bool OffersStartTls(const Reply& reply) {
    for (size_t i = 1; i < reply.lines.size(); ++i) {
      const absl::string_view line = reply.lines[i];
      const size_t space = line.find(' ');
      if (absl::EqualsIgnoreCase(line.substr(0, space), "STARTTLS") &&
          (space == absl::string_view::npos || space + 1 == line.size())) {
        return true;
      }
    }
    return false;
  }

  // Checks the step a reply gave against the model; returns the reply code
  // its failure must carry.
  int CheckReplyClass(const Reply& reply, const Step& step, bool more) {
    const int code = reply.code;
    const Awaiting was = awaiting_;
    awaiting_ = kNone;
    int failure_code = code;
    auto expect = [&](bool ok, Step::Kind kind, FailureKind failure, const char* what) {
      if (ok && more && (kind == Step::kSend || kind == Step::kStartTls)) {
        // Octets received behind the reply cannot answer the command the
        // client would send now; behind a 220 to STARTTLS they are
        // injection (dialogue.h's OnReply).
        ok = false;
        failure = kind == Step::kSend ? FailureKind::kReplyBeforeCommand
                                      : FailureKind::kStartTlsInjection;
        failure_code = 0;
      }
      if (ok) {
        FUZZ_CHECK(step.kind == kind, "%s: reply %d gave step %d, want %d", what, code,
                   step.kind, kind);
      } else {
        FUZZ_CHECK(step.kind == Step::kFail && step.failure == failure,
                   "%s: reply %d gave step %d (%s), want a failure %s", what, code, step.kind,
                   std::string(FailureKindName(step.failure)).c_str(),
                   std::string(FailureKindName(failure)).c_str());
      }
    };
    switch (was) {
      case kNone:
      case kHandshake:
        FUZZ_CHECK(step.kind == Step::kFail, "reply %d nobody waited for gave step %d", code,
                   step.kind);
        break;
      case kBanner:
        expect(code == 220, Step::kSend, FailureKind::kBannerRejected, "banner");
        break;
      case kEhlo:
        if (code != 250) {
          // The EHLO after STARTTLS is the post-TLS one; under implicit TLS
          // the only EHLO is the session's first.
          expect(false, Step::kSend,
                 dialogue_.tls_active() && !implicit_ ? FailureKind::kPostTlsEhloRejected
                                                      : FailureKind::kEhloRejected,
                 "EHLO");
        } else if (!dialogue_.tls_active()) {
          expect(OffersStartTls(reply), Step::kSend, FailureKind::kStartTlsNotOffered,
                 "EHLO without TLS");
        } else {
          expect(true, Step::kSend, FailureKind::kNone, "EHLO under TLS");
        }
        break;
      case kStartTlsReply:
        expect(code == 220, Step::kStartTls, FailureKind::kStartTlsRefused, "STARTTLS");
        if (code == 220) awaiting_ = kHandshake;
        break;
      case kMail:
        expect(code == 250, Step::kSend, FailureKind::kMailRejected, "MAIL");
        break;
      case kRcpt:
        // 251 (user not local; will forward) accepts the recipient too.
        expect(code == 250 || code == 251, Step::kSend, FailureKind::kRcptRejected, "RCPT");
        break;
      case kData:
        expect(code == 354, Step::kSend, FailureKind::kDataRejected, "DATA");
        break;
      case kMessage:
        expect(code == 250, Step::kSend, FailureKind::kDataRejected, "end of data");
        break;
      case kQuit:
        expect(code == 221, Step::kDone, FailureKind::kUnexpectedReply, "QUIT");
        break;
    }
    return failure_code;
  }

  // FailureCategory as dialogue.h documents it, and a named phase.
  void CheckCategory(const Step& step) {
    const std::string phase(PhaseName(dialogue_.phase()));
    FUZZ_CHECK(phase != "unknown", "phase %d has no name", static_cast<int>(dialogue_.phase()));
    const std::string name(FailureKindName(step.failure));
    std::string want;
    switch (step.failure) {
      case FailureKind::kConnectionClosed:
        want = "closed_by_server:" + phase;
        break;
      case FailureKind::kReplyBeforeCommand:
      case FailureKind::kStartTlsInjection:
        want = "protocol_violation:" + name;
        break;
      case FailureKind::kStartTlsNotOffered:
        want = name;
        break;
      default:
        want = step.reply_code != 0 ? name + ":" + std::to_string(step.reply_code) : name;
        break;
    }
    const std::string got = mailshake::smtp::FailureCategory(step, phase);
    FUZZ_CHECK(got == want, "failure category '%s', want '%s'", got.c_str(), want.c_str());
  }

  void Check(const Step& step, int reply_code) {
    if (ended_) {
      FUZZ_CHECK(step.kind == Step::kFail && dialogue_.finished(),
                 "step %d after the session ended", step.kind);
    }
    if (step.kind != Step::kFail) {
      FUZZ_CHECK(step.failure == FailureKind::kNone && FailureKindName(step.failure) == "none",
                 "step %d carries failure %s", step.kind,
                 std::string(FailureKindName(step.failure)).c_str());
    }
    switch (step.kind) {
      case Step::kWait:
        FUZZ_CHECK(!dialogue_.finished(), "kWait when finished");
        break;
      case Step::kSend:
        FUZZ_CHECK(!dialogue_.finished(), "kSend when finished");
        CheckSent(step.bytes);
        break;
      case Step::kStartTls:
        FUZZ_CHECK(!dialogue_.finished() && !dialogue_.tls_active() &&
                       dialogue_.phase() == Phase::kTls,
                   "kStartTls out of place");
        break;
      case Step::kDone:
        FUZZ_CHECK(dialogue_.finished() && dialogue_.phase() == Phase::kQuit,
                   "kDone in phase %d", static_cast<int>(dialogue_.phase()));
        break;
      case Step::kFail:
        FUZZ_CHECK(dialogue_.finished() && step.failure != FailureKind::kNone &&
                       FailureKindName(step.failure) != "unknown",
                   "kFail without a failure");
        FUZZ_CHECK(step.reply_code == reply_code,
                   "kFail carries code %d, the reply had %d", step.reply_code,
                   reply_code);
        CheckCategory(step);
        break;
    }
    if (step.kind == Step::kDone || step.kind == Step::kFail) ended_ = true;
    last_ = step;
  }

  void CheckSent(absl::string_view bytes) {
    if (awaiting_message_) {
      awaiting_message_ = false;
      CheckMessage(bytes);
      awaiting_ = kMessage;
      return;
    }
    FUZZ_CHECK(absl::EndsWith(bytes, "\r\n"), "command without CR LF");
    const absl::string_view line = bytes.substr(0, bytes.size() - 2);
    Command command;
    CommandError error;
    FUZZ_CHECK(ParseCommand(line, &command, &error), "client sent '%s': %s",
               std::string(line).c_str(), error.text.c_str());
    switch (command.verb) {
      case Verb::kStartTls:
        FUZZ_CHECK(!dialogue_.tls_active(), "STARTTLS under TLS");
        awaiting_ = kStartTlsReply;
        break;
      case Verb::kMail:
      case Verb::kRcpt:
        FUZZ_CHECK(dialogue_.tls_active(), "MAIL/RCPT in plaintext");
        awaiting_ = command.verb == Verb::kMail ? kMail : kRcpt;
        break;
      case Verb::kData:
        FUZZ_CHECK(dialogue_.tls_active(), "DATA in plaintext");
        awaiting_message_ = true;
        awaiting_ = kData;
        break;
      case Verb::kEhlo:
        awaiting_ = kEhlo;
        break;
      case Verb::kQuit:
        awaiting_ = kQuit;
        break;
      default:
        FUZZ_CHECK(false, "unexpected command '%s'", std::string(line).c_str());
    }
  }

  ClientDialogue dialogue_;
  const bool implicit_;
  Awaiting awaiting_ = kNone;
  Step last_;
  bool ended_ = false;
  bool awaiting_message_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const SplitInput input(data, size);
  const ClientOptions options = OptionsFor(input.flags());
  Session session(options);
  const int sessions = (input.flags() & 16) ? 2 : 1;
  absl::string_view rest;  // Unread octets of the current chunk.
  const std::vector<Chunk> chunks = input.Chunks();
  size_t next_chunk = 0;
  ReplyParser parser;
  const bool pending_handshake = (input.flags() & 32) != 0;
  const bool more_received = (input.flags() & 64) != 0;
  for (int s = 0; s < sessions; ++s) {
    session.Start();
    parser.Reset();
    bool closed = false;
    bool handshaking = false;  // kStartTls returned, handshake not done.
    bool injected = false;
    while (!closed && !session.finished()) {
      if (session.wants_tls() && !handshaking) {
        if (!pending_handshake) {
          session.OnTlsEstablished();
          continue;
        }
        handshaking = true;
        if (!rest.empty()) {
          // Octets in the read that carried the 220: the engine refuses them
          // as injection before starting the handshake.
          injected = true;
          closed = true;
          break;
        }
      }
      if (rest.empty()) {
        if (next_chunk == chunks.size()) break;
        const Chunk& chunk = chunks[next_chunk++];
        if (chunk.marked) {
          if (handshaking) {
            // Plaintext read during the handshake (a partial line) would
            // have been fed to TLS and failed it.
            handshaking = false;
            if (parser.in_progress()) {
              closed = true;
              break;
            }
          }
          session.OnTlsEstablished();
        }
        rest = chunk.bytes;
        continue;
      }
      size_t consumed = 0;
      const ParseResult result = parser.Feed(rest, &consumed);
      rest.remove_prefix(consumed);
      if (result == ParseResult::kReply) {
        if (handshaking) {
          injected = true;
          session.OnInjectedReply(parser.TakeReply());
        } else {
          session.OnReply(parser.TakeReply(), more_received && !rest.empty());
        }
      } else if (result == ParseResult::kError) {
        closed = true;  // A client drops a server that speaks garbage.
      }
    }
    if (injected) {
      FUZZ_CHECK(session.last().kind != Step::kDone,
                 "a session with injected octets succeeded");
    }
    if (!session.finished()) session.OnConnectionClosed();
    FUZZ_CHECK(session.finished(), "session not finished after the close");
    // Calls after the end must all fail.
    session.OnConnectionClosed();
    session.OnTlsEstablished();
  }
  return 0;
}
