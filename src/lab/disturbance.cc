// Reading the machine's load around a trial.

#include "src/lab/disturbance.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace mailshake {
namespace lab {

absl::StatusOr<ProcStatTotals> ParseProcStat(absl::string_view text) {
  ProcStatTotals totals;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (fields.empty()) continue;
    if (fields[0] == "cpu") {
      // cpu user nice system idle iowait irq softirq steal [guest guest_nice]
      if (fields.size() < 9) break;
      int64_t v[8];
      for (int i = 0; i < 8; ++i) {
        if (!absl::SimpleAtoi(fields[i + 1], &v[i]) || v[i] < 0) {
          return absl::InvalidArgumentError(
              absl::StrFormat("/proc/stat: field %d of the cpu line is not a count", i + 1));
        }
      }
      totals.busy_ticks = v[0] + v[1] + v[2] + v[5] + v[6];
      totals.steal_ticks = v[7];
      found = true;
    } else if (absl::StartsWith(fields[0], "cpu") && fields[0].size() > 3 &&
               absl::ascii_isdigit(static_cast<unsigned char>(fields[0][3]))) {
      ++totals.cpus;
    }
  }
  if (!found || totals.cpus == 0) {
    return absl::InvalidArgumentError("/proc/stat: no well-formed cpu lines");
  }
  return totals;
}

MachineReading ReadMachine() {
  MachineReading r;
  r.when = absl::Now();
  std::ifstream in("/proc/stat");
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<ProcStatTotals> totals = ParseProcStat(text.str());
  struct rusage usage {};
  if (!totals.ok() || getrusage(RUSAGE_SELF, &usage) != 0) return r;
  r.ok = true;
  r.totals = *totals;
  auto ns = [](const timeval& tv) {
    return static_cast<int64_t>(tv.tv_sec) * 1'000'000'000 + static_cast<int64_t>(tv.tv_usec) * 1000;
  };
  r.self_cpu_ns = ns(usage.ru_utime) + ns(usage.ru_stime);
  r.involuntary_switches = usage.ru_nivcsw;
  return r;
}

std::optional<report::Disturbance> DisturbanceBetween(const MachineReading& before,
                                                      const MachineReading& after,
                                                      int64_t ticks_per_second) {
  if (!before.ok || !after.ok || ticks_per_second <= 0 || after.when < before.when ||
      after.totals.busy_ticks < before.totals.busy_ticks ||
      after.totals.steal_ticks < before.totals.steal_ticks) {
    return std::nullopt;
  }
  const double hz = static_cast<double>(ticks_per_second);
  report::Disturbance d;
  d.seconds = absl::ToDoubleSeconds(after.when - before.when);
  d.cpus = after.totals.cpus;
  const double busy = static_cast<double>(after.totals.busy_ticks - before.totals.busy_ticks) / hz;
  const double self = static_cast<double>(after.self_cpu_ns - before.self_cpu_ns) / 1e9;
  d.other_cpu_seconds = std::max(0.0, busy - self);
  d.steal_seconds = static_cast<double>(after.totals.steal_ticks - before.totals.steal_ticks) / hz;
  d.involuntary_switches =
      std::max<int64_t>(0, after.involuntary_switches - before.involuntary_switches);
  return d;
}

std::optional<report::Disturbance> DisturbanceBetween(const MachineReading& before,
                                                      const MachineReading& after) {
  return DisturbanceBetween(before, after, sysconf(_SC_CLK_TCK));
}

bool IsDisturbed(const report::Disturbance& disturbance) {
  return report::OtherCpuShare(disturbance).value_or(0) > kDisturbedShare;
}

std::string DescribeDisturbance(const report::Disturbance& d) {
  const double capacity = d.seconds * d.cpus;
  auto share = [&](double seconds) { return capacity > 0 ? 100 * seconds / capacity : 0.0; };
  return absl::StrFormat(
      "other processes used %.1f%% of the machine's %d CPUs (steal %.1f%%); %d involuntary "
      "context switches",
      share(d.other_cpu_seconds), d.cpus, share(d.steal_seconds), d.involuntary_switches);
}

}  // namespace lab
}  // namespace mailshake
