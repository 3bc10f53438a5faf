// mailshake: how fast and how safely mail servers do TLS.
//
//   mailshake SUBCOMMAND [FLAGS] [ARGS]
//
// Each subcommand declares and parses its own flags (src/cli/flags.h) and
// registers itself (src/cli/cli.h); `mailshake SUBCOMMAND --help` lists
// them.

#include <sys/resource.h>

#include <csignal>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "src/cli/cli.h"

namespace {

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "usage: mailshake SUBCOMMAND [FLAGS] [ARGS]\n\n"
               "Measures how fast and how safely mail servers do TLS.\n\nsubcommands:\n");
  for (const mailshake::cli::Subcommand& s : mailshake::cli::Subcommands()) {
    std::fprintf(out, "  %-8s %s\n", s.name, s.summary);
  }
  std::fprintf(out, "\n'mailshake SUBCOMMAND --help' lists a subcommand's flags.\n");
}

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

}  // namespace

int main(int argc, char** argv) {
  // A closed pipe on stdout or stderr (`... 2>&1 | head`) must not end the
  // process before its result file is written: writes fail with EPIPE
  // instead, and the output writer reports that.
  signal(SIGPIPE, SIG_IGN);
  RaiseFileLimit();
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0 ||
      std::strcmp(argv[1], "-h") == 0) {
    PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const mailshake::cli::Subcommand& s : mailshake::cli::Subcommands()) {
    if (std::strcmp(argv[1], s.name) == 0) {
      return s.run(std::vector<std::string>(argv + 2, argv + argc));
    }
  }
  std::fprintf(stderr, "mailshake: unknown subcommand '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return 2;
}
