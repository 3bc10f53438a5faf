#ifndef MAILSHAKE_SRC_CLI_CLI_H_
#define MAILSHAKE_SRC_CLI_CLI_H_

// Shared pieces of the subcommands.
//
// Adding a subcommand: write its logic in its own package, then a thin
// src/cli/SUB.cc that declares its flags on a FlagSet (src/cli/flags.h),
// parses its own argv and registers itself at file scope:
//
//   int RunFoo(const std::vector<std::string>& argv) { ... }
//   MAILSHAKE_SUBCOMMAND("foo", "one line saying what foo does", RunFoo);
//
// and add SUB.cc to the mailshake binary's srcs. main.cc needs no change.
// Exit statuses: 0 success, 1 the work failed (I/O, resources), 2 bad
// flags or arguments (every usage path), 3 the work completed with failures
// it reports.

#include <csignal>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mailshake::cli {

// mailshake's version, written into every result.
inline constexpr char kMailshakeVersion[] = "0.1.0";

// A subcommand: its name, one line for `mailshake --help`, and its entry
// point, which receives the words after the subcommand's name and returns
// the process's exit status.
struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& argv);
};

// RegisterSubcommand adds |sub| to the table main.cc dispatches on; it
// returns true so that it can initialize a file-scope constant.
bool RegisterSubcommand(Subcommand sub);

// Subcommands returns every registered subcommand, sorted by name.
std::vector<Subcommand> Subcommands();

#define MAILSHAKE_SUBCOMMAND_CONCAT_(a, b) a##b
#define MAILSHAKE_SUBCOMMAND_NAME_(line) MAILSHAKE_SUBCOMMAND_CONCAT_(kRegistered, line)
#define MAILSHAKE_SUBCOMMAND(name, summary, run)                            \
  [[maybe_unused]] static const bool MAILSHAKE_SUBCOMMAND_NAME_(__LINE__) = \
      ::mailshake::cli::RegisterSubcommand({name, summary, run})

// Blocks SIGINT and SIGTERM in the calling thread (call before starting
// threads, which inherit the mask) so that |WaitForStopSignal| receives them.
void BlockStopSignals();

// Waits up to |timeout| for SIGINT or SIGTERM. Returns the signal number, or
// 0 on timeout.
int WaitForStopSignal(absl::Duration timeout);

// Prints "mailshake SUBCOMMAND: MESSAGE" to stderr and returns exit code 2,
// for bad flags and arguments found after parsing.
int UsageError(absl::string_view subcommand, absl::string_view message);

}  // namespace mailshake::cli

#endif  // MAILSHAKE_SRC_CLI_CLI_H_
