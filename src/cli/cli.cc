#include "src/cli/cli.h"

#include <signal.h>
#include <time.h>

#include <cstdio>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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
