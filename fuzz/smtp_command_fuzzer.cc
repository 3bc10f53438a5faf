// Fuzzes ServerDialogue the way a pipelining client drives a server (as
// Dovecot's SMTP server fuzzer does): the input is a client byte stream, cut
// into reads where the header says (split_input.h). A chunk whose size octet
// is marked is delivered after the TLS handshake completes, if the dialogue
// is waiting for one; everything else the client sent after STARTTLS is
// injected plaintext that must be discarded.
//
// Two dialogues read the same stream: one chunk by chunk, one with each chunk
// further cut after every CR LF, so it sees one command line per Consume
// call. After every chunk both must have said and done exactly the same.
//
// Invariants checked on every Consume call:
//  - The output is a sequence of complete replies, each line
//    "ddd-text" or "ddd text" with CR LF, codes 200-559, printable text;
//    at most one reply per completed line (plus a closing 421), each of
//    bounded size, so output is bounded by input.
//  - kStartTls comes right after a "STARTTLS" command line and a 220 reply;
//    the rest of the read is discarded and counted; until OnTlsEstablished
//    Consume executes nothing, sends nothing and counts what it drops.
//  - After kClose, Consume returns kClose with no output and no change.
//  - The error counter matches the 4xx/5xx replies sent.
//  - For each whole command line read while not in DATA, the reply agrees
//    with ParseCommand on that line: its error reply verbatim when it fails,
//    and no syntax error when it succeeds.
//
// Flags octet: bit 0 STARTTLS not offered, bit 1 implicit TLS, bit 2 at most
// 3 errors in a row, bit 3 at most 2 recipients, bit 4 a 64-octet message
// size limit, bit 5 a long host name, bit 6 a timeout at the end.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/split_input.h"
#include "src/smtp/command_parser.h"
#include "src/smtp/dialogue.h"

namespace {

using mailshake::fuzz::Chunk;
using mailshake::fuzz::SplitInput;
using mailshake::smtp::Command;
using mailshake::smtp::CommandError;
using mailshake::smtp::ParseCommand;
using mailshake::smtp::ServerAction;
using mailshake::smtp::ServerCounters;
using mailshake::smtp::ServerDialogue;
using mailshake::smtp::ServerOptions;
using mailshake::smtp::Verb;
using mailshake::smtp::VerbName;

// The longest reply, host name aside: EHLO's, or an error that quotes part
// of a command line.
constexpr size_t kMaxReplySize = 160 + mailshake::smtp::kMaxCommandLine;

constexpr absl::string_view kStartTlsReply = "220 2.0.0 Ready to start TLS\r\n";

ServerOptions OptionsFor(uint8_t flags) {
  ServerOptions options;
  options.starttls_offered = (flags & 1) == 0;
  options.implicit_tls = (flags & 2) != 0;
  if (flags & 4) options.max_errors = 3;
  if (flags & 8) options.max_recipients = 2;
  if (flags & 16) options.max_message_size = 64;
  if (flags & 32) options.hostname = "mx-01.inbound.mail.example.org";
  return options;
}

bool SameCounters(const ServerCounters& a, const ServerCounters& b) {
  return a.commands == b.commands && a.errors == b.errors &&
         a.messages_accepted == b.messages_accepted &&
         a.message_octets == b.message_octets &&
         a.messages_rejected == b.messages_rejected &&
         a.discarded_after_starttls == b.discarded_after_starttls &&
         a.bare_line_ends_in_data == b.bare_line_ends_in_data;
}

// Replies tallies a well-formed server output.
struct Replies {
  size_t count = 0;
  size_t errors = 0;   // 4xx and 5xx replies.
  size_t closing = 0;  // 421 replies.
  int first_code = 0;
  int last_code = 0;
};

int Digit(char c) { return c >= '0' && c <= '9' ? c - '0' : -1; }

// CheckReplies checks that |out| is a sequence of complete, well-formed
// replies and tallies them.
Replies CheckReplies(absl::string_view out) {
  Replies tally;
  int open_code = 0;  // Code of an unfinished multi-line reply.
  while (!out.empty()) {
    const size_t eol = out.find("\r\n");
    FUZZ_CHECK(eol != absl::string_view::npos, "unterminated reply line");
    const absl::string_view line = out.substr(0, eol);
    out.remove_prefix(eol + 2);
    FUZZ_CHECK(line.size() >= 4 && Digit(line[0]) >= 2 && Digit(line[0]) <= 5 &&
                   Digit(line[1]) >= 0 && Digit(line[1]) <= 5 &&
                   Digit(line[2]) >= 0 && (line[3] == ' ' || line[3] == '-'),
               "malformed reply line '%s'", std::string(line).c_str());
    for (char c : line.substr(4)) {
      FUZZ_CHECK(c >= 0x20 && c < 0x7f, "octet 0x%02x in reply text",
                 static_cast<unsigned char>(c));
    }
    const int code = Digit(line[0]) * 100 + Digit(line[1]) * 10 +
                     Digit(line[2]);
    FUZZ_CHECK(open_code == 0 || code == open_code, "code changes in a reply");
    if (line[3] == '-') {
      open_code = code;
      continue;
    }
    open_code = 0;
    if (tally.count++ == 0) tally.first_code = code;
    tally.last_code = code;
    if (code >= 400) ++tally.errors;
    if (code == 421) ++tally.closing;
  }
  FUZZ_CHECK(open_code == 0, "output ends inside a multi-line reply");
  return tally;
}

// LineParser memoizes ParseCommand's verdict on the last line it was asked
// about, so that the model and the per-line check, which judge the same
// line, parse it once.
class LineParser {
 public:
  struct Parsed {
    bool ok = false;
    Command command;
    CommandError error;
  };

  const Parsed& Parse(absl::string_view line) {
    if (!valid_ || line != line_) {
      line_.assign(line.data(), line.size());
      parsed_.ok = ParseCommand(line, &parsed_.command, &parsed_.error);
      valid_ = true;
    }
    return parsed_;
  }

 private:
  bool valid_ = false;
  std::string line_;
  Parsed parsed_;
};

// StartsWithReply returns true if |out| starts with error.ToReply(), without
// building it.
bool StartsWithReply(absl::string_view out, const CommandError& error) {
  const std::string code = absl::StrCat(error.code);  // (no allocation)
  for (absl::string_view part :
       {absl::string_view(code), absl::string_view(" "), error.enhanced,
        absl::string_view(" "), absl::string_view(error.text),
        absl::string_view("\r\n")}) {
    if (!absl::StartsWith(out, part)) return false;
    out.remove_prefix(part.size());
  }
  return true;
}

// Model is a small model of RFC 5321's command order, written from the RFC
// and independent of ServerDialogue: it sees each complete line of the
// stream with the reply the dialogue gave to it and checks the reply's code
// against what the order of commands allows.
//   - MAIL needs EHLO/HELO first and no open transaction; RCPT needs MAIL;
//     DATA needs MAIL and a RCPT (503 when none was tried, 554 when all
//     were refused); each out of order is 503, in order is never 503.
//   - STARTTLS (RFC 3207) is 220 only once greeted, offered and not yet in
//     TLS; after the handshake the session starts over: not greeted, no
//     transaction.
//   - After 354 every line is message text until the line "." exactly;
//     nothing is answered before it; then 250 with message_octets grown by
//     the dot-unstuffed text plus CR LF per line, or 500 (a line over 998
//     octets) or 552 (over the size limit).
class Model {
 public:
  explicit Model(const ServerOptions& options)
      : starttls_offered_(options.starttls_offered),
        max_message_size_(options.max_message_size),
        tls_(options.implicit_tls) {}

  bool in_data() const { return in_data_; }

  // OnTls records the TLS handshake after a 220 to STARTTLS.
  void OnTls() {
    FUZZ_CHECK(awaiting_tls_, "model: handshake without STARTTLS");
    awaiting_tls_ = false;
    tls_ = true;
    greeted_ = false;
    EndTransaction();
  }

  // OnLine checks the dialogue's answer |out| (and |action|, and how much
  // message_octets grew) to the complete line |line| of |length| octets
  // (|line| may hold only its first octets when it is long).
  void OnLine(absl::string_view line, size_t length, absl::string_view out,
              ServerAction action, uint64_t octets_added, LineParser* parser) {
    if (closed_ || awaiting_tls_) return;
    const int code = FirstCode(out);
    if (in_data_) {
      if (length == 1 && line == ".") {
        in_data_ = false;
        EndTransaction();
        const int want = data_too_long_                           ? 500
                         : data_octets_ > max_message_size_ ? 552
                                                                    : 250;
        FUZZ_CHECK(code == want, "model: end of DATA got %d, want %d", code,
                   want);
        FUZZ_CHECK(octets_added == (want == 250 ? data_octets_ : 0),
                   "model: message of %llu octets counted as %llu",
                   static_cast<unsigned long long>(data_octets_),
                   static_cast<unsigned long long>(octets_added));
      } else {
        FUZZ_CHECK(out.empty(), "model: a message line was answered");
        if (length > 998) data_too_long_ = true;
        const bool stuffed = length > 0 && line[0] == '.';
        data_octets_ += length - (stuffed ? 1 : 0) + 2;
      }
      return;
    }
    FUZZ_CHECK(!out.empty(), "model: a command line got no reply");
    if (action == ServerAction::kClose) closed_ = true;
    if (length > mailshake::smtp::kMaxCommandLine - 2 ||
        !parser->Parse(line).ok) {
      FUZZ_CHECK(code >= 500, "model: bad line got %d", code);
      return;
    }
    const Command& command = parser->Parse(line).command;
    switch (command.verb) {
      case Verb::kEhlo:
      case Verb::kHelo:
        FUZZ_CHECK(code == 250, "model: EHLO/HELO got %d", code);
        greeted_ = true;
        extended_ = command.verb == Verb::kEhlo;
        EndTransaction();
        break;
      case Verb::kMail: {
        const bool out_of_order = !greeted_ || mail_;
        FUZZ_CHECK((code == 503) == out_of_order,
                   "model: MAIL (greeted %d, in transaction %d) got %d",
                   greeted_, mail_, code);
        // RFC 1870: a declared SIZE over the limit is refused with 552, one
        // within it is not (compared as decimal strings, so no overflow).
        const absl::string_view declared = SizeParameter(line);
        if (!out_of_order && extended_ && !declared.empty()) {
          const bool too_big =
              DecimalGreater(declared, absl::StrCat(max_message_size_));
          FUZZ_CHECK((code == 552) == too_big,
                     "model: MAIL SIZE=%s (limit %zu) got %d",
                     std::string(declared).c_str(), max_message_size_,
                     code);
        }
        if (code == 250) mail_ = true;
        break;
      }
      case Verb::kRcpt:
        // The server advertises no RCPT extension (no DSN), so an RCPT with
        // parameters cannot be a valid command (RFC 5321 4.1.1.3).
        FUZZ_CHECK(!HasParameters(line),
                   "model: RCPT with parameters accepted: got %d", code);
        FUZZ_CHECK((code == 503) == !mail_, "model: RCPT (MAIL %d) got %d",
                   mail_, code);
        if (mail_) ++rcpt_attempts_;
        if (code == 250) ++rcpts_;
        break;
      case Verb::kData: {
        const int want = !mail_                ? 503
                         : rcpts_ > 0          ? 354
                         : rcpt_attempts_ == 0 ? 503
                                               : 554;
        FUZZ_CHECK(code == want, "model: DATA (MAIL %d, %zu of %zu RCPT) got "
                   "%d, want %d", mail_, rcpts_, rcpt_attempts_, code, want);
        if (code == 354) {
          in_data_ = true;
          data_octets_ = 0;
          data_too_long_ = false;
        }
        break;
      }
      case Verb::kRset:
        FUZZ_CHECK(code == 250, "model: RSET got %d", code);
        EndTransaction();
        break;
      case Verb::kStartTls: {
        const int want = tls_                        ? 503
                         : !starttls_offered_ ? 502
                         : !greeted_                  ? 503
                                                      : 220;
        FUZZ_CHECK(code == want, "model: STARTTLS got %d, want %d", code,
                   want);
        FUZZ_CHECK((action == ServerAction::kStartTls) == (want == 220),
                   "model: STARTTLS action");
        if (want == 220) awaiting_tls_ = true;
        break;
      }
      case Verb::kQuit:
        FUZZ_CHECK(code == 221 && action == ServerAction::kClose,
                   "model: QUIT got %d", code);
        closed_ = true;
        break;
      case Verb::kNoop:
      case Verb::kVrfy:
      case Verb::kHelp:
        FUZZ_CHECK(code == 250 || code == 252 || code == 214,
                   "model: %s got %d",
                   std::string(VerbName(command.verb)).c_str(), code);
        break;
    }
  }

 private:
  // SizeParameter returns the digits of a " SIZE=" parameter of a MAIL
  // line (case-insensitive), or "" when there is none.
  static absl::string_view SizeParameter(absl::string_view line) {
    const size_t close = line.find('>');
    if (close == absl::string_view::npos) return "";
    for (absl::string_view param :
         absl::StrSplit(line.substr(close + 1), ' ', absl::SkipEmpty())) {
      if (absl::StartsWithIgnoreCase(param, "SIZE=")) return param.substr(5);
    }
    return "";
  }
  // HasParameters reports whether anything but spaces follows the path's
  // closing '>' on a MAIL or RCPT line.
  static bool HasParameters(absl::string_view line) {
    const size_t close = line.rfind('>');
    return close != absl::string_view::npos &&
           line.find_first_not_of(' ', close + 1) != absl::string_view::npos;
  }
  // DecimalGreater compares two strings of decimal digits as numbers.
  static bool DecimalGreater(absl::string_view a, absl::string_view b) {
    while (a.size() > 1 && a[0] == '0') a.remove_prefix(1);
    while (b.size() > 1 && b[0] == '0') b.remove_prefix(1);
    if (a.size() != b.size()) return a.size() > b.size();
    return a > b;
  }
  static int FirstCode(absl::string_view out) {
    if (out.size() < 3) return 0;
    return (out[0] - '0') * 100 + (out[1] - '0') * 10 + (out[2] - '0');
  }
  void EndTransaction() {
    mail_ = false;
    rcpts_ = 0;
    rcpt_attempts_ = 0;
  }

  const bool starttls_offered_;
  const size_t max_message_size_;
  bool tls_;
  bool greeted_ = false;
  bool extended_ = false;  // EHLO rather than HELO.
  bool mail_ = false;
  size_t rcpts_ = 0;
  size_t rcpt_attempts_ = 0;
  bool in_data_ = false;
  bool data_too_long_ = false;
  uint64_t data_octets_ = 0;
  bool awaiting_tls_ = false;
  bool closed_ = false;
};

// Server is one dialogue and what the harness knows about its stream. The
// harness keeps one of each role for the whole campaign and starts it anew
// for every input, so its buffers keep their capacity.
class Server {
 public:
  // Start begins a new session with a fresh dialogue. |model|, if not null,
  // is shown every complete line (the harness gives one to the dialogue that
  // reads one line per Consume call).
  void Start(const ServerOptions& options, Model* model) {
    dialogue_.emplace(options);
    hostname_size_ = options.hostname.size();
    model_ = model;
    line_text_.clear();
    out_.clear();
    transcript_.clear();
    last_action_ = ServerAction::kContinue;
    awaiting_tls_ = false;
    errors_sent_ = 0;
    closing_replies_ = 0;
    line_start_ = true;
    last_octet_ = 0;
    line_size_ = 0;
    line_head_.clear();
    dialogue_->Greet(&transcript_);
    const Replies greeting = CheckReplies(transcript_);
    FUZZ_CHECK(greeting.count == 1 && greeting.first_code == 220, "banner");
  }

  // Deliver hands one chunk to the dialogue: first the TLS handshake if the
  // chunk is marked and one is due, then the octets, in one Consume call or,
  // if |per_line|, one call per CR LF-terminated line.
  void Deliver(const Chunk& chunk, bool per_line) {
    if (chunk.marked && awaiting_tls_) {
      dialogue_->OnTlsEstablished();
      FUZZ_CHECK(dialogue_->tls_active() && !dialogue_->receiving_data(), "TLS");
      if (model_ != nullptr) model_->OnTls();
      awaiting_tls_ = false;
      line_start_ = true;
      last_octet_ = 0;
    }
    absl::string_view in = chunk.bytes;
    if (!per_line) {
      Consume(in);
      return;
    }
    while (!in.empty()) {
      // A LF completing the CR that ended the last read is a line of its own.
      const size_t eol = in.find("\r\n");
      const size_t size = last_octet_ == '\r' && in[0] == '\n' ? 1
                          : eol == absl::string_view::npos   ? in.size()
                                                             : eol + 2;
      Consume(in.substr(0, size));
      in.remove_prefix(size);
    }
  }

  // Timeout ends the session as the server's read deadline would.
  void Timeout() {
    if (dialogue_->closed()) return;
    std::string& out = out_;
    out.clear();
    dialogue_->OnTimeout(&out);
    const Replies replies = CheckReplies(out);
    FUZZ_CHECK(replies.count == 1 && replies.last_code == 421 &&
                   dialogue_->closed() &&
                   absl::string_view(dialogue_->close_reason()) == "timeout",
               "timeout");
    transcript_ += out;
    errors_sent_ += replies.errors;
    closing_replies_ += replies.closing;
    CheckClosed();
  }

  const std::string& transcript() const { return transcript_; }
  const ServerDialogue& dialogue() const { return *dialogue_; }
  ServerAction last_action() const { return last_action_; }

 private:
  // Consume feeds |in| to the dialogue and checks the invariants.
  void Consume(absl::string_view in) {
    const ServerCounters before = dialogue_->counters();
    const bool was_closed = dialogue_->closed();
    const bool was_awaiting_tls = awaiting_tls_;
    const bool was_in_data = dialogue_->receiving_data();
    // One whole command line: it starts a line and its only CR LF ends it.
    const bool whole_line = line_start_ && in.size() >= 2 &&
                            in.find("\r\n") == in.size() - 2;
    const size_t line_ends = CountLineEnds(in);

    std::string& out = out_;  // reused: its capacity stays
    out.clear();
    const ServerAction action = dialogue_->Consume(in, &out);
    last_action_ = action;
    const ServerCounters& after = dialogue_->counters();

    if (was_closed) {
      FUZZ_CHECK(action == ServerAction::kClose && out.empty() &&
                     SameCounters(before, after),
                 "a closed dialogue acted");
      return;
    }
    if (was_awaiting_tls) {
      FUZZ_CHECK(action == ServerAction::kStartTls && out.empty(),
                 "executed input before the TLS handshake");
      FUZZ_CHECK(after.commands == before.commands &&
                     after.discarded_after_starttls ==
                         before.discarded_after_starttls + in.size(),
                 "discarded %llu of %zu octets before the handshake",
                 static_cast<unsigned long long>(
                     after.discarded_after_starttls -
                     before.discarded_after_starttls),
                 in.size());
      Advance(in);
      return;
    }

    const Replies replies = CheckReplies(out);
    closing_replies_ += replies.closing;
    FUZZ_CHECK(replies.count <= line_ends + 1,
               "%zu replies to %zu completed lines", replies.count, line_ends);
    // A reply may quote the client (an unknown MAIL parameter's keyword),
    // which the command line limit bounds.
    FUZZ_CHECK(out.size() <= replies.count * (kMaxReplySize + hostname_size_),
               "%zu output octets for %zu replies", out.size(), replies.count);
    FUZZ_CHECK(after.errors + closing_replies_ == errors_sent_ + replies.errors,
               "error counter %llu disagrees with the replies sent",
               static_cast<unsigned long long>(after.errors));
    errors_sent_ += replies.errors;
    FUZZ_CHECK(after.commands - before.commands <= line_ends,
               "%llu commands from %zu lines",
               static_cast<unsigned long long>(after.commands -
                                               before.commands),
               line_ends);

    switch (action) {
      case ServerAction::kStartTls: {
        FUZZ_CHECK(absl::EndsWith(out, kStartTlsReply) &&
                       !dialogue_->tls_active() && !dialogue_->closed(),
                   "kStartTls without its 220");
        const uint64_t dropped =
            after.discarded_after_starttls - before.discarded_after_starttls;
        FUZZ_CHECK(dropped <= in.size(), "dropped more than given");
        const size_t line_end = in.size() - dropped;
        Advance(in.substr(0, line_end));
        FUZZ_CHECK(EndsWithLine("STARTTLS"),
                   "kStartTls after a line other than STARTTLS");
        Advance(in.substr(line_end));
        awaiting_tls_ = true;
        break;
      }
      case ServerAction::kClose:
        FUZZ_CHECK(dialogue_->closed(), "kClose but not closed");
        if (absl::string_view(dialogue_->close_reason()) == "quit") {
          FUZZ_CHECK(replies.last_code == 221, "quit without 221");
        } else {
          FUZZ_CHECK(absl::string_view(dialogue_->close_reason()) ==
                             "too_many_errors" &&
                         replies.last_code == 421,
                     "closed for '%s'", dialogue_->close_reason());
        }
        Advance(in);
        break;
      case ServerAction::kContinue:
        FUZZ_CHECK(!dialogue_->closed() && dialogue_->close_reason()[0] == '\0',
                   "kContinue on a closed dialogue");
        Advance(in);
        break;
    }
    transcript_ += out;
    if (model_ != nullptr && line_ends == 1 && line_start_) {
      // One Consume call completed exactly one line and ended with it.
      absl::string_view text = line_text_;
      size_t length = line_size_;
      if (length >= 2) length -= 2;  // CR LF
      if (text.size() > length) text = text.substr(0, length);
      model_->OnLine(text, length, out, action,
                     after.message_octets - before.message_octets, &parser_);
      FUZZ_CHECK(model_->in_data() == dialogue_->receiving_data() ||
                     dialogue_->closed(),
                 "model and dialogue disagree on DATA");
    }
    if (dialogue_->closed()) CheckClosed();

    if (whole_line && !was_in_data) {
      CheckAgainstParseCommand(in.substr(0, in.size() - 2), action, out,
                               replies, after.commands - before.commands);
    }
  }

  // CheckAgainstParseCommand compares the dialogue's answer to one whole
  // command line with what ParseCommand says of that line.
  // (|replies| is CheckReplies(out).)
  void CheckAgainstParseCommand(absl::string_view line, ServerAction action,
                                absl::string_view out, const Replies& replies,
                                uint64_t commands) {
    FUZZ_CHECK(commands == 1, "one line counted as %llu commands",
               static_cast<unsigned long long>(commands));
    const LineParser::Parsed& parsed = parser_.Parse(line);
    if (!parsed.ok) {
      FUZZ_CHECK(StartsWithReply(out, parsed.error),
                 "dialogue answered '%s' where ParseCommand says '%s'",
                 std::string(out).c_str(), parsed.error.ToReply().c_str());
      return;
    }
    const Command& command = parsed.command;
    FUZZ_CHECK(replies.first_code != 500 && replies.first_code != 501,
               "syntax error for a command ParseCommand accepts");
    switch (command.verb) {
      case Verb::kQuit:
        FUZZ_CHECK(action == ServerAction::kClose && replies.first_code == 221,
                   "QUIT");
        break;
      case Verb::kEhlo:
      case Verb::kHelo:
      case Verb::kNoop:
      case Verb::kRset:
        FUZZ_CHECK(replies.first_code == 250, "%s got %d",
                   std::string(VerbName(command.verb)).c_str(),
                   replies.first_code);
        break;
      case Verb::kVrfy:
        FUZZ_CHECK(replies.first_code == 252, "VRFY");
        break;
      case Verb::kHelp:
        FUZZ_CHECK(replies.first_code == 214, "HELP");
        break;
      case Verb::kStartTls:
        FUZZ_CHECK((action == ServerAction::kStartTls) ==
                       (replies.first_code == 220),
                   "STARTTLS got %d", replies.first_code);
        break;
      case Verb::kMail:
      case Verb::kRcpt:
      case Verb::kData:
        break;
    }
  }

  // CheckClosed checks that a closed dialogue stays closed and silent.
  void CheckClosed() {
    const ServerCounters before = dialogue_->counters();
    std::string out;
    FUZZ_CHECK(dialogue_->Consume("NOOP\r\n", &out) == ServerAction::kClose &&
                   out.empty() && SameCounters(before, dialogue_->counters()),
               "closed dialogue answered");
  }

  // CountLineEnds returns how many CR LF pairs end in |in|, counting one
  // whose CR ended the previous read.
  size_t CountLineEnds(absl::string_view in) const {
    size_t count = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i] != '\n') continue;
      if (i > 0 ? in[i - 1] == '\r' : last_octet_ == '\r') ++count;
    }
    return count;
  }

  // Advance records octets as read, keeping the start of the current line.
  void Advance(absl::string_view in) {
    while (!in.empty()) {
      if (line_start_) {
        line_size_ = 0;
        line_head_.clear();
        line_text_.clear();
        line_start_ = false;
      }
      // Only CR LF ends a line; a CR left over from before the handshake
      // cannot pair with an LF after it (last_octet_ is reset there).
      size_t lf = absl::string_view::npos;  // the LF ending this line
      if (in[0] == '\n' && last_octet_ == '\r') {
        lf = 0;
      } else if (const size_t crlf = in.find("\r\n"); crlf != absl::string_view::npos) {
        lf = crlf + 1;
      }
      const absl::string_view part = in.substr(0, lf == absl::string_view::npos ? in.size() : lf + 1);
      line_size_ += part.size();
      if (line_head_.size() < 16) {
        line_head_.append(part.data(), std::min(part.size(), 16 - line_head_.size()));
      }
      if (model_ != nullptr && line_text_.size() < kMaxModelLine) {
        line_text_.append(part.data(), std::min(part.size(), kMaxModelLine - line_text_.size()));
      }
      last_octet_ = part.back();
      if (lf != absl::string_view::npos) line_start_ = true;
      in.remove_prefix(part.size());
    }
  }

  // EndsWithLine returns true if the octets read end with the whole line
  // |line| (case-insensitive) and its CR LF.
  bool EndsWithLine(absl::string_view line) const {
    return line_start_ && line_size_ == line.size() + 2 &&
           absl::EqualsIgnoreCase(
               absl::string_view(line_head_).substr(0, line.size()), line);
  }

  // The model needs whole lines up to the longest text line, 998 octets
  // and CR LF (RFC 5321 4.5.3.1.6), to tell them from longer ones.
  static constexpr size_t kMaxModelLine = 1024;

  std::optional<ServerDialogue> dialogue_;
  size_t hostname_size_ = 0;
  Model* model_ = nullptr;
  LineParser parser_;  // ParseCommand on the line that just ended.
  std::string line_text_;  // The current line, up to kMaxModelLine octets.
  std::string out_;        // One Consume call's output.
  std::string transcript_;
  ServerAction last_action_ = ServerAction::kContinue;
  bool awaiting_tls_ = false;
  size_t errors_sent_ = 0;      // 4xx/5xx replies seen so far.
  size_t closing_replies_ = 0;  // 421s, which the error counter leaves out.
  // The stream as read: at the start of a line, the last octet, and the
  // size and first octets of the line that ended last or is in progress.
  bool line_start_ = true;
  char last_octet_ = 0;
  size_t line_size_ = 0;
  std::string line_head_;
};

// CompareWithWholeStream runs the whole |stream| in one read and compares it
// with the chunked run |by_read|.
void CompareWithWholeStream(const ServerOptions& options, absl::string_view stream,
                            const Server& by_read) {
  static Server& whole = *new Server;
  whole.Start(options, nullptr);
  whole.Deliver({stream, false}, /*per_line=*/false);
  if (whole.last_action() == ServerAction::kStartTls) {
    FUZZ_CHECK(absl::StartsWith(by_read.transcript(), whole.transcript()),
               "chunked transcript differs from the whole-stream one before "
               "STARTTLS:\n%s\n---\n%s",
               by_read.transcript().c_str(), whole.transcript().c_str());
  } else {
    FUZZ_CHECK(by_read.transcript() == whole.transcript() &&
                   SameCounters(by_read.dialogue().counters(),
                                whole.dialogue().counters()) &&
                   by_read.dialogue().receiving_data() ==
                       whole.dialogue().receiving_data() &&
                   by_read.dialogue().closed() == whole.dialogue().closed(),
               "chunked dialogue differs from the whole-stream one:\n%s\n---"
               "\n%s",
               by_read.transcript().c_str(), whole.transcript().c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const SplitInput input(data, size);
  const ServerOptions options = OptionsFor(input.flags());
  Model model(options);
  // One object per role for the whole campaign (see Server).
  static Server& by_read = *new Server;
  static Server& by_line = *new Server;
  by_read.Start(options, nullptr);
  by_line.Start(options, &model);
  // Transcripts only grow: after each chunk, compare what was added.
  size_t compared = 0;
  const size_t chunks = input.ForEachChunk([&](const Chunk& chunk) {
    by_read.Deliver(chunk, /*per_line=*/false);
    by_line.Deliver(chunk, /*per_line=*/true);
    const std::string& a = by_read.transcript();
    const std::string& b = by_line.transcript();
    FUZZ_CHECK(a.size() == b.size() &&
                   std::memcmp(a.data() + compared, b.data() + compared,
                               a.size() - compared) == 0,
               "transcripts differ:\n%s\n---\n%s", a.c_str(), b.c_str());
    compared = a.size();
    FUZZ_CHECK(by_read.last_action() == by_line.last_action() &&
                   SameCounters(by_read.dialogue().counters(),
                                by_line.dialogue().counters()) &&
                   by_read.dialogue().tls_active() ==
                       by_line.dialogue().tls_active() &&
                   by_read.dialogue().receiving_data() ==
                       by_line.dialogue().receiving_data() &&
                   by_read.dialogue().closed() ==
                       by_line.dialogue().closed(),
               "dialogues disagree after the same octets");
  });
  // Reference: the whole stream in one read, where no cut can matter. Up
  // to the first STARTTLS accepted (after which what is discarded depends on
  // where the read ends) its transcript must be the chunked one's. (With one
  // chunk the chunked run read the stream whole: nothing to compare.)
  if (chunks > 1) CompareWithWholeStream(options, input.stream(), by_read);
  if (input.flags() & 64) {
    by_read.Timeout();
    by_line.Timeout();
    FUZZ_CHECK(by_read.transcript() == by_line.transcript(), "timeout");
  }
  return 0;
}
