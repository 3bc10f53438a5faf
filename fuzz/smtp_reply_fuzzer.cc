// Fuzzes ReplyParser as a client reads a server: the reply stream arrives in
// pieces cut where the input's header says (split_input.h), and must give
// exactly the replies and errors it gives when fed whole. After an error the
// parser is Reset and reading goes on, so one input checks many replies.
//
// Invariants, besides split invariance:
//  - Feed never consumes more than it is given; kNeedMore consumes all of it;
//    kReply stops right after a line feed; a failed parser consumes nothing.
//  - Each reply's wire_size is exactly the octets consumed since the previous
//    reply or error; lines and sizes respect ReplyLimits; codes are 200-559.
//  - An error is found within one line of the limits (the parser never
//    buffers more than max_reply_size + max_line_length octets).
//  - A reply written back out with CR LF parses to the same reply.
//  - ParseEhlo's result is drawn from the reply's own lines.
//
// Flags octet: the low two bits choose the ReplyLimits (RFC sizes, or small
// ones so that the limit checks are reached).

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/split_input.h"
#include "src/smtp/reply_parser.h"

namespace {

using mailshake::smtp::EhloExtensions;
using mailshake::smtp::EnhancedStatus;
using mailshake::smtp::ParseEhlo;
using mailshake::smtp::ParseEnhancedStatus;
using mailshake::smtp::ParseResult;
using mailshake::smtp::Reply;
using mailshake::smtp::ReplyError;
using mailshake::smtp::ReplyErrorName;
using mailshake::smtp::ReplyLimits;
using mailshake::smtp::ReplyParser;

ReplyLimits LimitsFor(uint8_t flags) {
  ReplyLimits limits;
  switch (flags & 3) {
    case 0:
      break;  // RFC 5321 sizes.
    case 1:
      // Small limits, so that every check is within a short input's reach:
      // lines over 24 octets are tolerated (and counted) up to 40.
      limits.max_line_length = 24;
      limits.tolerated_line_length = 40;
      limits.max_lines = 4;
      limits.max_reply_size = 64;
      break;
    case 2:
      limits.max_line_length = 7;  // "250 ab" and its CR LF at most.
      limits.tolerated_line_length = 7;  // no tolerance
      limits.max_lines = 2;
      limits.max_reply_size = 1000;
      break;
    case 3:
      limits.max_line_length = 0;  // Degenerate: no content fits.
      limits.tolerated_line_length = 0;
      limits.max_lines = 1;
      limits.max_reply_size = 3;
      break;
  }
  return limits;
}

// Event is one thing the parser reported: a reply, or an error (error is not
// kNone), ending at stream offset |end|.
struct Event {
  size_t end = 0;
  ReplyError error = ReplyError::kNone;
  Reply reply;

  bool operator==(const Event& other) const {
    return end == other.end && error == other.error &&
           reply.code == other.reply.code &&
           reply.enhanced == other.reply.enhanced &&
           reply.lines == other.reply.lines &&
           reply.wire_size == other.reply.wire_size &&
           reply.long_lines == other.reply.long_lines;
  }
};

// Serialize writes |reply| back out as a server would, with CR LF, into
// |*out| (cleared first).
void Serialize(const Reply& reply, std::string* out_string) {
  std::string& out = *out_string;
  out.clear();
  for (size_t i = 0; i < reply.lines.size(); ++i) {
    absl::StrAppend(&out, reply.code);
    if (!reply.lines[i].empty() || i + 1 < reply.lines.size()) {
      out.push_back(i + 1 < reply.lines.size() ? '-' : ' ');
    }
    absl::StrAppend(&out, reply.lines[i], "\r\n");
  }
}

void CheckEhlo(const Reply& reply) {
  const EhloExtensions ext = ParseEhlo(reply);
  const absl::string_view first = reply.lines[0];
  FUZZ_CHECK(ext.domain == first.substr(0, first.find(' ')), "domain '%s'",
             ext.domain.c_str());
  FUZZ_CHECK(ext.unknown.size() < reply.lines.size(), "%zu unknown lines",
             ext.unknown.size());
  for (const std::string& line : ext.unknown) {
    FUZZ_CHECK(std::find(reply.lines.begin() + 1, reply.lines.end(), line) !=
                   reply.lines.end(),
               "unknown line '%s' is not a line of the reply", line.c_str());
  }
  FUZZ_CHECK(ext.auth || ext.auth_mechanisms.empty(), "mechanisms w/o AUTH");
  // (Sorted copies find duplicates in n log n: a reply may list thousands.)
  static std::vector<absl::string_view>& sorted =
      *new std::vector<absl::string_view>;
  sorted.clear();
  for (const std::string& mech : ext.auth_mechanisms) {
    FUZZ_CHECK(!mech.empty() &&
                   std::none_of(mech.begin(), mech.end(),
                                [](char c) {
                                  return absl::ascii_islower(
                                      static_cast<unsigned char>(c));
                                }) &&
                   mech.find(' ') == std::string::npos,
               "mechanism '%s'", mech.c_str());
    sorted.push_back(mech);
  }
  std::sort(sorted.begin(), sorted.end());
  const auto duplicate = std::adjacent_find(sorted.begin(), sorted.end());
  FUZZ_CHECK(duplicate == sorted.end(), "duplicate mechanism '%s'",
             std::string(*duplicate).c_str());
  FUZZ_CHECK(!ext.size_limit.has_value() || (ext.size && *ext.size_limit > 0),
             "size_limit without SIZE");
  // Each flag needs a line after the first that starts with its keyword.
  const auto advertised = [&reply](absl::string_view keyword) {
    for (size_t i = 1; i < reply.lines.size(); ++i) {
      if (absl::StartsWithIgnoreCase(reply.lines[i], keyword)) return true;
    }
    return false;
  };
  FUZZ_CHECK(!ext.starttls || advertised("STARTTLS"), "STARTTLS");
  FUZZ_CHECK(!ext.pipelining || advertised("PIPELINING"), "PIPELINING");
  FUZZ_CHECK(!ext.size || advertised("SIZE"), "SIZE");
  FUZZ_CHECK(!ext.eightbitmime || advertised("8BITMIME"), "8BITMIME");
  FUZZ_CHECK(!ext.smtputf8 || advertised("SMTPUTF8"), "SMTPUTF8");
  FUZZ_CHECK(!ext.chunking || advertised("CHUNKING"), "CHUNKING");
  FUZZ_CHECK(!ext.enhancedstatuscodes || advertised("ENHANCEDSTATUSCODES"),
             "ENHANCEDSTATUSCODES");
  FUZZ_CHECK(!ext.dsn || advertised("DSN"), "DSN");
  FUZZ_CHECK(!ext.auth || advertised("AUTH"), "AUTH");
}

// RoundTripParser returns the parser for round trips under |limits| (of
// flavour |flavour|, LimitsFor's flags & 3).
ReplyParser& RoundTripParser(const ReplyLimits& limits, int flavour) {
  static ReplyParser* parsers[4] = {};
  if (parsers[flavour] == nullptr) {
    ReplyLimits roomy = limits;
    roomy.max_reply_size = limits.max_reply_size + 2 * limits.max_lines;
    parsers[flavour] = new ReplyParser(roomy);
  }
  return *parsers[flavour];
}

void CheckReply(const Reply& reply, const ReplyLimits& limits, int flavour) {
  FUZZ_CHECK(reply.code >= 200 && reply.code <= 559 &&
                 reply.code / 10 % 10 <= 5,
             "code %d", reply.code);
  FUZZ_CHECK(reply.Class() == reply.code / 100, "class");
  FUZZ_CHECK(!reply.lines.empty() && reply.lines.size() <= limits.max_lines,
             "%zu lines", reply.lines.size());
  FUZZ_CHECK(reply.wire_size <= limits.max_reply_size, "wire_size %zu",
             reply.wire_size);
  // RFC 5321's limit, and the larger one tolerated (and counted) beyond it.
  const size_t max_content =
      limits.max_line_length >= 2 ? limits.max_line_length - 2 : 0;
  const size_t tolerated = std::max(limits.max_line_length, limits.tolerated_line_length);
  const size_t tolerated_content = tolerated >= 2 ? tolerated - 2 : 0;
  size_t min_wire = 0, max_wire = 0, long_lines = 0;
  for (const std::string& text : reply.lines) {
    // The line was "ddd" alone, or "ddd" + separator + text.
    FUZZ_CHECK(text.empty() || 4 + text.size() <= tolerated_content,
               "text of %zu octets under a %zu-octet tolerated content limit",
               text.size(), tolerated_content);
    if (!text.empty() && 4 + text.size() > max_content) ++long_lines;
    FUZZ_CHECK(absl::string_view(text).find_first_of(
                   absl::string_view("\r\n\0", 3)) == absl::string_view::npos,
               "CR, LF or NUL in reply text");
    min_wire += (text.empty() ? 3 : 4 + text.size()) + 1;
    max_wire += 4 + text.size() + 2;
  }
  // Exactly the lines past RFC 5321's limit are counted as deviations.
  FUZZ_CHECK(reply.long_lines == long_lines, "long_lines %zu, expected %zu",
             reply.long_lines, long_lines);
  FUZZ_CHECK(reply.wire_size >= min_wire && reply.wire_size <= max_wire,
             "wire_size %zu outside [%zu, %zu]", reply.wire_size, min_wire,
             max_wire);

  const std::optional<EnhancedStatus> enhanced =
      ParseEnhancedStatus(reply.lines[0]);
  const bool expect_enhanced =
      enhanced.has_value() && enhanced->status_class == reply.Class();
  FUZZ_CHECK(reply.enhanced.has_value() == expect_enhanced &&
                 (!expect_enhanced || *reply.enhanced == *enhanced),
             "enhanced code of '%s'", reply.lines[0].c_str());
  if (reply.enhanced.has_value()) {
    FUZZ_CHECK(reply.enhanced->subject <= 999 && reply.enhanced->detail <= 999,
               "enhanced %s", reply.enhanced->ToString().c_str());
  }

  // Round trip: the reply as a server would send it parses to the same one.
  // Serializing adds at most a CR and a separator to each line, so the
  // limits but a reply size raised by two octets a line admit it (and the
  // reply size limit is the only one that it could exceed). One parser per
  // flavour of limits serves every round trip: after a whole reply is taken
  // it is back at the start.
  static std::string& wire = *new std::string;
  Serialize(reply, &wire);
  FUZZ_CHECK(wire.size() <= reply.wire_size + 2 * reply.lines.size(),
             "re-serialized reply of %zu octets from %zu", wire.size(),
             reply.wire_size);
  ReplyParser& again = RoundTripParser(limits, flavour);
  size_t consumed = 0;
  FUZZ_CHECK(again.Feed(wire, &consumed) == ParseResult::kReply &&
                 consumed == wire.size(),
             "re-serialized reply does not parse: %s",
             std::string(again.status().message()).c_str());
  const Reply copy = again.TakeReply();
  FUZZ_CHECK(copy.code == reply.code && copy.lines == reply.lines &&
                 copy.enhanced == reply.enhanced,
             "re-serialized reply differs");

  CheckEhlo(reply);
}

// CheckWire re-reads the raw octets |wire| a reply was parsed from, line by
// line, independently of the parser: every line carries the reply's code,
// every line but the last has '-' after it, the last ' ' or nothing, and the
// texts are the reply's lines (RFC 5321 4.2.1).
void CheckWire(absl::string_view wire, const Reply& reply) {
  const std::string code = absl::StrCat(reply.code);
  size_t i = 0;
  while (!wire.empty()) {
    const size_t lf = wire.find('\n');
    FUZZ_CHECK(lf != absl::string_view::npos, "reply octets end mid-line");
    absl::string_view line = wire.substr(0, lf);
    wire.remove_prefix(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    FUZZ_CHECK(i < reply.lines.size(), "more wire lines than reply lines");
    FUZZ_CHECK(absl::StartsWith(line, code), "line %zu has code '%s', the "
               "reply %s", i, std::string(line.substr(0, 3)).c_str(),
               code.c_str());
    const bool last = i + 1 == reply.lines.size();
    FUZZ_CHECK(last ? (line.size() == 3 || line[3] == ' ')
                    : (line.size() > 3 && line[3] == '-'),
               "line %zu separator", i);
    FUZZ_CHECK(line.size() <= 4 ? reply.lines[i].empty()
                                : line.substr(4) == reply.lines[i],
               "line %zu text", i);
    ++i;
  }
  FUZZ_CHECK(i == reply.lines.size(), "%zu wire lines, %zu reply lines", i,
             reply.lines.size());
}

// Run feeds the stream of |input| to one parser, in one piece when |whole|,
// else cut as the header says, and returns what it reported in |*events|
// (reused between inputs). Each reply, and each error's status, is checked
// on its own when |whole|: the harness compares the split run's events (the
// error kinds among them) with the whole run's.
void Run(const ReplyLimits& limits, int flavour,
         const mailshake::fuzz::SplitInput& input, bool whole,
         std::vector<Event>* out) {
  const bool check_replies = whole;
  ReplyParser parser(limits);
  std::vector<Event>& events = *out;
  events.clear();
  size_t offset = 0;      // Stream octets consumed.
  size_t reply_start = 0;  // Offset after the last reply or error.
  // A line is judged once it ends or passes the tolerated length (which is
  // never below the standard one).
  const size_t max_buffered =
      limits.max_reply_size +
      std::max<size_t>({limits.max_line_length, limits.tolerated_line_length, 2});
  const auto feed = [&](const mailshake::fuzz::Chunk& chunk) {
    absl::string_view in = chunk.bytes;
    while (!in.empty()) {
      const bool fresh = !parser.in_progress();
      size_t consumed = in.size() + 1;
      const ParseResult result = parser.Feed(in, &consumed);
      FUZZ_CHECK(consumed <= in.size(), "consumed %zu of %zu", consumed,
                 in.size());
      const absl::string_view taken = in.substr(0, consumed);
      in.remove_prefix(consumed);
      offset += consumed;
      switch (result) {
        case ParseResult::kNeedMore:
          FUZZ_CHECK(in.empty(), "kNeedMore left %zu octets", in.size());
          FUZZ_CHECK(parser.in_progress(), "kNeedMore but nothing held");
          FUZZ_CHECK(offset - reply_start <= max_buffered,
                     "%zu octets held without a verdict",
                     offset - reply_start);
          break;
        case ParseResult::kReply: {
          FUZZ_CHECK(!taken.empty() && taken.back() == '\n',
                     "reply does not end at a line feed");
          FUZZ_CHECK(!parser.in_progress(), "in progress after a reply");
          Event event;
          event.end = offset;
          event.reply = parser.TakeReply();
          FUZZ_CHECK(event.reply.wire_size == offset - reply_start,
                     "wire_size %zu but %zu octets consumed",
                     event.reply.wire_size, offset - reply_start);
          if (check_replies) CheckReply(event.reply, limits, flavour);
          events.push_back(std::move(event));
          reply_start = offset;
          break;
        }
        case ParseResult::kError: {
          // A fresh parser cannot fail before reading an octet.
          FUZZ_CHECK(consumed > 0 || !fresh, "error on no input");
          FUZZ_CHECK(offset - reply_start <= max_buffered,
                     "error found %zu octets into a reply",
                     offset - reply_start);
          FUZZ_CHECK(parser.error() != ReplyError::kNone &&
                         ReplyErrorName(parser.error()) != "unknown",
                     "error without a proper kind");
          if (check_replies) {
            const absl::Status status = parser.status();
            FUZZ_CHECK(status.code() == absl::StatusCode::kDataLoss &&
                           !status.message().empty(),
                       "error without a proper status");
          }
          size_t again = 1;
          FUZZ_CHECK(parser.Feed(in, &again) == ParseResult::kError &&
                         again == 0,
                     "failed parser consumed %zu octets", again);
          Event event;
          event.end = offset;
          event.error = parser.error();
          events.push_back(std::move(event));
          parser.Reset();
          FUZZ_CHECK(!parser.in_progress() && parser.status().ok(), "Reset");
          reply_start = offset;
          break;
        }
      }
    }
  };
  if (!whole) {
    input.ForEachChunk(feed);
  } else if (!input.stream().empty()) {
    feed({input.stream(), false});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const mailshake::fuzz::SplitInput input(data, size);
  const int flavour = input.flags() & 3;
  const ReplyLimits limits = LimitsFor(input.flags());
  const absl::string_view stream = input.stream();
  // Reused between inputs: the events' vectors keep their capacity.
  static std::vector<Event>& expected = *new std::vector<Event>;
  static std::vector<Event>& split = *new std::vector<Event>;
  Run(limits, flavour, input, /*whole=*/true, &expected);
  // One chunk is the whole stream: the split run would repeat this one.
  if (input.chunk_count() > 1) {
    Run(limits, flavour, input, /*whole=*/false, &split);
    FUZZ_CHECK(split.size() == expected.size(),
               "split gave %zu events, whole gave %zu", split.size(),
               expected.size());
    for (size_t i = 0; i < split.size(); ++i) {
      FUZZ_CHECK(split[i] == expected[i],
                 "event %zu differs: split ends at %zu (%s), whole at %zu (%s)",
                 i, split[i].end,
                 std::string(ReplyErrorName(split[i].error)).c_str(),
                 expected[i].end,
                 std::string(ReplyErrorName(expected[i].error)).c_str());
    }
  }
  size_t start = 0;
  for (const Event& event : expected) {
    if (event.error == ReplyError::kNone) {
      CheckWire(stream.substr(start, event.end - start), event.reply);
    }
    start = event.end;
  }
  return 0;
}
