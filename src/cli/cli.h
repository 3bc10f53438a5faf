#ifndef MAILSHAKE_SRC_CLI_CLI_H_
#define MAILSHAKE_SRC_CLI_CLI_H_

// Shared pieces of the subcommands. Each subcommand lives in its own file
// with its own ABSL_FLAGs and a Run function registered in main.cc.

#include <csignal>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(int, threads);
ABSL_DECLARE_FLAG(std::string, ciphers);
ABSL_DECLARE_FLAG(std::string, groups);
ABSL_DECLARE_FLAG(std::string, after_tls);
ABSL_DECLARE_FLAG(std::string, servername);
ABSL_DECLARE_FLAG(std::string, json);

namespace mailshake::cli {

// mailshake's version, written into every result.
inline constexpr char kMailshakeVersion[] = "0.1.0";

// The file that defines the flags every subcommand may take.
inline constexpr char kCommonFlagsFile[] = "src/cli/cli.cc";

// Makes a std::vector<std::string> flag repeatable: absl keeps only the last
// occurrence of a flag, so every "--NAME=V" and "--NAME V" in |args| is
// replaced by one "--NAME=V1,V2,..." (stored in |*storage|, which must outlive
// the parse). |args| keeps the order of everything else.
void CombineRepeatedFlag(absl::string_view name, std::vector<char*>* args,
                         std::string* storage);

// Blocks SIGINT and SIGTERM in the calling thread (call before starting
// threads, which inherit the mask) so that |WaitForStopSignal| receives them.
void BlockStopSignals();

// Waits up to |timeout| for SIGINT or SIGTERM. Returns the signal number, or
// 0 on timeout.
int WaitForStopSignal(absl::Duration timeout);

// Prints "mailshake SUBCOMMAND: MESSAGE" to stderr and returns exit code 2,
// for bad flags and arguments.
int UsageError(absl::string_view subcommand, absl::string_view message);

// Subcommands. |args| are the positional arguments after the flags.
int RunServe(const std::vector<std::string>& args);
int RunBench(const std::vector<std::string>& args);
int RunCert(const std::vector<std::string>& args);
int RunMerge(const std::vector<std::string>& args);

}  // namespace mailshake::cli

#endif  // MAILSHAKE_SRC_CLI_CLI_H_
