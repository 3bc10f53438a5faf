// EngineTrialRunner against the real embedded server: where its threads run.

#include <set>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/lab/matrix.h"
#include "src/lab/placement.h"

namespace mailshake {
namespace lab {
namespace {

// What the trial's own threads say while it runs, read from the poll
// callback (the caller's thread).
struct Seen {
  std::set<int> client, server;
  int polls = 0;
};

absl::StatusOr<report::Scenario> RunOneTrial(const Placement& placement, Seen* seen) {
  engine::RunSpec base;
  base.target.host = "127.0.0.1";
  base.target.address = *net::SocketAddress::Parse("127.0.0.1:0");
  base.threads = ThreadsFor(0, placement.client);
  base.concurrency = 4;
  base.tls.verify = tls::ClientConfig::Verify::kNone;
  Timing timing;
  timing.trials = 1;
  timing.trial_duration = absl::Milliseconds(400);
  timing.warmup = absl::ZeroDuration();
  PlannedScenario scenario;
  scenario.name = "placement";
  scenario.server_key = tls::KeyType::kEcdsaP256;
  Plan plan;
  plan.scenarios.push_back(scenario);
  absl::StatusOr<std::unique_ptr<EngineTrialRunner>> runner = EngineTrialRunner::Create(
      base, timing, EngineTrialRunner::Embedded{ThreadsFor(0, placement.server)}, plan,
      placement);
  if (!runner.ok()) return runner.status();
  RunControl control;
  control.poll = [seen](absl::Duration wait) {
    absl::SleepFor(wait);
    ++seen->polls;
    int threads = 0;
    if (absl::StatusOr<CpuList> c = ThreadCpus(kClientThreadPrefix, &threads); c.ok()) {
      seen->client.insert(c->begin(), c->end());
    }
    if (absl::StatusOr<CpuList> s = ThreadCpus(kServerThreadPrefix, &threads); s.ok()) {
      seen->server.insert(s->begin(), s->end());
    }
    return 0;
  };
  return (*runner)->RunTrial(scenario, control);
}

TEST(EngineTrialRunnerTest, ClientAndServerThreadsRunOnTheirOwnCpus) {
  absl::StatusOr<CpuList> allowed = AllowedCpus();
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  if (allowed->size() < 2) GTEST_SKIP() << "one CPU: pinning cannot be told from not pinning";
  Placement placement;
  placement.asked = "test";
  placement.client = {allowed->back()};
  placement.server = {allowed->front()};
  Seen seen;
  absl::StatusOr<report::Scenario> trial = RunOneTrial(placement, &seen);
  ASSERT_TRUE(trial.ok()) << trial.status();
  EXPECT_GT(trial->succeeded, 0);
  ASSERT_GT(seen.polls, 0);
  EXPECT_EQ(CpuList(seen.client.begin(), seen.client.end()), placement.client);
  EXPECT_EQ(CpuList(seen.server.begin(), seen.server.end()), placement.server);
}

// The control: without placement the same threads may run anywhere, so the
// test above can tell pinned from not pinned.
TEST(EngineTrialRunnerTest, WithoutPlacementTheThreadsMayRunOnEveryAllowedCpu) {
  absl::StatusOr<CpuList> allowed = AllowedCpus();
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  Seen seen;
  absl::StatusOr<report::Scenario> trial = RunOneTrial(Placement(), &seen);
  ASSERT_TRUE(trial.ok()) << trial.status();
  EXPECT_EQ(CpuList(seen.client.begin(), seen.client.end()), *allowed);
  EXPECT_EQ(CpuList(seen.server.begin(), seen.server.end()), *allowed);
}

// Every trial records its client cost per window, and the record is one the
// reader accepts.
TEST(EngineTrialRunnerTest, TrialsRecordTheirCostPerWindow) {
  Seen seen;
  absl::StatusOr<report::Scenario> trial = RunOneTrial(Placement(), &seen);
  ASSERT_TRUE(trial.ok()) << trial.status();
  ASSERT_TRUE(trial->cpu_windows.has_value());
  const report::CpuWindows& w = *trial->cpu_windows;
  EXPECT_EQ(w.window_ns, kCpuWindowNs);
  EXPECT_GE(w.successes.size(), 4u);  // 400 ms of 100 ms windows, and the drain
  int64_t successes = 0;
  for (int64_t n : w.successes) successes += n;
  EXPECT_EQ(successes, trial->succeeded);
  EXPECT_TRUE(report::Validate(*trial).ok()) << report::Validate(*trial);
}

}  // namespace
}  // namespace lab
}  // namespace mailshake
