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

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
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

// Server is one dialogue and what the harness knows about its stream.
class Server {
 public:
  explicit Server(const ServerOptions& options)
      : dialogue_(options), hostname_size_(options.hostname.size()) {
    dialogue_.Greet(&transcript_);
    const Replies greeting = CheckReplies(transcript_);
    FUZZ_CHECK(greeting.count == 1 && greeting.first_code == 220, "banner");
  }

  // Deliver hands one chunk to the dialogue: first the TLS handshake if the
  // chunk is marked and one is due, then the octets, in one Consume call or,
  // if |per_line|, one call per CR LF-terminated line.
  void Deliver(const Chunk& chunk, bool per_line) {
    if (chunk.marked && awaiting_tls_) {
      dialogue_.OnTlsEstablished();
      FUZZ_CHECK(dialogue_.tls_active() && !dialogue_.receiving_data(), "TLS");
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
      const size_t eol = in.find("\r\n");
      const size_t size = eol == absl::string_view::npos ? in.size() : eol + 2;
      Consume(in.substr(0, size));
      in.remove_prefix(size);
    }
  }

  // Timeout ends the session as the server's read deadline would.
  void Timeout() {
    if (dialogue_.closed()) return;
    std::string out;
    dialogue_.OnTimeout(&out);
    const Replies replies = CheckReplies(out);
    FUZZ_CHECK(replies.count == 1 && replies.last_code == 421 &&
                   dialogue_.closed() &&
                   absl::string_view(dialogue_.close_reason()) == "timeout",
               "timeout");
    transcript_ += out;
    errors_sent_ += replies.errors;
    closing_replies_ += replies.closing;
    CheckClosed();
  }

  const std::string& transcript() const { return transcript_; }
  const ServerDialogue& dialogue() const { return dialogue_; }
  ServerAction last_action() const { return last_action_; }

 private:
  // Consume feeds |in| to the dialogue and checks the invariants.
  void Consume(absl::string_view in) {
    const ServerCounters before = dialogue_.counters();
    const bool was_closed = dialogue_.closed();
    const bool was_awaiting_tls = awaiting_tls_;
    const bool was_in_data = dialogue_.receiving_data();
    // One whole command line: it starts a line and its only CR LF ends it.
    const bool whole_line = line_start_ && in.size() >= 2 &&
                            in.find("\r\n") == in.size() - 2;
    const size_t line_ends = CountLineEnds(in);

    std::string out;
    const ServerAction action = dialogue_.Consume(in, &out);
    last_action_ = action;
    const ServerCounters& after = dialogue_.counters();

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
                       !dialogue_.tls_active() && !dialogue_.closed(),
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
        FUZZ_CHECK(dialogue_.closed(), "kClose but not closed");
        if (absl::string_view(dialogue_.close_reason()) == "quit") {
          FUZZ_CHECK(replies.last_code == 221, "quit without 221");
        } else {
          FUZZ_CHECK(absl::string_view(dialogue_.close_reason()) ==
                             "too_many_errors" &&
                         replies.last_code == 421,
                     "closed for '%s'", dialogue_.close_reason());
        }
        Advance(in);
        break;
      case ServerAction::kContinue:
        FUZZ_CHECK(!dialogue_.closed() && dialogue_.close_reason()[0] == '\0',
                   "kContinue on a closed dialogue");
        Advance(in);
        break;
    }
    transcript_ += out;
    if (dialogue_.closed()) CheckClosed();

    if (whole_line && !was_in_data) {
      CheckAgainstParseCommand(in.substr(0, in.size() - 2), action, out,
                               after.commands - before.commands);
    }
  }

  // CheckAgainstParseCommand compares the dialogue's answer to one whole
  // command line with what ParseCommand says of that line.
  void CheckAgainstParseCommand(absl::string_view line, ServerAction action,
                                absl::string_view out, uint64_t commands) {
    FUZZ_CHECK(commands == 1, "one line counted as %llu commands",
               static_cast<unsigned long long>(commands));
    Command command;
    CommandError error;
    if (!ParseCommand(line, &command, &error)) {
      FUZZ_CHECK(absl::StartsWith(out, error.ToReply()),
                 "dialogue answered '%s' where ParseCommand says '%s'",
                 std::string(out).c_str(), error.ToReply().c_str());
      return;
    }
    const Replies replies = CheckReplies(out);
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
    const ServerCounters before = dialogue_.counters();
    std::string out;
    FUZZ_CHECK(dialogue_.Consume("NOOP\r\n", &out) == ServerAction::kClose &&
                   out.empty() && SameCounters(before, dialogue_.counters()),
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
    for (char c : in) {
      if (line_start_) {
        line_size_ = 0;
        line_head_.clear();
        line_start_ = false;
      }
      ++line_size_;
      if (line_head_.size() < 16) line_head_.push_back(c);
      // Only CR LF ends a line; a CR left over from before the handshake
      // cannot pair with an LF after it (last_octet_ is reset there).
      if (c == '\n' && last_octet_ == '\r') line_start_ = true;
      last_octet_ = c;
    }
  }

  // EndsWithLine returns true if the octets read end with the whole line
  // |line| (case-insensitive) and its CR LF.
  bool EndsWithLine(absl::string_view line) const {
    return line_start_ && line_size_ == line.size() + 2 &&
           absl::EqualsIgnoreCase(
               absl::string_view(line_head_).substr(0, line.size()), line);
  }

  ServerDialogue dialogue_;
  const size_t hostname_size_;
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const SplitInput input(data, size);
  const ServerOptions options = OptionsFor(input.flags());
  Server by_read(options);
  Server by_line(options);
  for (const Chunk& chunk : input.Chunks()) {
    by_read.Deliver(chunk, /*per_line=*/false);
    by_line.Deliver(chunk, /*per_line=*/true);
    FUZZ_CHECK(by_read.transcript() == by_line.transcript(),
               "transcripts differ:\n%s\n---\n%s",
               by_read.transcript().c_str(), by_line.transcript().c_str());
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
  }
  if (input.flags() & 64) {
    by_read.Timeout();
    by_line.Timeout();
    FUZZ_CHECK(by_read.transcript() == by_line.transcript(), "timeout");
  }
  return 0;
}
