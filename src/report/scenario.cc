// The result model: environment detection, derived rates, the reconciliation
// invariants and merging.

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "src/report/report.h"
#include "src/report/status_macros.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace report {
namespace {

// ReadCpuModel returns the first "model name" of /proc/cpuinfo, or "".
std::string ReadCpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  // The first processor's entry comes first; a few hundred lines at most
  // are worth reading.
  for (int i = 0; i < 1000 && std::getline(cpuinfo, line); ++i) {
    absl::string_view view(line);
    if (!absl::StartsWith(view, "model name")) continue;
    const size_t colon = view.find(':');
    if (colon == absl::string_view::npos) continue;
    return std::string(absl::StripAsciiWhitespace(view.substr(colon + 1)));
  }
  return "";
}

int CountUsableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<int>(online) : 0;
}

std::optional<double> Ratio(int64_t count, double seconds) {
  if (!(seconds > 0)) return std::nullopt;
  return static_cast<double>(count) / seconds;
}

std::string Describe(const Scenario& s) {
  return absl::StrFormat("scenario \"%s\" trial %d", s.name, s.trial);
}

// Recorded returns every value |h| was given: in range, overflow and
// negative. Each is at most 2^63-1, so the sum saturates instead of wrapping.
int64_t Recorded(const stats::LatencyHistogram& h) {
  int64_t sum = h.Count();
  if (__builtin_add_overflow(sum, h.OverflowCount(), &sum) ||
      __builtin_add_overflow(sum, h.NegativeCount(), &sum)) {
    return INT64_MAX;
  }
  return sum;
}

bool IsNonNegativeFinite(double v) { return std::isfinite(v) && v >= 0; }

absl::Status CheckNonNegative(const Scenario& s, absl::string_view field,
                              int64_t value) {
  if (value >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrFormat(
      "%s: %s is %d; it must not be negative", Describe(s), field, value));
}

absl::Status Invalid(const Scenario& s, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(Describe(s), ": ", problem));
}

absl::Status CheckSeconds(const Scenario& s, absl::string_view field,
                          double value) {
  if (IsNonNegativeFinite(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("%s: %s is %g; it must be a finite number, zero or more",
                      Describe(s), field, value));
}

absl::Status AddCount(const Scenario& s, absl::string_view field, int64_t a,
                      int64_t b, int64_t* sum) {
  if (__builtin_add_overflow(a, b, sum)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: %s would overflow a 64-bit count", Describe(s), field));
  }
  return absl::OkStatus();
}

// Checks a CPU total and its user/system split (fields |prefix|seconds,
// |prefix|user_seconds, |prefix|system_seconds): each a valid duration, and
// user plus system at most the total (a relative 1e-9 allows for rounding).
absl::Status CheckCpu(const Scenario& s, absl::string_view who, absl::string_view prefix,
                      double total, double user, double system) {
  REPORT_RETURN_IF_ERROR(CheckSeconds(s, absl::StrCat(prefix, "seconds"), total));
  REPORT_RETURN_IF_ERROR(CheckSeconds(s, absl::StrCat(prefix, "user_seconds"), user));
  REPORT_RETURN_IF_ERROR(CheckSeconds(s, absl::StrCat(prefix, "system_seconds"), system));
  if (user + system > total * (1 + 1e-9) + 1e-12) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: %s user (%g s) plus system (%g s) CPU exceeds the total (%g s)",
        Describe(s), who, user, system, total));
  }
  return absl::OkStatus();
}

// CheckSyscalls checks that every call of |calls| has a name and that every
// count is non-negative.
absl::Status CheckSyscalls(const Scenario& s, absl::string_view field, const Syscalls& calls) {
  for (const auto& [name, count] : calls.calls) {
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: %s: a system call without a name", Describe(s), field));
    }
    REPORT_RETURN_IF_ERROR(CheckNonNegative(s, absl::StrCat(field, ".calls"), count));
  }
  return CheckNonNegative(s, absl::StrCat(field, ".epoll_wait"), calls.epoll_wait);
}

absl::Status ValidateServer(const Scenario& s, const ServerSide& server) {
  REPORT_RETURN_IF_ERROR(
      CheckNonNegative(s, "server connections", server.connections));
  REPORT_RETURN_IF_ERROR(
      CheckNonNegative(s, "server handshakes", server.handshakes));
  REPORT_RETURN_IF_ERROR(CheckNonNegative(s, "server resumed", server.resumed));
  REPORT_RETURN_IF_ERROR(CheckCpu(s, "server", "server cpu_", server.cpu_seconds,
                                  server.cpu_user_seconds, server.cpu_system_seconds));
  REPORT_RETURN_IF_ERROR(CheckSeconds(s, "server seconds", server.seconds));
  if (server.syscalls.has_value()) {
    REPORT_RETURN_IF_ERROR(CheckSyscalls(s, "server.syscalls", server.syscalls->counted));
    REPORT_RETURN_IF_ERROR(
        CheckNonNegative(s, "server.syscalls.connections", server.syscalls->connections));
  }
  if (server.resumed > server.handshakes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: the server resumed %d sessions but completed only %d handshakes",
        Describe(s), server.resumed, server.handshakes));
  }
  return absl::OkStatus();
}

// MergeInto adds everything |b| counted to |*m|, which MergeScenarios has
// checked to be the same scenario. On error |*m| is partly merged.
absl::Status MergeInto(const Scenario& b, Scenario* m) {
  REPORT_RETURN_IF_ERROR(
      AddCount(*m, "attempted", m->attempted, b.attempted, &m->attempted));
  REPORT_RETURN_IF_ERROR(
      AddCount(*m, "succeeded", m->succeeded, b.succeeded, &m->succeeded));
  REPORT_RETURN_IF_ERROR(
      AddCount(*m, "failed", m->failed, b.failed, &m->failed));
  REPORT_RETURN_IF_ERROR(AddCount(*m, "warmup_attempts", m->warmup_attempts,
                                  b.warmup_attempts, &m->warmup_attempts));
  REPORT_RETURN_IF_ERROR(m->outcomes.Merge(b.outcomes));
  REPORT_RETURN_IF_ERROR(m->deviations.Merge(b.deviations));
  REPORT_RETURN_IF_ERROR(m->series.Merge(b.series));
  REPORT_RETURN_IF_ERROR(m->schedule_lag.Merge(b.schedule_lag));
  for (size_t i = 0; i < m->phases.size(); ++i) {
    const absl::Status status = m->phases[i].latency.Merge(b.phases[i].latency);
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat("phase \"", m->phases[i].name,
                                       "\": ", status.message()));
    }
  }
  for (const auto& [category, counters] : b.negotiated) {
    const absl::Status status = m->negotiated[category].Merge(counters);
    if (!status.ok()) {
      return absl::Status(
          status.code(),
          absl::StrCat("negotiated \"", category, "\": ", status.message()));
    }
  }
  if (m->server.has_value()) {
    ServerSide& s = *m->server;
    REPORT_RETURN_IF_ERROR(AddCount(*m, "server connections", s.connections,
                                    b.server->connections, &s.connections));
    REPORT_RETURN_IF_ERROR(AddCount(*m, "server handshakes", s.handshakes,
                                    b.server->handshakes, &s.handshakes));
    REPORT_RETURN_IF_ERROR(AddCount(*m, "server resumed", s.resumed,
                                    b.server->resumed, &s.resumed));
    s.cpu_seconds += b.server->cpu_seconds;
    s.cpu_user_seconds += b.server->cpu_user_seconds;
    s.cpu_system_seconds += b.server->cpu_system_seconds;
    // Side by side, like the client's measured time.
    s.seconds = std::max(s.seconds, b.server->seconds);
    // Counted for both or known for neither, like the client's.
    if (s.syscalls.has_value() && b.server->syscalls.has_value()) {
      const ServerSyscalls& from = *b.server->syscalls;
      for (const auto& [name, count] : from.counted.calls) s.syscalls->counted.calls[name] += count;
      s.syscalls->counted.epoll_wait += from.counted.epoll_wait;
      s.syscalls->connections += from.connections;
    } else {
      s.syscalls.reset();
    }
  }
  // Counted for both or known for neither.
  if (m->syscalls.has_value() && b.syscalls.has_value()) {
    for (const auto& [name, count] : b.syscalls->calls) m->syscalls->calls[name] += count;
    m->syscalls->epoll_wait += b.syscalls->epoll_wait;
  } else {
    m->syscalls.reset();
  }
  // Known for both: the more disturbed of the two (the other processes of
  // two machines do not add up to a share of either).
  if (m->disturbance.has_value() && b.disturbance.has_value()) {
    if (OtherCpuShare(*b.disturbance).value_or(0) > OtherCpuShare(*m->disturbance).value_or(0)) {
      m->disturbance = b.disturbance;
    }
  } else {
    m->disturbance.reset();
  }
  // Known for both, same workload: the slower of the two (each share ran on
  // its own CPUs; a merged trial is as suspect as its slowest share).
  if (m->cpu_canary.has_value() && b.cpu_canary.has_value() &&
      m->cpu_canary->workload == b.cpu_canary->workload) {
    auto slowest = [](const CpuCanary& c) {
      return std::max(c.client.before_ns, c.client.after_ns);
    };
    if (slowest(*b.cpu_canary) > slowest(*m->cpu_canary)) m->cpu_canary = b.cpu_canary;
  } else {
    m->cpu_canary.reset();
  }
  // Known for both, same windows: the shares ran over the same seconds, so
  // window i of one lines up with window i of the other and they add up.
  if (m->cpu_windows.has_value() && b.cpu_windows.has_value() &&
      m->cpu_windows->window_ns == b.cpu_windows->window_ns) {
    stats::AddElementwise(b.cpu_windows->successes, &m->cpu_windows->successes);
    stats::AddElementwise(b.cpu_windows->client_cpu_ns, &m->cpu_windows->client_cpu_ns);
  } else {
    m->cpu_windows.reset();
  }
  // The two ran side by side: the load lasted as long as the longer one,
  // and both loads (and both processes' CPU) add up.
  m->measured_seconds = std::max(m->measured_seconds, b.measured_seconds);
  m->client_cpu_seconds += b.client_cpu_seconds;
  m->client_cpu_user_seconds += b.client_cpu_user_seconds;
  m->client_cpu_system_seconds += b.client_cpu_system_seconds;
  // Separate processes: their memory adds up.
  m->peak_rss_bytes += b.peak_rss_bytes;
  m->target_rate += b.target_rate;
  m->interrupted = m->interrupted || b.interrupted;
  return absl::OkStatus();
}

}  // namespace

bool operator==(const Environment& a, const Environment& b) {
  return a.tool_version == b.tool_version && a.git_revision == b.git_revision &&
         a.boringssl_api_version == b.boringssl_api_version &&
         a.cpu_model == b.cpu_model && a.cores == b.cores &&
         a.kernel == b.kernel && a.hostname == b.hostname && a.start == b.start;
}

Environment DetectEnvironment(absl::string_view tool_version,
                              absl::string_view git_revision,
                              int boringssl_api_version) {
  Environment env;
  env.tool_version = std::string(tool_version);
  env.git_revision = std::string(git_revision);
  env.boringssl_api_version = boringssl_api_version;
  env.cpu_model = ReadCpuModel();
  env.cores = CountUsableCores();
  struct utsname names;
  if (uname(&names) == 0) {
    env.kernel = names.release;
    env.hostname = names.nodename;
  }
  env.start = absl::Now();
  return env;
}

std::optional<double> HandshakeRate(const Scenario& scenario) {
  return Ratio(scenario.succeeded, scenario.measured_seconds);
}

std::optional<double> AttemptRate(const Scenario& scenario) {
  return Ratio(scenario.attempted, scenario.measured_seconds);
}

std::optional<double> ServerHandshakeRate(const ServerSide& server) {
  return Ratio(server.handshakes, server.seconds);
}

std::optional<double> OtherCpuShare(const Disturbance& d) {
  if (!(d.seconds > 0) || d.cpus <= 0) return std::nullopt;
  return (d.other_cpu_seconds + d.steal_seconds) / (d.seconds * d.cpus);
}

std::optional<double> HandshakesPerClientCpuSecond(const Scenario& scenario) {
  return Ratio(scenario.succeeded, scenario.client_cpu_seconds);
}

int64_t Syscalls::Total() const {
  int64_t total = 0;
  for (const auto& [name, count] : calls) total += count;
  return total;
}

std::optional<double> SyscallsPerAttempt(const Scenario& scenario) {
  if (!scenario.syscalls.has_value() || scenario.attempted <= 0) return std::nullopt;
  return static_cast<double>(scenario.syscalls->Total()) /
         static_cast<double>(scenario.attempted);
}

std::optional<double> ServerSyscallsPerConnection(const ServerSyscalls& syscalls) {
  if (syscalls.connections <= 0) return std::nullopt;
  return static_cast<double>(syscalls.counted.Total()) / static_cast<double>(syscalls.connections);
}

std::optional<double> ServerEpollWaitsPerConnection(const ServerSyscalls& syscalls) {
  if (syscalls.connections <= 0) return std::nullopt;
  return static_cast<double>(syscalls.counted.epoll_wait) /
         static_cast<double>(syscalls.connections);
}

std::optional<double> EpollWaitsPerAttempt(const Scenario& scenario) {
  if (!scenario.syscalls.has_value() || scenario.attempted <= 0) return std::nullopt;
  return static_cast<double>(scenario.syscalls->epoll_wait) /
         static_cast<double>(scenario.attempted);
}

absl::Status Validate(const Scenario& s) {
  if (s.name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("scenario with trial %d has an empty name", s.trial));
  }
  if (s.trial < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: the trial number must not be negative", Describe(s)));
  }
  REPORT_RETURN_IF_ERROR(CheckNonNegative(s, "attempted", s.attempted));
  REPORT_RETURN_IF_ERROR(CheckNonNegative(s, "succeeded", s.succeeded));
  REPORT_RETURN_IF_ERROR(CheckNonNegative(s, "failed", s.failed));
  REPORT_RETURN_IF_ERROR(
      CheckNonNegative(s, "warmup_attempts", s.warmup_attempts));
  REPORT_RETURN_IF_ERROR(
      CheckSeconds(s, "measured_seconds", s.measured_seconds));
  REPORT_RETURN_IF_ERROR(CheckCpu(s, "client", "client_cpu_", s.client_cpu_seconds,
                                  s.client_cpu_user_seconds, s.client_cpu_system_seconds));
  REPORT_RETURN_IF_ERROR(CheckNonNegative(s, "peak_rss_bytes", s.peak_rss_bytes));
  REPORT_RETURN_IF_ERROR(CheckSeconds(s, "target_rate", s.target_rate));
  if (s.syscalls.has_value()) REPORT_RETURN_IF_ERROR(CheckSyscalls(s, "syscalls", *s.syscalls));
  if (s.disturbance.has_value()) {
    const Disturbance& d = *s.disturbance;
    REPORT_RETURN_IF_ERROR(CheckSeconds(s, "disturbance.seconds", d.seconds));
    REPORT_RETURN_IF_ERROR(CheckNonNegative(s, "disturbance.cpus", d.cpus));
    REPORT_RETURN_IF_ERROR(
        CheckSeconds(s, "disturbance.other_cpu_seconds", d.other_cpu_seconds));
    REPORT_RETURN_IF_ERROR(CheckSeconds(s, "disturbance.steal_seconds", d.steal_seconds));
    REPORT_RETURN_IF_ERROR(
        CheckNonNegative(s, "disturbance.involuntary_switches", d.involuntary_switches));
  }
  if (s.cpu_canary.has_value()) {
    const CpuCanary& c = *s.cpu_canary;
    REPORT_RETURN_IF_ERROR(CheckNonNegative(s, "cpu_canary.client.before_ns", c.client.before_ns));
    REPORT_RETURN_IF_ERROR(CheckNonNegative(s, "cpu_canary.client.after_ns", c.client.after_ns));
    if (c.server.has_value()) {
      REPORT_RETURN_IF_ERROR(
          CheckNonNegative(s, "cpu_canary.server.before_ns", c.server->before_ns));
      REPORT_RETURN_IF_ERROR(
          CheckNonNegative(s, "cpu_canary.server.after_ns", c.server->after_ns));
    }
  }

  if (s.cpu_windows.has_value()) {
    const CpuWindows& w = *s.cpu_windows;
    if (w.window_ns <= 0 || w.successes.size() != w.client_cpu_ns.size() ||
        static_cast<int64_t>(w.successes.size()) > kMaxCpuWindows) {
      return Invalid(s, absl::StrFormat(
          "cpu_windows needs a positive window_ns and successes and client_cpu_ns of one "
          "length (at most %d); it has window_ns %d and %d and %d entries",
          kMaxCpuWindows, w.window_ns, w.successes.size(), w.client_cpu_ns.size()));
    }
    int64_t successes = 0;
    for (int64_t n : w.successes) {
      if (n < 0 || __builtin_add_overflow(successes, n, &successes)) {
        return Invalid(s, "cpu_windows.successes holds a negative or overflowing count");
      }
    }
    for (int64_t n : w.client_cpu_ns) {
      if (n < 0) return Invalid(s, "cpu_windows.client_cpu_ns holds a negative time");
    }
    if (successes > s.succeeded) {
      return Invalid(s, absl::StrFormat(
          "cpu_windows.successes sum to %d, more than the %d succeeded", successes,
          s.succeeded));
    }
  }

  int64_t sum = 0;
  if (__builtin_add_overflow(s.succeeded, s.failed, &sum) ||
      sum != s.attempted) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: attempted (%d) must equal succeeded (%d) + failed (%d)",
        Describe(s), s.attempted, s.succeeded, s.failed));
  }
  if (s.outcomes.Total() != s.attempted) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: the outcome counts add up to %d but %d attempts were made",
        Describe(s), s.outcomes.Total(), s.attempted));
  }
  if (s.outcomes.Get(kSuccessOutcome) != s.succeeded) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: outcome \"%s\" counts %d but %d attempts succeeded", Describe(s),
        kSuccessOutcome, s.outcomes.Get(kSuccessOutcome), s.succeeded));
  }

  int64_t series_successes = 0;
  int64_t series_failures = 0;
  for (const auto& [second, stats] : s.series.seconds()) {
    REPORT_RETURN_IF_ERROR(AddCount(s, "the series' successes",
                                    series_successes, stats.successes,
                                    &series_successes));
    REPORT_RETURN_IF_ERROR(AddCount(s, "the series' failures", series_failures,
                                    stats.failures, &series_failures));
  }
  if (series_successes != s.succeeded || series_failures != s.failed) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: the per-second series counts %d successes and %d failures but "
        "the scenario counts %d and %d",
        Describe(s), series_successes, series_failures, s.succeeded, s.failed));
  }

  std::set<absl::string_view> phase_names;
  for (size_t i = 0; i < s.phases.size(); ++i) {
    const PhaseLatency& phase = s.phases[i];
    if (phase.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: phase %d has an empty name", Describe(s), i));
    }
    if (!phase_names.insert(phase.name).second) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: phase \"%s\" is listed twice", Describe(s), phase.name));
    }
    if (phase.latency.config() != s.phases.front().latency.config()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: phase \"%s\" has a different histogram config from phase "
          "\"%s\"",
          Describe(s), phase.name, s.phases.front().name));
    }
    if (Recorded(phase.latency) > s.succeeded) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: phase \"%s\" holds %d latencies but only %d attempts "
          "succeeded (phases time successful attempts only)",
          Describe(s), phase.name, Recorded(phase.latency), s.succeeded));
    }
  }

  for (const auto& [category, counters] : s.negotiated) {
    if (category.empty()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: a negotiated category has an empty name", Describe(s)));
    }
    if (counters.Total() > s.succeeded) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: negotiated \"%s\" counts %d handshakes but only %d attempts "
          "succeeded",
          Describe(s), category, counters.Total(), s.succeeded));
    }
  }

  const int64_t lags = Recorded(s.schedule_lag);
  if (s.target_rate > 0 && lags != s.attempted) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: open loop, so the schedule lag must hold one value per attempt, "
        "but it holds %d for %d attempts",
        Describe(s), lags, s.attempted));
  }
  if (s.target_rate == 0 && lags != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: closed loop (target_rate 0), but the schedule lag holds %d "
        "values",
        Describe(s), lags));
  }

  if (s.server.has_value()) {
    REPORT_RETURN_IF_ERROR(ValidateServer(s, *s.server));
  }
  return absl::OkStatus();
}

absl::StatusOr<Scenario> MergeScenarios(const Scenario& a, const Scenario& b) {
  REPORT_RETURN_IF_ERROR(Validate(a));
  REPORT_RETURN_IF_ERROR(Validate(b));
  const std::string what =
      absl::StrFormat("cannot merge %s into %s", Describe(b), Describe(a));
  if (a.name != b.name || a.trial != b.trial) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": they are different scenarios"));
  }
  if (a.parameters != b.parameters) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": their parameters differ"));
  }
  bool same_phases = a.phases.size() == b.phases.size();
  for (size_t i = 0; same_phases && i < a.phases.size(); ++i) {
    same_phases = a.phases[i].name == b.phases[i].name;
  }
  if (!same_phases) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": they time different phases"));
  }
  if ((a.target_rate > 0) != (b.target_rate > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": one ran open loop and the other closed loop"));
  }
  if (a.server.has_value() != b.server.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what,
        ": only one has server-side figures, which would then cover part of "
        "the load"));
  }

  Scenario m = a;
  absl::Status status = MergeInto(b, &m);
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat(what, ": ", status.message()));
  }
  return m;
}

}  // namespace report
}  // namespace mailshake
