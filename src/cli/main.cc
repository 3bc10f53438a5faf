// mailshake: how fast and how safely mail servers do TLS.
//
//   mailshake SUBCOMMAND [FLAGS] [ARGS]
//
// Each subcommand declares and parses its own flags (src/cli/flags.h) and
// registers itself (src/cli/cli.h); `mailshake SUBCOMMAND --help` lists
// them.

#include <sys/resource.h>

#include <unistd.h>

#include <csignal>
#include <exception>
#include <new>

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

// A resource failure anywhere (std::bad_alloc under a memory limit,
// std::system_error when a thread cannot start) ends the process with a
// message and exit status 1, never an abort: this handler serves every
// thread, and main catches what reaches it.
[[noreturn]] void ExitOnUncaughtException() {
  const char* what = "unknown exception";
  std::string message;
  if (std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::bad_alloc&) {
      what = "out of memory";
    } catch (const std::exception& ex) {
      message = ex.what();
      what = message.c_str();
    } catch (...) {
    }
  } else {
    what = "internal error (terminate without an exception)";
  }
  std::fprintf(stderr, "mailshake: %s; stopping (lower --concurrency or --threads, or raise the "
                       "limits)\n", what);
  std::fflush(stderr);
  _exit(1);
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
  std::set_terminate(ExitOnUncaughtException);
  for (const mailshake::cli::Subcommand& s : mailshake::cli::Subcommands()) {
    if (std::strcmp(argv[1], s.name) == 0) {
      try {
        return s.run(std::vector<std::string>(argv + 2, argv + argc));
      } catch (...) {
        ExitOnUncaughtException();
      }
    }
  }
  std::fprintf(stderr, "mailshake: unknown subcommand '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return 2;
}
