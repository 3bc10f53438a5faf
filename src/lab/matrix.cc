// Running a matrix: probes, interleaved trials, failure detection, summary.

#include "src/lab/matrix.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "src/lab/canary.h"
#include "src/lab/compare.h"
#include "src/lab/disturbance.h"

namespace mailshake {
namespace lab {

// The engine stops recording windows where the reader stops accepting them.
static_assert(engine::kMaxCpuWindows == report::kMaxCpuWindows,
              "a trial's cpu_windows must be readable back");

int64_t PeakRssBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    int64_t kb = 0;
    if (std::sscanf(line.c_str(), "VmHWM: %" SCNd64 " kB", &kb) == 1) return kb * 1024;
  }
  return 0;
}

namespace {

// The failure category seen most in |s|, or "no handshake succeeded".
std::string MainFailure(const report::Scenario& s) {
  for (const auto& [category, count] : s.outcomes.SortedByCount()) {
    if (category != report::kSuccessOutcome) return category;
  }
  return "no handshake succeeded";
}

std::string FormatEta(absl::Duration d) {
  const int64_t s = std::max<int64_t>(0, absl::ToInt64Seconds(d));
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s / 60) % 60);
  return absl::StrFormat("%dm%02ds", s / 60, s % 60);
}

// The counts of |c| named in |names| (as the result names them: "accept4"
// for the accept field), in a result's form.
std::map<std::string, int64_t> CallsByName(const net::SyscallCounts& c,
                                            std::initializer_list<const char*> names) {
  const std::map<std::string, int64_t> all = {
      {"accept4", c.accept},       {"socket", c.socket},         {"bind", c.bind},
      {"connect", c.connect},      {"setsockopt", c.setsockopt}, {"getsockopt", c.getsockopt},
      {"recv", c.recv},            {"send", c.send},             {"close", c.close},
      {"epoll_ctl", c.epoll_ctl}};
  std::map<std::string, int64_t> out;
  for (const char* name : names) out[name] = all.at(name);
  return out;
}

}  // namespace

report::Scenario ScenarioFromRun(const engine::RunResult& r, std::string name,
                                 std::map<std::string, std::string> parameters,
                                 double target_rate,
                                 const std::optional<server::ServerStats>& server) {
  report::Scenario s;
  s.name = std::move(name);
  s.parameters = std::move(parameters);
  s.attempted = r.attempted;
  s.succeeded = r.succeeded;
  s.failed = r.failed;
  s.warmup_attempts = r.warmup_attempts;
  s.interrupted = r.interrupted;
  s.measured_seconds = absl::ToDoubleSeconds(r.measured);
  s.client_cpu_seconds = r.client_cpu_seconds;
  s.client_cpu_user_seconds = r.client_cpu_user_seconds;
  s.client_cpu_system_seconds = r.client_cpu_system_seconds;
  s.peak_rss_bytes = PeakRssBytes();
  s.target_rate = target_rate;
  s.outcomes = r.outcomes;
  s.deviations = r.deviations;
  for (int p = 0; p < engine::kPhaseCount; ++p) {
    s.phases.push_back({std::string(engine::PhaseName(p)), r.phases.phase(p)});
  }
  s.series = r.series;
  s.schedule_lag = r.schedule_lag;
  if (!r.window_cpu_ns.empty()) {
    s.cpu_windows = report::CpuWindows{absl::ToInt64Nanoseconds(r.cpu_window),
                                       r.window_successes, r.window_cpu_ns};
  }
  s.negotiated = {{"versions", r.versions},
                  {"cipher_suites", r.cipher_suites},
                  {"groups", r.groups},
                  {"signature_algorithms", r.signature_algorithms},
                  {"resumption", r.resumption},
                  {"peer_keys", r.peer_keys}};
  s.syscalls = report::Syscalls{
      CallsByName(r.syscalls, {"socket", "bind", "connect", "setsockopt", "getsockopt", "recv",
                               "send", "close", "epoll_ctl"}),
      r.epoll_waits};
  if (server.has_value()) {
    report::ServerSide side;
    side.connections = static_cast<int64_t>(server->connections);
    side.handshakes = static_cast<int64_t>(server->handshakes);
    side.resumed = static_cast<int64_t>(server->resumed);
    side.cpu_seconds = server->cpu_seconds;
    side.cpu_user_seconds = server->cpu_user_seconds;
    side.cpu_system_seconds = server->cpu_system_seconds;
    side.seconds = server->seconds;
    side.syscalls = report::ServerSyscalls{
        report::Syscalls{CallsByName(server->syscalls, {"accept4", "recv", "send", "close",
                                                        "epoll_ctl", "setsockopt", "getsockopt"}),
                         static_cast<int64_t>(server->epoll_waits)},
        static_cast<int64_t>(server->FinishedConnections())};
    s.server = side;
  }
  return s;
}

MatrixOutcome RunMatrix(const Plan& plan, const MatrixOptions& options, TrialRunner& runner,
                        const RunControl& control) {
  MatrixOutcome out;
  const absl::Time start = absl::Now();
  const size_t n = plan.scenarios.size();
  std::vector<bool> active(n, true);
  std::vector<int> done(n, 0);
  auto not_measured = [&](size_t i, report::NotMeasured::Status status, std::string reason) {
    out.not_measured.push_back({plan.scenarios[i].name, plan.scenarios[i].parameters, status,
                                std::move(reason), done[i]});
    active[i] = false;
  };
  auto stop_requested = [&]() {
    return control.poll ? control.poll(absl::ZeroDuration()) : 0;
  };

  // One quick handshake per scenario: what the target refuses is found once.
  for (size_t i = 0; i < n && !out.interrupted; ++i) {
    if (stop_requested() != 0) {
      out.interrupted = true;
      break;
    }
    absl::Status probe = runner.RunProbe(plan.scenarios[i]);
    if (!probe.ok()) {
      not_measured(i, report::NotMeasured::Status::kUnsupported, std::string(probe.message()));
    }
  }
  size_t supported = 0;
  for (size_t i = 0; i < n; ++i) supported += active[i] ? 1 : 0;
  const int trials = options.timing.trials;
  const int64_t total_trials = static_cast<int64_t>(supported) * trials;
  int64_t trials_done = 0;
  int consecutive_failures = 0;
  const absl::Duration per_trial = TrialDuration(options.timing);
  // The plan's scenario of each kept trial (parallel to out.scenarios).
  std::vector<size_t> planned_of;
  // Whether the target broke down in a trial.
  auto broke_down = [&](const report::Scenario& t) {
    return t.succeeded == 0 || static_cast<double>(t.failed) >
                                   options.max_failure_fraction * static_cast<double>(t.attempted);
  };

  for (int round = 0; round < trials && !out.interrupted && !out.target_failed; ++round) {
    for (size_t i : RoundOrder(n, round, options.seed)) {
      if (!active[i]) continue;
      const PlannedScenario& planned = plan.scenarios[i];
      if (control.progress) {
        size_t scenarios_done = 0;
        for (size_t k = 0; k < n; ++k) scenarios_done += (!active[k] || done[k] == trials);
        int64_t left = 0;
        for (size_t k = 0; k < n; ++k) left += active[k] ? trials - done[k] : 0;
        control.progress(absl::StrFormat(
            "scenarios %d/%d, trials %d/%d, ETA %s: %s trial %d", scenarios_done, n,
            trials_done, total_trials, FormatEta(left * per_trial), planned.name, round + 1));
      }
      absl::StatusOr<report::Scenario> trial = runner.RunTrial(planned, control);
      if (!trial.ok()) {
        not_measured(i, report::NotMeasured::Status::kTargetFailed,
                     std::string(trial.status().message()));
        if (++consecutive_failures >= options.max_consecutive_failures) {
          out.target_failed = true;
          break;
        }
        continue;
      }
      if (trial->interrupted) {
        out.interrupted = true;
        break;
      }
      if (broke_down(*trial)) {
        not_measured(i, report::NotMeasured::Status::kTargetFailed,
                     absl::StrFormat("%s in %d of %d attempts of trial %d", MainFailure(*trial),
                                     trial->failed, trial->attempted, round));
        if (++consecutive_failures >= options.max_consecutive_failures) {
          out.target_failed = true;
          break;
        }
        continue;
      }
      consecutive_failures = 0;
      if (control.warning && trial->disturbance.has_value() &&
          IsDisturbed(*trial->disturbance)) {
        control.warning(absl::StrFormat("%s trial %d was disturbed: %s", planned.name, round + 1,
                                        DescribeDisturbance(*trial->disturbance)));
      }
      trial->name = planned.name;
      trial->parameters = planned.parameters;
      trial->trial = round;
      out.scenarios.push_back(*std::move(trial));
      planned_of.push_back(i);
      ++done[i];
      ++trials_done;
    }
  }

  // Trials on a slowed CPU, judged against the whole run's fastest canary:
  // run again within the budget, the least slow one kept.
  int64_t budget = SlowedRetryBudget(total_trials, options.timing);
  std::vector<int> retried(out.scenarios.size(), 0);
  auto severity = [](const report::Scenario& t, const CanaryBaseline& baseline) {
    if (!t.cpu_canary.has_value()) return 0.0;
    const CanaryVerdict v = JudgeCanary(*t.cpu_canary, baseline);
    return std::max(v.slower_than_fastest, v.before_after);
  };
  while (budget > 0 && !out.interrupted && !out.target_failed) {
    const CanaryBaseline baseline = CanaryBaselineOf(out.scenarios);
    size_t j = out.scenarios.size();
    // The least retried slowed trial, oldest first: a slow spell spreads
    // the budget instead of spending it on one trial.
    for (size_t k = 0; k < out.scenarios.size(); ++k) {
      if (retried[k] < kMaxSlowedRetriesPerTrial && active[planned_of[k]] &&
          (j == out.scenarios.size() || retried[k] < retried[j]) &&
          IsSlowed(out.scenarios[k], baseline)) {
        j = k;
      }
    }
    if (j == out.scenarios.size()) break;
    --budget;
    ++retried[j];
    ++out.slowed_retries;
    const PlannedScenario& planned = plan.scenarios[planned_of[j]];
    if (control.progress) {
      control.progress(absl::StrFormat(
          "trials %d/%d, ETA %s: %s trial %d again (it ran on a slowed CPU)", trials_done,
          total_trials, FormatEta(budget * per_trial), planned.name, out.scenarios[j].trial + 1));
    }
    absl::StatusOr<report::Scenario> trial = runner.RunTrial(planned, control);
    if (!trial.ok()) continue;  // the trial that was stays
    if (trial->interrupted) {
      out.interrupted = true;
      break;
    }
    if (broke_down(*trial)) continue;
    trial->name = planned.name;
    trial->parameters = planned.parameters;
    trial->trial = out.scenarios[j].trial;
    CanaryBaseline with = baseline;
    if (trial->cpu_canary.has_value()) with.Add(*trial->cpu_canary);
    if (severity(*trial, with) < severity(out.scenarios[j], with)) {
      if (control.warning && trial->disturbance.has_value() && IsDisturbed(*trial->disturbance)) {
        control.warning(absl::StrFormat("%s trial %d (run again) was disturbed: %s",
                                        planned.name, trial->trial + 1,
                                        DescribeDisturbance(*trial->disturbance)));
      }
      out.scenarios[j] = *std::move(trial);
    }
  }
  const CanaryBaseline baseline = CanaryBaselineOf(out.scenarios);
  for (size_t k = 0; k < out.scenarios.size(); ++k) {
    const report::Scenario& t = out.scenarios[k];
    if (!t.cpu_canary.has_value()) continue;
    const CanaryVerdict v = JudgeCanary(*t.cpu_canary, baseline);
    if (!v.slowed) continue;
    ++out.slowed_trials;
    if (control.warning) {
      control.warning(absl::StrFormat("%s trial %d ran on a slowed CPU%s: %s", t.name,
                                      t.trial + 1,
                                      retried[k] > 0
                                          ? absl::StrFormat(" (run %d times)", retried[k] + 1)
                                          : "",
                                      v.why));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!active[i] || done[i] == trials) continue;
    not_measured(i,
                 out.interrupted ? report::NotMeasured::Status::kInterrupted
                                 : report::NotMeasured::Status::kTargetFailed,
                 out.interrupted ? "" : "the matrix stopped: the target kept failing");
  }
  out.elapsed = absl::Now() - start;
  return out;
}

std::string FormatSummary(const report::Result& result) {
  // The per-trial figures and their medians and intervals are compare's.
  std::vector<ScenarioSamples> rows;
  if (!result.scenarios.empty()) {
    absl::StatusOr<SampleSet> set = SampleSetFromResults("result", {result}, {"result"});
    if (set.ok()) rows = std::move(set->scenarios);
  }
  auto values = [](const ScenarioSamples& s, const char* id) {
    auto it = s.metrics.find(id);
    return it == s.metrics.end() ? std::vector<double>() : it->second;
  };
  auto median = [&](const ScenarioSamples& s) {
    return Summarize(values(s, "hs_per_cpu"), 0.95).median;
  };
  // Most expensive (fewest handshakes per client CPU-second) first.
  std::stable_sort(rows.begin(), rows.end(), [&](const ScenarioSamples& a,
                                                 const ScenarioSamples& b) {
    return median(a) < median(b);
  });
  auto cell = [&](const ScenarioSamples& s, const char* id) -> std::string {
    const SideSummary summary = Summarize(values(s, id), 0.95);
    if (summary.n == 0) return "-";
    std::string text = absl::StrFormat("%.0f", summary.median);
    if (summary.n > 1) {
      absl::StrAppend(&text, " [", absl::StrFormat("%.0f", summary.interval.lower), "-",
                      absl::StrFormat("%.0f", summary.interval.upper), "]");
    }
    return text;
  };
  int disturbed = 0, slowed = 0;
  std::vector<std::vector<std::string>> table;
  table.push_back({"scenario", "trials", "hs/client-cpu-s", "hs/s", "server µs/hs",
                   "tls p50 µs", "tls p99 µs"});
  for (const ScenarioSamples& r : rows) {
    disturbed += r.disturbed_trials;
    slowed += r.slowed_trials;
    std::vector<std::string> marks;
    if (r.disturbed_trials > 0) marks.push_back(absl::StrCat(r.disturbed_trials, " disturbed"));
    if (r.slowed_trials > 0) marks.push_back(absl::StrCat(r.slowed_trials, " slowed CPU"));
    table.push_back(
        {r.name,
         marks.empty() ? absl::StrCat(r.trials)
                       : absl::StrFormat("%d (%s)", r.trials, absl::StrJoin(marks, ", ")),
         cell(r, "hs_per_cpu"), cell(r, "hs_rate"), cell(r, "server_cpu_us"), cell(r, "p50(tls)"),
         cell(r, "p99(tls)")});
  }
  std::vector<size_t> width(table[0].size(), 0);
  auto chars = [](const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  for (const auto& row : table) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], chars(row[i]));
  }
  std::string out =
      "Medians over trials with 95% distribution-free intervals [low-high] (wider than 95% "
      "coverage cannot be reached with fewer than 6 trials); most expensive first.\n";
  for (const auto& row : table) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i], std::string(width[i] - chars(row[i]) + 2, ' '));
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  if (disturbed > 0) {
    absl::StrAppendFormat(&out,
                          "%d trial(s) disturbed: other processes or steal took more than %.0f%% "
                          "of the machine's CPU while they ran; their figures may be shifted.\n",
                          disturbed, 100 * kDisturbedShare);
  }
  if (slowed > 0) {
    absl::StrAppendFormat(&out,
                          "%d trial(s) on a slowed CPU: their CPU speed canary was more than "
                          "%.0f%% slower than the run's fastest, or changed by more than %.0f%% "
                          "during the trial; their CPU figures may be shifted.\n",
                          slowed, 100 * kCanarySlowerThanFastest,
                          100 * kCanaryBeforeAfterDisagree);
  }
  if (!result.not_measured.empty()) {
    absl::StrAppend(&out, "\nNot measured:\n");
    for (const report::NotMeasured& n : result.not_measured) {
      absl::StrAppendFormat(&out, "  %s: %s%s (%d trial(s) kept)\n", n.name,
                            report::NotMeasuredStatusName(n.status),
                            n.reason.empty() ? "" : absl::StrCat(", ", n.reason),
                            n.trials_done);
    }
  }
  return out;
}

}  // namespace lab
}  // namespace mailshake
