// CPU placement of the client's and the embedded server's threads.

#include "src/lab/placement.h"

#include <dirent.h>
#include <sched.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mailshake {
namespace lab {
namespace {

absl::Status Bad(absl::string_view message) { return absl::InvalidArgumentError(message); }

bool ParseCpu(absl::string_view text, int* cpu) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return false;
  }
  return absl::SimpleAtoi(text, cpu);
}

CpuList FromMask(const cpu_set_t& mask) {
  CpuList cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &mask)) cpus.push_back(cpu);
  }
  return cpus;
}

cpu_set_t ToMask(const CpuList& cpus) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  for (int cpu : cpus) CPU_SET(cpu, &mask);
  return mask;
}

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The CPUs of |list| that are not in |allowed|.
CpuList Outside(const CpuList& list, const CpuList& allowed) {
  CpuList out;
  std::set_difference(list.begin(), list.end(), allowed.begin(), allowed.end(),
                      std::back_inserter(out));
  return out;
}

std::string CpuWord(const CpuList& cpus) { return cpus.size() == 1 ? "CPU" : "CPUs"; }

}  // namespace

absl::StatusOr<CpuList> ParseCpuList(absl::string_view text) {
  if (absl::StripAsciiWhitespace(text).empty()) return Bad("empty CPU list");
  std::set<int> cpus;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::pair<absl::string_view, absl::string_view> range =
        absl::StrSplit(part, absl::MaxSplits('-', 1));
    int first = 0, last = 0;
    const bool is_range = part.find('-') != absl::string_view::npos;
    if (!ParseCpu(range.first, &first) || (is_range && !ParseCpu(range.second, &last))) {
      return Bad(absl::StrCat("\"", part, "\" is not a CPU number or range (e.g. 0-3,6)"));
    }
    if (!is_range) last = first;
    if (last < first) return Bad(absl::StrCat("range \"", part, "\" goes down"));
    if (last >= CPU_SETSIZE) {
      return Bad(absl::StrCat("CPU ", last, " is beyond what Linux can pin (", CPU_SETSIZE - 1,
                              ")"));
    }
    for (int cpu = first; cpu <= last; ++cpu) {
      if (!cpus.insert(cpu).second) return Bad(absl::StrCat("CPU ", cpu, " is listed twice"));
    }
  }
  return CpuList(cpus.begin(), cpus.end());
}

std::string FormatCpuList(const CpuList& cpus) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    parts.push_back(j == i ? absl::StrCat(cpus[i]) : absl::StrCat(cpus[i], "-", cpus[j]));
    i = j + 1;
  }
  return absl::StrJoin(parts, ",");
}

absl::StatusOr<CpuList> AllowedCpus() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) != 0) {
    return absl::InternalError(absl::StrCat("sched_getaffinity: ", std::strerror(errno)));
  }
  return FromMask(mask);
}

std::vector<CpuList> CpuCores(const CpuList& allowed) {
  std::vector<CpuList> cores;
  std::set<int> placed;
  for (int cpu : allowed) {
    if (placed.count(cpu)) continue;
    CpuList core = {cpu};
    absl::StatusOr<CpuList> siblings = ParseCpuList(absl::StripAsciiWhitespace(ReadSmallFile(
        absl::StrCat("/sys/devices/system/cpu/cpu", cpu, "/topology/thread_siblings_list"))));
    if (siblings.ok()) {
      core.clear();
      std::set_intersection(siblings->begin(), siblings->end(), allowed.begin(), allowed.end(),
                            std::back_inserter(core));
      if (std::find(core.begin(), core.end(), cpu) == core.end()) core = {cpu};
    }
    for (int c : core) placed.insert(c);
    cores.push_back(std::move(core));
  }
  return cores;
}

absl::Status CheckAffinityValue(absl::string_view value) {
  if (value == "auto" || value == "off") return absl::OkStatus();
  std::vector<absl::string_view> sides = absl::StrSplit(value, ':');
  if (sides.size() > 2) return Bad("expected auto, off, CLIENT or CLIENT:SERVER");
  for (absl::string_view side : sides) {
    if (absl::StatusOr<CpuList> list = ParseCpuList(side); !list.ok()) return list.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<Placement> ResolvePlacement(absl::string_view value, const CpuList& allowed,
                                           const std::vector<CpuList>& cores,
                                           bool embedded_server) {
  if (absl::Status s = CheckAffinityValue(value); !s.ok()) return s;
  Placement p;
  p.asked = std::string(value);
  if (value == "off") return p;
  if (value == "auto") {
    if (!embedded_server) {
      p.note = "an external target: nothing to keep apart (pin the client with --affinity LIST)";
      return p;
    }
    if (allowed.size() < 2) {
      p.note = absl::StrCat("this process may use only CPU ", FormatCpuList(allowed),
                            ": client and server share it");
      return p;
    }
    if (cores.size() >= 2) {
      const size_t client_cores = (cores.size() + 1) / 2;
      for (size_t i = 0; i < cores.size(); ++i) {
        CpuList& side = i < client_cores ? p.client : p.server;
        side.insert(side.end(), cores[i].begin(), cores[i].end());
      }
      std::sort(p.client.begin(), p.client.end());
      std::sort(p.server.begin(), p.server.end());
    } else {
      const size_t client_cpus = (allowed.size() + 1) / 2;
      p.client.assign(allowed.begin(), allowed.begin() + client_cpus);
      p.server.assign(allowed.begin() + client_cpus, allowed.end());
      p.note = "one core: client and server on hyperthreads of it";
    }
    return p;
  }
  std::vector<absl::string_view> sides = absl::StrSplit(value, ':');
  if (sides.size() == 2 && !embedded_server) {
    return Bad(absl::StrCat("\"", value,
                            "\" places a server, but the target is external (give the client's "
                            "CPUs only)"));
  }
  for (size_t i = 0; i < sides.size(); ++i) {
    CpuList list = *ParseCpuList(sides[i]);
    CpuList outside = Outside(list, allowed);
    if (!outside.empty()) {
      return Bad(absl::StrCat(CpuWord(outside), " ", FormatCpuList(outside),
                              outside.size() == 1 ? " is" : " are",
                              " not among the CPUs this process may use (",
                              FormatCpuList(allowed), ")"));
    }
    (i == 0 ? p.client : p.server) = std::move(list);
  }
  return p;
}

absl::StatusOr<Placement> PlacementForThisProcess(absl::string_view value,
                                                  bool embedded_server) {
  absl::StatusOr<CpuList> allowed = AllowedCpus();
  if (!allowed.ok()) return allowed.status();
  return ResolvePlacement(value, *allowed, CpuCores(*allowed), embedded_server);
}

int ThreadsFor(int asked, const CpuList& cpus) {
  if (asked != 0) return asked;
  if (!cpus.empty()) return static_cast<int>(cpus.size());
  absl::StatusOr<CpuList> allowed = AllowedCpus();
  if (allowed.ok() && !allowed->empty()) return static_cast<int>(allowed->size());
  return std::max(1u, std::thread::hardware_concurrency());
}

std::map<std::string, std::string> PlacementSpec(const Placement& placement) {
  return {{"affinity", placement.asked},
          {"cpus_client", FormatCpuList(placement.client)},
          {"cpus_server", FormatCpuList(placement.server)}};
}

absl::Status RunPinned(const CpuList& cpus, absl::FunctionRef<void()> start) {
  if (cpus.empty()) {
    start();
    return absl::OkStatus();
  }
  cpu_set_t previous;
  CPU_ZERO(&previous);
  if (sched_getaffinity(0, sizeof(previous), &previous) != 0) {
    return absl::InternalError(absl::StrCat("sched_getaffinity: ", std::strerror(errno)));
  }
  const cpu_set_t wanted = ToMask(cpus);
  if (sched_setaffinity(0, sizeof(wanted), &wanted) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot pin to ", CpuWord(cpus), " ",
                                                   FormatCpuList(cpus), ": ",
                                                   std::strerror(errno)));
  }
  cpu_set_t got;
  CPU_ZERO(&got);
  const bool read = sched_getaffinity(0, sizeof(got), &got) == 0;
  if (!read || !CPU_EQUAL(&got, &wanted)) {
    sched_setaffinity(0, sizeof(previous), &previous);
    return absl::InternalError(absl::StrCat("pinned to ", FormatCpuList(cpus),
                                            " but the kernel reports ",
                                            read ? FormatCpuList(FromMask(got)) : "nothing"));
  }
  start();
  sched_setaffinity(0, sizeof(previous), &previous);
  return absl::OkStatus();
}

absl::StatusOr<CpuList> ThreadCpus(absl::string_view prefix, int* threads) {
  *threads = 0;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) {
    return absl::InternalError(absl::StrCat("/proc/self/task: ", std::strerror(errno)));
  }
  cpu_set_t all;
  CPU_ZERO(&all);
  while (dirent* entry = readdir(dir)) {
    pid_t tid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &tid) || tid <= 0) continue;
    const std::string comm = std::string(absl::StripTrailingAsciiWhitespace(
        ReadSmallFile(absl::StrCat("/proc/self/task/", tid, "/comm"))));
    if (!absl::StartsWith(comm, prefix)) continue;
    cpu_set_t mask;
    CPU_ZERO(&mask);
    if (sched_getaffinity(tid, sizeof(mask), &mask) != 0) continue;  // it just ended
    CPU_OR(&all, &all, &mask);
    ++*threads;
  }
  closedir(dir);
  if (*threads == 0) {
    return absl::NotFoundError(absl::StrCat("no thread named ", prefix, "*"));
  }
  return FromMask(all);
}

std::string DescribePlacement(const Placement& p) {
  if (!p.pinned()) {
    return absl::StrCat("not pinned (", p.asked, p.note.empty() ? "" : ": ", p.note, ")");
  }
  std::string out;
  if (!p.client.empty()) {
    out = absl::StrCat("client on ", CpuWord(p.client), " ", FormatCpuList(p.client));
  } else {
    out = "client not pinned";
  }
  if (!p.server.empty()) {
    absl::StrAppend(&out, ", embedded server on ", CpuWord(p.server), " ",
                    FormatCpuList(p.server));
  }
  if (!p.note.empty()) absl::StrAppend(&out, " (", p.note, ")");
  return out;
}

}  // namespace lab
}  // namespace mailshake
