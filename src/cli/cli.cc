#include "src/cli/cli.h"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace mailshake::cli {
namespace {

std::vector<Subcommand>& Registry() {
  static auto* registry = new std::vector<Subcommand>();
  return *registry;
}

}  // namespace

bool RegisterSubcommand(Subcommand sub) {
  Registry().push_back(sub);
  return true;
}

std::vector<Subcommand> Subcommands() {
  std::vector<Subcommand> out = Registry();
  std::sort(out.begin(), out.end(), [](const Subcommand& a, const Subcommand& b) {
    return std::strcmp(a.name, b.name) < 0;
  });
  return out;
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
  if (timeout < absl::ZeroDuration()) timeout = absl::ZeroDuration();
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
