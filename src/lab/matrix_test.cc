#include "src/lab/matrix.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mailshake {
namespace lab {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A fake target: refuses scenarios named in |refused|, breaks down on the
// trials listed in |broken| (scenario name -> round), records the order.
class FakeRunner : public TrialRunner {
 public:
  std::set<std::string> refused;
  std::map<std::string, int> broken;
  std::vector<std::string> order;
  int stop_after = -1;  // interrupt the n-th trial
  std::map<std::string, int> rounds;
  std::map<std::string, int> disturbed;  // scenario name -> round
  // The client's CPU canary of the n-th trial run (none when empty; the
  // last value for every later trial); the trial's CPU grows with it.
  std::vector<int64_t> canary_ns;

  absl::Status RunProbe(const PlannedScenario& s) override {
    if (refused.count(s.name)) return absl::UnavailableError("tls_alert:handshake_failure");
    return absl::OkStatus();
  }
  absl::StatusOr<report::Scenario> RunTrial(const PlannedScenario& s,
                                            const RunControl&) override {
    const int round = rounds[s.name]++;
    order.push_back(s.name);
    report::Scenario out;
    out.name = "set by the caller";
    out.attempted = 100;
    out.measured_seconds = 1;
    out.client_cpu_seconds = 0.1;
    const bool fail = broken.count(s.name) && broken[s.name] <= round;
    out.succeeded = fail ? 0 : 100;
    out.failed = 100 - out.succeeded;
    EXPECT_TRUE(out.outcomes.Add(fail ? "connect_refused" : "ok", 100).ok());
    out.interrupted = static_cast<int>(order.size()) == stop_after;
    const bool busy = disturbed.count(s.name) && disturbed[s.name] == round;
    out.disturbance = report::Disturbance{1.2, 2, busy ? 0.6 : 0.01, 0, 7};
    if (!canary_ns.empty()) {
      const int64_t ns = canary_ns[std::min(order.size(), canary_ns.size()) - 1];
      out.cpu_canary = report::CpuCanary{"w/1", report::CanaryReading{"0", ns, ns}, std::nullopt};
      out.client_cpu_seconds = 0.1 * static_cast<double>(ns) / 1e6;
    }
    return out;
  }
};

Plan ThreeScenarios() {
  return MakePlan(*ParseAxes("1.3", "", "X25519,P-256,P-384", "", "off", "", false));
}

MatrixOptions Options(int trials) {
  MatrixOptions o;
  o.timing.trials = trials;
  o.seed = 7;
  return o;
}

TEST(RunMatrixTest, InterleavesRoundsAndKeepsEveryTrial) {
  FakeRunner runner;
  MatrixOutcome out = RunMatrix(ThreeScenarios(), Options(4), runner, RunControl());
  ASSERT_EQ(out.scenarios.size(), 12u);
  // Round k of every scenario runs before round k+1.
  for (size_t i = 0; i < runner.order.size(); ++i) {
    EXPECT_EQ(out.scenarios[i].trial, static_cast<int>(i / 3));
  }
  // The order within rounds is shuffled, not always the plan's.
  std::set<std::vector<std::string>> orders;
  for (int r = 0; r < 4; ++r) {
    orders.insert({runner.order.begin() + 3 * r, runner.order.begin() + 3 * r + 3});
  }
  EXPECT_GT(orders.size(), 1u);
  EXPECT_TRUE(out.not_measured.empty());
  EXPECT_EQ(out.scenarios[0].parameters.at("version"), "1.3");
}

TEST(RunMatrixTest, WarnsOnceForEachDisturbedTrialAndKeepsItsMeasure) {
  FakeRunner runner;
  runner.disturbed = {{"TLSv1.3 default P-256 default off", 1}};
  std::vector<std::string> warnings;
  RunControl control;
  control.warning = [&](const std::string& line) { warnings.push_back(line); };
  MatrixOutcome out = RunMatrix(ThreeScenarios(), Options(3), runner, control);
  ASSERT_EQ(out.scenarios.size(), 9u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("TLSv1.3 default P-256 default off trial 2 was disturbed"));
  EXPECT_THAT(warnings[0], HasSubstr("25.0% of the machine's 2 CPUs"));
  for (const report::Scenario& s : out.scenarios) ASSERT_TRUE(s.disturbance.has_value());
}

TEST(RunMatrixTest, RunsATrialOnASlowedCpuAgainAndKeepsTheLessSlowOne) {
  FakeRunner runner;
  // The fifth trial's CPU ran the canary 50% slower than the others.
  runner.canary_ns = {1'000'000, 1'000'000, 1'000'000, 1'000'000, 1'500'000, 1'000'000};
  std::vector<std::string> warnings, progress;
  RunControl control;
  control.warning = [&](const std::string& line) { warnings.push_back(line); };
  control.progress = [&](const std::string& line) { progress.push_back(line); };
  MatrixOptions options = Options(3);
  options.timing.slowed_retry_percent = 20;
  MatrixOutcome out = RunMatrix(ThreeScenarios(), options, runner, control);
  ASSERT_EQ(out.scenarios.size(), 9u);
  EXPECT_EQ(runner.order.size(), 10u);  // one trial run again
  EXPECT_EQ(runner.order[9], runner.order[4]);
  EXPECT_EQ(out.slowed_retries, 1);
  EXPECT_EQ(out.slowed_trials, 0);
  EXPECT_TRUE(warnings.empty());
  EXPECT_THAT(progress.back(), HasSubstr("again (it ran on a slowed CPU)"));
  // The new trial took the old one's place, trial number and all.
  EXPECT_EQ(out.scenarios[4].cpu_canary->client.before_ns, 1'000'000);
  EXPECT_EQ(out.scenarios[4].trial, 1);
  EXPECT_EQ(out.scenarios[4].name, runner.order[4]);
  for (const report::Scenario& s : out.scenarios) EXPECT_DOUBLE_EQ(s.client_cpu_seconds, 0.1);
}

TEST(RunMatrixTest, AMachineThatStaysSlowStillFinishesWithinTheBudgetAndWarns) {
  FakeRunner runner;
  runner.canary_ns = {1'000'000, 1'400'000};  // every trial after the first is slowed
  std::vector<std::string> warnings;
  RunControl control;
  control.warning = [&](const std::string& line) { warnings.push_back(line); };
  MatrixOptions options = Options(3);
  options.timing.slowed_retry_percent = 20;  // ceil(9 × 0.2) = 2 re-runs in all
  MatrixOutcome out = RunMatrix(ThreeScenarios(), options, runner, control);
  ASSERT_EQ(out.scenarios.size(), 9u);
  EXPECT_EQ(runner.order.size(), 11u);
  EXPECT_EQ(out.slowed_retries, 2);
  EXPECT_EQ(out.slowed_trials, 8);
  ASSERT_EQ(warnings.size(), 8u);
  EXPECT_THAT(warnings[0], HasSubstr("ran on a slowed CPU (run 2 times)"));
  EXPECT_THAT(warnings[0], HasSubstr("CPU 0 ran the CPU canary in 1.40 ms, 40% slower than "
                                     "the run's fastest 1.00 ms"));
  EXPECT_THAT(warnings[7], Not(HasSubstr("run 2 times")));

  // Without a budget nothing runs again; the warnings stay.
  FakeRunner again;
  again.canary_ns = runner.canary_ns;
  warnings.clear();
  options.timing.slowed_retry_percent = 0;
  out = RunMatrix(ThreeScenarios(), options, again, control);
  EXPECT_EQ(again.order.size(), 9u);
  EXPECT_EQ(out.slowed_retries, 0);
  EXPECT_EQ(out.slowed_trials, 8);
  EXPECT_EQ(warnings.size(), 8u);
}

TEST(RunMatrixTest, RefusedScenariosAreProbedOnceAndNeverRun) {
  FakeRunner runner;
  runner.refused = {"TLSv1.3 default P-256 default off"};
  MatrixOutcome out = RunMatrix(ThreeScenarios(), Options(3), runner, RunControl());
  EXPECT_EQ(out.scenarios.size(), 6u);
  EXPECT_EQ(runner.rounds.count("TLSv1.3 default P-256 default off"), 0u);
  ASSERT_EQ(out.not_measured.size(), 1u);
  EXPECT_EQ(out.not_measured[0].status, report::NotMeasured::Status::kUnsupported);
  EXPECT_EQ(out.not_measured[0].reason, "tls_alert:handshake_failure");
}

TEST(RunMatrixTest, ATargetThatBreaksDownIsReportedNotAveraged) {
  FakeRunner runner;
  runner.broken = {{"TLSv1.3 default X25519 default off", 2}};
  MatrixOutcome out = RunMatrix(ThreeScenarios(), Options(4), runner, RunControl());
  int kept = 0;
  for (const report::Scenario& s : out.scenarios) {
    EXPECT_GT(s.succeeded, 0);
    kept += s.name == "TLSv1.3 default X25519 default off";
  }
  EXPECT_EQ(kept, 2);  // rounds 0 and 1 only
  ASSERT_EQ(out.not_measured.size(), 1u);
  EXPECT_EQ(out.not_measured[0].status, report::NotMeasured::Status::kTargetFailed);
  EXPECT_THAT(out.not_measured[0].reason, HasSubstr("connect_refused"));
  EXPECT_EQ(out.not_measured[0].trials_done, 2);
}

TEST(RunMatrixTest, AllScenariosFailingStopsTheMatrix) {
  FakeRunner runner;
  for (const PlannedScenario& s : ThreeScenarios().scenarios) runner.broken[s.name] = 0;
  MatrixOptions o = Options(5);
  o.max_consecutive_failures = 2;
  MatrixOutcome out = RunMatrix(ThreeScenarios(), o, runner, RunControl());
  EXPECT_TRUE(out.target_failed);
  EXPECT_EQ(runner.order.size(), 2u);
  EXPECT_EQ(out.not_measured.size(), 3u);
}

TEST(RunMatrixTest, InterruptionKeepsFinishedTrialsAndDropsTheUnfinishedOne) {
  FakeRunner runner;
  runner.stop_after = 5;
  MatrixOutcome out = RunMatrix(ThreeScenarios(), Options(4), runner, RunControl());
  EXPECT_TRUE(out.interrupted);
  EXPECT_EQ(out.scenarios.size(), 4u);
  EXPECT_EQ(out.not_measured.size(), 3u);
  for (const report::NotMeasured& n : out.not_measured) {
    EXPECT_EQ(n.status, report::NotMeasured::Status::kInterrupted);
  }
}

TEST(RunMatrixTest, ReportsProgressWithTrialsAndEta) {
  FakeRunner runner;
  std::vector<std::string> lines;
  RunControl control;
  control.progress = [&](const std::string& line) { lines.push_back(line); };
  RunMatrix(ThreeScenarios(), Options(2), runner, control);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_THAT(lines[0], HasSubstr("scenarios 0/3, trials 0/6, ETA"));
  EXPECT_THAT(lines[5], HasSubstr("trials 5/6"));
}

TEST(ScenarioFromRunTest, CarriesBothSidesSyscallsByName) {
  engine::RunResult r;
  r.attempted = r.succeeded = 10;
  (void)r.outcomes.Add(std::string(report::kSuccessOutcome), 10);
  r.syscalls.socket = r.syscalls.connect = r.syscalls.close = 10;
  r.syscalls.recv = 40;
  r.epoll_waits = 7;
  server::ServerStats server;
  server.connections = server.handshakes = 10;
  server.closed["reset"] = 9;
  server.rejected_over_capacity = 1;
  server.syscalls.accept = 12;
  server.syscalls.recv = 30;
  server.syscalls.send = 11;
  server.syscalls.close = server.syscalls.epoll_ctl = 10;
  server.epoll_waits = 25;
  report::Scenario s = ScenarioFromRun(r, "x", {}, 0, server);
  ASSERT_TRUE(s.syscalls.has_value());
  EXPECT_EQ(s.syscalls->calls.at("socket"), 10);
  EXPECT_EQ(s.syscalls->calls.at("recv"), 40);
  EXPECT_EQ(s.syscalls->calls.count("accept4"), 0u);
  EXPECT_EQ(s.syscalls->epoll_wait, 7);
  ASSERT_TRUE(s.server.has_value() && s.server->syscalls.has_value());
  const report::ServerSyscalls& sc = *s.server->syscalls;
  EXPECT_EQ(sc.counted.calls, (std::map<std::string, int64_t>{{"accept4", 12},
                                                              {"recv", 30},
                                                              {"send", 11},
                                                              {"close", 10},
                                                              {"epoll_ctl", 10},
                                                              {"setsockopt", 0},
                                                              {"getsockopt", 0}}));
  EXPECT_EQ(sc.counted.epoll_wait, 25);
  EXPECT_EQ(sc.connections, 10);  // 9 closed + 1 rejected
  EXPECT_DOUBLE_EQ(*report::ServerSyscallsPerConnection(sc), 73.0 / 10);
}

TEST(FormatSummaryTest, SortsByCostAndListsWhatWasNotMeasured) {
  report::Result result;
  for (int t = 0; t < 3; ++t) {
    for (double cpu : {0.1, 0.3}) {
      report::Scenario s;
      s.name = cpu > 0.2 ? "expensive" : "cheap";
      s.trial = t;
      s.attempted = s.succeeded = 1000;
      s.measured_seconds = 1;
      s.client_cpu_seconds = cpu;
      result.scenarios.push_back(s);
    }
  }
  result.not_measured.push_back(
      {"refused", {}, report::NotMeasured::Status::kUnsupported, "tls_alert:x", 0});
  const std::string table = FormatSummary(result);
  EXPECT_LT(table.find("expensive"), table.find("cheap"));
  EXPECT_THAT(table, HasSubstr("3333"));
  EXPECT_THAT(table, HasSubstr("refused: unsupported, tls_alert:x"));
  EXPECT_THAT(table, ::testing::Not(HasSubstr("disturbed")));
  // Medians with their interval over the trials.
  EXPECT_THAT(table, HasSubstr("3333 [3333-3333]"));
  result.scenarios[0].disturbance = report::Disturbance{1, 2, 0.5, 0, 0};
  EXPECT_THAT(FormatSummary(result), HasSubstr("3 (1 disturbed)"));
  EXPECT_THAT(FormatSummary(result), HasSubstr("1 trial(s) disturbed"));
  // Nothing measured: the table is empty, the reasons are listed.
  result.scenarios.clear();
  EXPECT_THAT(FormatSummary(result), HasSubstr("refused: unsupported"));
}

}  // namespace
}  // namespace lab
}  // namespace mailshake
