// Micro-benchmarks of the SMTP protocol core: reply parsing (client side),
// command parsing and whole server dialogues (server side).
//
//   bazel run -c opt //src/smtp:smtp_parse_bench -- --benchmark_format=json

#include <string>
#include <vector>

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

}  // namespace
}  // namespace smtp
}  // namespace mailshake
