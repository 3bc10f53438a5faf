// mailshake: how fast and how safely mail servers do TLS.
//
//   mailshake SUBCOMMAND [FLAGS] [ARGS]
//
// Each subcommand has its own flags (defined in its own file); `mailshake
// SUBCOMMAND --help` lists them.

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "src/cli/cli.h"

namespace {

struct Subcommand {
  const char* name;
  const char* source;  // the file defining its flags
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
  // Flags (std::vector<std::string>) that may be given several times.
  std::vector<const char*> repeatable;
  // Flags that may be given without a value, with the value they then take.
  std::vector<std::pair<const char*, const char*>> bare = {};
};

const Subcommand kSubcommands[] = {
    {"bench", "src/cli/bench.cc",
     "measure STARTTLS and TLS handshakes against a mail server (default: the embedded one)",
     mailshake::cli::RunBench, {}},
    {"cert", "src/cli/cert.cc",
     "what operators check about a certificate, from a file or a live server",
     mailshake::cli::RunCert, {}, {{"json", "-"}}},
    {"merge", "src/cli/merge.cc",
     "merge the results of the shares of one run (bench --shard I/N) exactly",
     mailshake::cli::RunMerge, {}},
    {"serve", "src/cli/serve.cc",
     "run the embedded SMTP server with STARTTLS and implicit TLS", mailshake::cli::RunServe,
     {"listen", "listen_implicit"}},
};

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "usage: mailshake SUBCOMMAND [FLAGS] [ARGS]\n\n"
               "Measures how fast and how safely mail servers do TLS.\n\nsubcommands:\n");
  for (const Subcommand& s : kSubcommands) std::fprintf(out, "  %-8s %s\n", s.name, s.summary);
  std::fprintf(out, "\n'mailshake SUBCOMMAND --help' lists a subcommand's flags.\n");
}

// Prints the flags of |sub| (those defined in its own file) with their help.
void PrintSubcommandHelp(const Subcommand& sub) {
  std::printf("usage: mailshake %s [FLAGS]%s\n\n%s.\n\nflags:\n", sub.name,
              std::strcmp(sub.name, "bench") == 0  ? " [smtp://HOST:PORT | smtps://HOST:PORT]"
              : std::strcmp(sub.name, "cert") == 0 ? " FILE|smtp://HOST:PORT|smtps://HOST:PORT"
              : std::strcmp(sub.name, "merge") == 0 ? " PART.json... -o RUN.json"
                                                   : "",
              sub.summary);
  std::vector<std::pair<std::string, const absl::CommandLineFlag*>> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::EndsWith(flag->Filename(), sub.source) ||
        absl::EndsWith(flag->Filename(), mailshake::cli::kCommonFlagsFile)) {
      flags.emplace_back(std::string(name), flag);
    }
  }
  std::sort(flags.begin(), flags.end());
  for (const auto& [name, flag] : flags) {
    std::string dashed = name;
    std::replace(dashed.begin(), dashed.end(), '_', '-');
    std::printf("  --%s (default: %s)\n      %s\n", dashed.c_str(),
                flag->DefaultValue().empty() ? "\"\"" : flag->DefaultValue().c_str(),
                flag->Help().c_str());
  }
}

}  // namespace

// Raises the limit on open files: a benchmark holds thousands of sockets
// (twice as many with the embedded server in the same process). Root may go
// past the hard limit; others get the hard limit.
void RaiseFileLimit() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlimit want = {262144, 262144};
  if (want.rlim_max > rl.rlim_max && setrlimit(RLIMIT_NOFILE, &want) == 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int main(int argc, char** argv) {
  RaiseFileLimit();
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0 ||
      std::strcmp(argv[1], "-h") == 0) {
    PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const Subcommand* sub = nullptr;
  for (const Subcommand& s : kSubcommands) {
    if (std::strcmp(argv[1], s.name) == 0) sub = &s;
  }
  if (sub == nullptr) {
    std::fprintf(stderr, "mailshake: unknown subcommand '%s'\n\n", argv[1]);
    PrintUsage(stderr);
    return 2;
  }
  // argv[0] becomes "mailshake SUBCOMMAND" for absl's messages.
  std::string program = absl::StrCat("mailshake ", sub->name);
  std::vector<char*> args;
  args.push_back(program.data());
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      PrintSubcommandHelp(*sub);
      return 0;
    }
    args.push_back(argv[i]);
  }
  // Flags are written with dashes (--tls-min); absl names them with
  // underscores. Only the name is rewritten, never the value.
  std::vector<std::string> normalized;
  normalized.reserve(args.size());
  for (size_t i = 1; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") break;
    if (!absl::StartsWith(arg, "--")) continue;
    size_t eq = arg.find('=');
    std::string name(arg.substr(0, eq));
    std::replace(name.begin() + 2, name.end(), '-', '_');
    std::string value(eq == absl::string_view::npos ? "" : arg.substr(eq));
    for (const auto& [flag, bare_value] : sub->bare) {
      if (value.empty() && name == absl::StrCat("--", flag)) value = absl::StrCat("=", bare_value);
    }
    normalized.push_back(absl::StrCat(name, value));
    args[i] = normalized.back().data();
  }
  // Flags that belong to another subcommand are refused, so that a flag
  // given to the wrong subcommand is not silently ignored.
  for (size_t i = 1; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) continue;
    absl::string_view name = arg.substr(0, arg.find('='));
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::ConsumePrefix(&name, "no")) flag = absl::FindCommandLineFlag(name);
    if (flag != nullptr && absl::StrContains(flag->Filename(), "src/cli/") &&
        !absl::EndsWith(flag->Filename(), sub->source) &&
        !absl::EndsWith(flag->Filename(), mailshake::cli::kCommonFlagsFile)) {
      return mailshake::cli::UsageError(
          sub->name, absl::StrCat("--", name, " is not a flag of '", sub->name, "'"));
    }
  }
  std::vector<std::string> combined(sub->repeatable.size());
  for (size_t i = 0; i < sub->repeatable.size(); ++i) {
    mailshake::cli::CombineRepeatedFlag(sub->repeatable[i], &args, &combined[i]);
  }
  absl::FlagsUsageConfig config;
  config.contains_helpshort_flags = [](absl::string_view) { return false; };
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(absl::StrCat("mailshake ", sub->name, " [FLAGS]"));
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  std::vector<std::string> rest(positional.begin() + 1, positional.end());
  return sub->run(rest);
}
