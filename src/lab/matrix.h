// Running a matrix plan: one quick handshake per scenario to find what the
// target refuses, then interleaved trials (round k of every scenario before
// round k+1, in an order shuffled by the seed), with failure detection,
// interruption and progress. The result is one report::Result holding every
// scenario and trial, and the scenarios not measured.
//
//   EngineTrialRunner runner(...);           // or a fake in tests
//   MatrixRun run(plan, options, &runner);
//   report::Result result = run.Run(&control);
//   std::fputs(FormatSummary(result).c_str(), stdout);

#ifndef MAILSHAKE_SRC_LAB_MATRIX_H_
#define MAILSHAKE_SRC_LAB_MATRIX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/engine/engine.h"
#include "src/lab/placement.h"
#include "src/lab/plan.h"
#include "src/report/report.h"
#include "src/server/server.h"

namespace mailshake {
namespace lab {

// RunControl lets the caller watch and stop a matrix. Both callbacks are
// optional.
struct RunControl {
  // Called about once a second while a trial runs; returns 0 to go on, 1 to
  // stop the matrix after the current trial's in-flight sessions finish (the
  // unfinished trial is dropped), 2 to abort them at once.
  std::function<int(absl::Duration wait)> poll;
  // Called with a progress line (no newline) about once a second.
  std::function<void(const std::string& line)> progress;
  // Called with a warning (no newline) about a kept trial: one line for each
  // trial that was disturbed (lab::IsDisturbed) and, once every trial has
  // run, one for each kept trial that ran on a slowed CPU (lab::IsSlowed
  // against the run's fastest canary).
  std::function<void(const std::string& line)> warning;
};

// TrialRunner runs one scenario once: a quick probe (one handshake) or one
// timed trial. The real one is EngineTrialRunner; tests use fakes.
class TrialRunner {
 public:
  virtual ~TrialRunner() = default;
  // RunProbe returns OK if one handshake of |scenario| succeeds, and an error
  // whose message is the failure category otherwise.
  virtual absl::Status RunProbe(const PlannedScenario& scenario) = 0;
  // RunTrial runs one trial and returns it as a scenario (name, parameters
  // and trial filled in by the caller). |control.poll| may stop it; the
  // returned scenario then has |interrupted| set. An error means the trial
  // could not run at all.
  virtual absl::StatusOr<report::Scenario> RunTrial(const PlannedScenario& scenario,
                                                    const RunControl& control) = 0;
};

// MatrixOptions says how a plan runs.
struct MatrixOptions {
  Timing timing;
  uint64_t seed = 1;
  // A trial in which more than this fraction of attempts failed, or none
  // succeeded, means the target broke down: the trial is not kept, the
  // scenario is listed as target_failed and runs no more trials.
  double max_failure_fraction = 0.1;
  // After this many consecutive broken-down trials (of any scenarios) the
  // whole matrix stops: the target is gone.
  int max_consecutive_failures = 3;
};

// MatrixOutcome is what RunMatrix did.
struct MatrixOutcome {
  // The scenarios (one entry per kept trial) and not_measured entries; the
  // caller fills environment, target and spec.
  std::vector<report::Scenario> scenarios;
  std::vector<report::NotMeasured> not_measured;
  bool interrupted = false;
  bool target_failed = false;
  absl::Duration elapsed;
  // Trials run again because they ran on a slowed CPU (canary.h), and the
  // kept trials that still did once the budget was spent.
  int slowed_retries = 0;
  int slowed_trials = 0;
};

// RunMatrix probes every scenario of |plan| once, then runs
// |options.timing.trials| interleaved rounds of the supported ones through
// |runner|, reporting progress ("scenarios 3/12, trials 17/60, ETA 2m10s")
// and disturbed trials through |control|. Then, judged against the whole
// run's fastest canary (lab::IsSlowed), each trial that ran on a slowed CPU
// is run again, the least retried first, then the oldest, within the budget
// (SlowedRetryBudget, at most kMaxSlowedRetriesPerTrial times each): the
// new trial takes the old one's place if its canary is less slow, whatever
// its figures (so the choice cannot favour a result). Trials still slowed
// are warned about.
MatrixOutcome RunMatrix(const Plan& plan, const MatrixOptions& options, TrialRunner& runner,
                        const RunControl& control);

// FormatSummary returns the summary table of a matrix result: per scenario
// (trials pooled as compare pairs them, SampleSetFromResults) the number of
// trials (and of disturbed ones), the median and 95% interval over trials
// (Summarize) of handshakes per client CPU-second, handshakes per second,
// server CPU per handshake (embedded target) and the p50/p99 of the TLS
// phase, sorted by cost (client CPU per handshake, highest first), then the
// scenarios not measured with their reason.
std::string FormatSummary(const report::Result& result);

// Trials record their client cost per window of this length
// (report::CpuWindows).
inline constexpr int64_t kCpuWindowNs = 100 * 1000 * 1000;

// ScenarioFromRun turns an engine run (and the embedded server's figures for
// the same window, if any) into a result scenario with |name| and
// |parameters|: counts, CPU, phases, series, negotiated facts, peak RSS.
report::Scenario ScenarioFromRun(const engine::RunResult& run, std::string name,
                                 std::map<std::string, std::string> parameters,
                                 double target_rate,
                                 const std::optional<server::ServerStats>& server);

// PeakRssBytes returns the process's peak resident set (VmHWM), 0 if /proc
// does not say.
int64_t PeakRssBytes();

// EngineTrialRunner runs trials with the engine against |base.target|, or,
// when |embedded| is set, against a fresh embedded server per trial (its key
// is the scenario's server_key; keys are generated once). Each trial uses
// |base| with the scenario's TLS parameters, |timing.trial_duration| and
// |timing.warmup|. The engine's threads start pinned to |placement.client|
// and the server's to |placement.server| (RunPinned; empty: not pinned);
// while a trial runs, the threads' masks are read back (ThreadCpus), and a
// trial whose threads run elsewhere fails with Internal.
class EngineTrialRunner : public TrialRunner {
 public:
  struct Embedded {
    int threads = 0;  // 0: one per core
  };
  static absl::StatusOr<std::unique_ptr<EngineTrialRunner>> Create(
      const engine::RunSpec& base, const Timing& timing, std::optional<Embedded> embedded,
      const Plan& plan, const Placement& placement = Placement());
  ~EngineTrialRunner() override;

  absl::Status RunProbe(const PlannedScenario& scenario) override;
  absl::StatusOr<report::Scenario> RunTrial(const PlannedScenario& scenario,
                                            const RunControl& control) override;

 private:
  struct Impl;
  explicit EngineTrialRunner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lab
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_LAB_MATRIX_H_
