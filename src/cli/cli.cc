#include "src/cli/cli.h"

#include <signal.h>
#include <time.h>

#include <cstdio>
#include <cstring>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

// Flags shared by several subcommands (absl flags are global, so a name can
// be defined once only).
ABSL_FLAG(int, threads, 0, "worker threads, each with its own epoll loop (0: one per core)");
ABSL_FLAG(std::string, ciphers, "",
          "TLS 1.2 cipher suites, comma-separated standard or OpenSSL names (TLS 1.3 suites "
          "are not configurable in BoringSSL and are reported as negotiated); bench offers "
          "exactly these; empty: BoringSSL's defaults");
ABSL_FLAG(std::string, groups, "",
          "key-exchange groups in preference order, e.g. X25519,P-256; empty: defaults");
ABSL_FLAG(std::string, after_tls, "",
          "what follows the handshake. serve: accept (default; run the SMTP dialogue, "
          "messages are discarded) or close. bench: quit (default), ehlo (EHLO again, then "
          "QUIT) or mail (a small message through MAIL/RCPT/DATA, then QUIT)");

ABSL_FLAG(std::string, servername, "",
          "SNI to send (default: the target's host when it is a name, none for an address)");
ABSL_FLAG(std::string, json, "",
          "write JSON to this file ('-': standard output). bench: the result "
          "(mailshake.result/v1); cert: the summary (a bare --json means standard output)");

namespace mailshake::cli {

void CombineRepeatedFlag(absl::string_view name, std::vector<char*>* args,
                         std::string* storage) {
  std::string bare = absl::StrCat("--", name);
  std::string with_eq = absl::StrCat(bare, "=");
  std::vector<std::string> values;
  std::vector<char*> kept;
  for (size_t i = 0; i < args->size(); ++i) {
    absl::string_view arg = (*args)[i];
    if (arg == "--") {  // the rest is positional
      kept.insert(kept.end(), args->begin() + i, args->end());
      break;
    }
    if (absl::StartsWith(arg, with_eq)) {
      values.emplace_back(arg.substr(with_eq.size()));
    } else if (arg == bare && i + 1 < args->size()) {
      values.emplace_back((*args)[++i]);
    } else {
      kept.push_back((*args)[i]);
    }
  }
  if (values.size() > 1) {
    *storage = absl::StrCat(with_eq, absl::StrJoin(values, ","));
    kept.insert(kept.begin() + 1, storage->data());
    *args = std::move(kept);
  }
}

void BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForStopSignal(absl::Duration timeout) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  timespec ts = absl::ToTimespec(timeout);
  int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

int UsageError(absl::string_view subcommand, absl::string_view message) {
  std::fprintf(stderr, "mailshake %s: %s\n", std::string(subcommand).c_str(),
               std::string(message).c_str());
  return 2;
}

}  // namespace mailshake::cli
