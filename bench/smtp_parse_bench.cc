// Micro-benchmarks of the SMTP protocol core: reply parsing (client side),
// command parsing and whole server dialogues (server side).
//
//   bazel run -c opt //src/smtp:smtp_parse_bench -- --benchmark_format=json

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "benchmark/benchmark.h"
#include "src/smtp/command_parser.h"
#include "src/smtp/dialogue.h"
#include "src/smtp/reply_parser.h"

namespace mailshake {
namespace smtp {
namespace {

// A typical EHLO reply of a large provider's MX: 10 lines.
constexpr absl::string_view kEhloReply =
    "250-mx.example.com Hello [192.0.2.1]\r\n"
    "250-SIZE 157286400\r\n"
    "250-PIPELINING\r\n"
    "250-DSN\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250-STARTTLS\r\n"
    "250-8BITMIME\r\n"
    "250-BINARYMIME\r\n"
    "250-CHUNKING\r\n"
    "250 SMTPUTF8\r\n";

// Feeds |wire| to |parser| in chunks of |chunk| octets and returns the number
// of replies it held.
int ParseAll(ReplyParser* parser, absl::string_view wire, size_t chunk) {
  int replies = 0;
  while (!wire.empty()) {
    absl::string_view piece = wire.substr(0, chunk);
    wire.remove_prefix(piece.size());
    while (!piece.empty()) {
      size_t consumed = 0;
      const ParseResult r = parser->Feed(piece, &consumed);
      piece.remove_prefix(consumed);
      if (r == ParseResult::kError) return -1;
      if (r == ParseResult::kReply) {
        Reply reply = parser->TakeReply();
        benchmark::DoNotOptimize(reply);
        ++replies;
      }
    }
  }
  return replies;
}

// Reply parsing of the 10-line EHLO reply, delivered in chunks of range(0)
// octets (0 = all at once).
void BM_ParseEhloReply(benchmark::State& state) {
  const size_t chunk = state.range(0) == 0
                           ? kEhloReply.size()
                           : static_cast<size_t>(state.range(0));
  ReplyParser parser;
  int64_t replies = 0;
  for (auto _ : state) {
    const int n = ParseAll(&parser, kEhloReply, chunk);
    if (n != 1) state.SkipWithError("parse failed");
    replies += n;
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(kEhloReply.size()));
  state.counters["replies"] = benchmark::Counter(static_cast<double>(replies),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseEhloReply)->ArgName("chunk")->Arg(0)->Arg(64)->Arg(1);

// Many short single-line replies back to back, as a pipelining client sees.
void BM_ParseShortReplies(benchmark::State& state) {
  std::string wire;
  for (int i = 0; i < 100; ++i) wire += "250 2.1.5 Recipient OK\r\n";
  ReplyParser parser;
  int64_t replies = 0;
  for (auto _ : state) {
    const int n = ParseAll(&parser, wire, wire.size());
    if (n != 100) state.SkipWithError("parse failed");
    replies += n;
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(wire.size()));
  state.counters["replies"] = benchmark::Counter(static_cast<double>(replies),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseShortReplies);

void BM_ParseEhloExtensions(benchmark::State& state) {
  ReplyParser parser;
  size_t consumed = 0;
  parser.Feed(kEhloReply, &consumed);
  const Reply reply = parser.TakeReply();
  for (auto _ : state) {
    EhloExtensions ext = ParseEhlo(reply);
    benchmark::DoNotOptimize(ext);
  }
  state.counters["replies"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseEhloExtensions);

void BM_ParseCommand(benchmark::State& state) {
  const std::vector<std::string> lines = {
      "EHLO client.example.org",
      "MAIL FROM:<sender.name@example.org> SIZE=12345 BODY=8BITMIME",
      "RCPT TO:<recipient+tag@sub.example.com>",
      "RCPT TO:<\"quoted local\"@[IPv6:2001:db8::1]>",
      "DATA",
      "STARTTLS",
      "NOOP",
      "QUIT",
  };
  size_t bytes = 0;
  for (const std::string& line : lines) bytes += line.size() + 2;
  Command command;
  CommandError error;
  for (auto _ : state) {
    for (const std::string& line : lines) {
      if (!ParseCommand(line, &command, &error)) {
        state.SkipWithError("parse failed");
      }
      benchmark::DoNotOptimize(command);
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
  state.counters["commands"] =
      benchmark::Counter(static_cast<double>(state.iterations() * lines.size()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseCommand);

// A whole pipelined server session with a message of range(0) octets.
void BM_ServerSession(benchmark::State& state) {
  ClientOptions client_options;
  client_options.message_size = static_cast<size_t>(state.range(0));
  std::string body;
  for (size_t i = 0; body.size() < client_options.message_size; ++i) {
    body += std::string(76, static_cast<char>('a' + i % 26)) + "\r\n";
  }
  const std::string wire =
      "EHLO client.example.org\r\nMAIL FROM:<a@example.org>\r\n"
      "RCPT TO:<b@example.com>\r\nDATA\r\n" +
      body + ".\r\nQUIT\r\n";
  ServerOptions options;
  options.hostname = "mx.example.com";
  std::string out;
  for (auto _ : state) {
    ServerDialogue dialogue(options);
    out.clear();
    if (dialogue.Consume(wire, &out) != ServerAction::kClose ||
        dialogue.counters().messages_accepted != 1) {
      state.SkipWithError("session failed");
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(wire.size()));
  state.counters["sessions"] = benchmark::Counter(
      static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ServerSession)
    ->ArgName("message")
    ->Arg(0)
    ->Arg(4096)
    ->Arg(1 << 20);

// --- Worst cases --------------------------------------------------------------
// Every parser of peer input must cost time linear in its input. Each
// benchmark below builds the most expensive input of a shape for range(0)
// octets and reports ns_per_byte; Complexity(oN) fits the growth, so a
// quadratic mechanism shows as a rising ns_per_byte and a bad fit.

// NsPerByte is a counter that reads as nanoseconds per input octet.
benchmark::Counter NsPerByte(size_t bytes) {
  return benchmark::Counter(
      static_cast<double>(bytes) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate |
          benchmark::Counter::kInvert);
}

// MultiLineReply returns a 250 reply of lines "250-" + |item| ... filling up
// to |size| octets (terminators included), the last line "250 end".
std::string MultiLineReply(size_t size, size_t line_content,
                           absl::string_view (*fill)(size_t, std::string*)) {
  std::string wire;
  std::string line;
  for (size_t i = 0; wire.size() + line_content + 16 < size; ++i) {
    line.clear();
    fill(i, &line);
    if (line.size() > line_content) line.resize(line_content);
    wire.append("250-").append(line).append("\r\n");
  }
  wire.append("250 end\r\n");
  return wire;
}

void ParseReplyOrFail(benchmark::State& state, absl::string_view wire,
                      bool ehlo) {
  ReplyLimits limits;
  limits.max_lines = 1 << 20;  // the size limit binds first
  ReplyParser parser(limits);
  for (auto _ : state) {
    size_t consumed = 0;
    if (parser.Feed(wire, &consumed) != ParseResult::kReply) {
      state.SkipWithError("parse failed");
      return;
    }
    Reply reply = parser.TakeReply();
    if (ehlo) {
      EhloExtensions ext = ParseEhlo(reply);
      benchmark::DoNotOptimize(ext);
    }
    benchmark::DoNotOptimize(reply);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(wire.size()));
  state.SetComplexityN(static_cast<int64_t>(wire.size()));
  state.counters["ns_per_byte"] = NsPerByte(wire.size());
}

// Longest lines: every line at the 512-octet limit.
void BM_WorstReplyLongestLines(benchmark::State& state) {
  const std::string wire = MultiLineReply(
      static_cast<size_t>(state.range(0)), 506,
      [](size_t, std::string* line) -> absl::string_view {
        line->assign(506, 'x');
        return *line;
      });
  ParseReplyOrFail(state, wire, /*ehlo=*/true);
}
BENCHMARK(BM_WorstReplyLongestLines)
    ->ArgName("bytes")
    ->RangeMultiplier(4)
    ->Range(1 << 10, 64 << 10)
    ->Complexity(benchmark::oN);

// Most lines: the shortest lines a reply can have.
void BM_WorstReplyMostLines(benchmark::State& state) {
  const std::string wire = MultiLineReply(
      static_cast<size_t>(state.range(0)), 1,
      [](size_t, std::string* line) -> absl::string_view {
        line->assign("X");
        return *line;
      });
  ParseReplyOrFail(state, wire, /*ehlo=*/true);
}
BENCHMARK(BM_WorstReplyMostLines)
    ->ArgName("bytes")
    ->RangeMultiplier(4)
    ->Range(1 << 10, 64 << 10)
    ->Complexity(benchmark::oN);

// Most AUTH mechanisms: full AUTH lines of distinct short mechanisms (the
// case that was quadratic: each mechanism was compared with every earlier
// one).
void BM_WorstEhloAuthMechanisms(benchmark::State& state) {
  const std::string wire = MultiLineReply(
      static_cast<size_t>(state.range(0)), 506,
      [](size_t i, std::string* line) -> absl::string_view {
        line->assign("AUTH");
        for (size_t k = 0; line->size() < 500; ++k) {
          absl::StrAppend(line, " M", i, "X", k);
        }
        return *line;
      });
  ParseReplyOrFail(state, wire, /*ehlo=*/true);
}
BENCHMARK(BM_WorstEhloAuthMechanisms)
    ->ArgName("bytes")
    ->RangeMultiplier(4)
    ->Range(1 << 10, 64 << 10)
    ->Complexity(benchmark::oN);

// ParseCommandOrFail times ParseCommand on |line|, which must not be
// refused for its length.
void ParseCommandOrFail(benchmark::State& state, const std::string& line) {
  Command command;
  CommandError error;
  if (!ParseCommand(line, &command, &error) && error.text == "Line too long") {
    state.SkipWithError("line rejected as too long");
    return;
  }
  for (auto _ : state) {
    const bool ok = ParseCommand(line, &command, &error);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(error);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(line.size()));
  state.SetComplexityN(static_cast<int64_t>(line.size()));
  state.counters["ns_per_byte"] = NsPerByte(line.size());
}

// Most ESMTP parameters on one MAIL line, up to the longest line
// ParseCommand takes (kMaxCommandLine - 2 octets).
void BM_WorstCommandMostParameters(benchmark::State& state) {
  std::string line = "MAIL FROM:<a@example.org>";
  while (line.size() + 8 < static_cast<size_t>(state.range(0))) {
    absl::StrAppend(&line, " X", line.size(), "=v");
  }
  ParseCommandOrFail(state, line);
}
BENCHMARK(BM_WorstCommandMostParameters)
    ->ArgName("bytes")
    ->Arg(128)
    ->Arg(256)
    ->Arg(kMaxCommandLine - 2)
    ->Complexity(benchmark::oN);

// The longest addresses: a dot-atom local part of one-letter atoms and an
// IPv6 literal, at range(0) octets.
void BM_WorstCommandLongestAddress(benchmark::State& state) {
  std::string local;
  while (local.size() + 42 < static_cast<size_t>(state.range(0))) {
    local += "a.";
  }
  ParseCommandOrFail(
      state, absl::StrCat("RCPT TO:<", local, "b@[IPv6:2001:db8:0:0:0:0:0:1]>"));
}
BENCHMARK(BM_WorstCommandLongestAddress)
    ->ArgName("bytes")
    ->Arg(128)
    ->Arg(256)
    ->Arg(kMaxCommandLine - 2)
    ->Complexity(benchmark::oN);

// The server dialogue over range(0) octets of the cheapest-to-send lines
// (empty command lines and bare CRs inside overlong lines), in one read.
void BM_WorstServerMostLines(benchmark::State& state) {
  std::string wire;
  const size_t size = static_cast<size_t>(state.range(0));
  while (wire.size() < size / 2) wire += "NOOP\r\n";
  while (wire.size() < size) wire += "\r";
  wire += "\r\nQUIT\r\n";
  ServerOptions options;
  options.hostname = "mx.example.com";
  options.max_errors = 1 << 30;
  std::string out;
  for (auto _ : state) {
    ServerDialogue dialogue(options);
    out.clear();
    dialogue.Consume(wire, &out);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(wire.size()));
  state.SetComplexityN(static_cast<int64_t>(wire.size()));
  state.counters["ns_per_byte"] = NsPerByte(wire.size());
}
BENCHMARK(BM_WorstServerMostLines)
    ->ArgName("bytes")
    ->RangeMultiplier(4)
    ->Range(1 << 10, 256 << 10)
    ->Complexity(benchmark::oN);

}  // namespace
}  // namespace smtp
}  // namespace mailshake
