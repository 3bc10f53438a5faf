#include <sys/utsname.h>

#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/report/report.h"
#include "src/report/test_util.h"

namespace mailshake {
namespace report {
namespace {

using ::testing::HasSubstr;

// AsJson serializes one scenario, for whole-value comparisons.
nlohmann::json AsJson(const Scenario& s) {
  Result r;
  r.scenarios.push_back(s);
  return ToJson(r)["scenarios"][0];
}

void ExpectInvalid(const Scenario& s, const std::string& part) {
  absl::Status status = Validate(s);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << part;
  EXPECT_THAT(std::string(status.message()), HasSubstr(part));
}

TEST(ValidateTest, AcceptsRecordedScenarios) {
  EXPECT_TRUE(Validate(testing::RandomScenario("a", 0, 0, 500, 7)).ok());
  EXPECT_TRUE(Validate(testing::RandomScenario("b", 3, 100, 500, 8)).ok());
  EXPECT_TRUE(Validate(testing::RandomScenario("empty", 0, 0, 0, 9)).ok());
}

TEST(ValidateTest, RejectsEachBrokenInvariantNamingTheScenario) {
  const Scenario good = testing::RandomScenario("s", 2, 50, 300, 3);
  Scenario s = good;
  s.failed += 1;
  ExpectInvalid(s, "scenario \"s\" trial 2: attempted (300) must equal");

  s = good;
  ASSERT_TRUE(s.outcomes.Add("reset", 1).ok());
  ExpectInvalid(s, "outcome counts add up to 301 but 300 attempts");

  s = good;
  s.series.RecordFailure(1'700'000'005);
  ExpectInvalid(s, "per-second series");

  s = good;
  s.phases[0].latency.Record(1000);
  ExpectInvalid(s, "phase \"connect\" holds");

  s = good;
  s.phases[1].name = "connect";
  ExpectInvalid(s, "listed twice");

  s = good;
  s.phases[2].latency =
      *stats::LatencyHistogram::Create(stats::HistogramConfig{2, 1'000'000});
  ExpectInvalid(s, "different histogram config");

  s = good;
  s.negotiated["groups"].Increment("P-521");
  ExpectInvalid(s, "negotiated \"groups\"");

  s = good;
  s.schedule_lag.Record(5);
  ExpectInvalid(s, "one value per attempt");

  s = good;
  s.target_rate = 0;
  ExpectInvalid(s, "closed loop");

  s = good;
  s.measured_seconds = -1;
  ExpectInvalid(s, "measured_seconds");

  s = good;
  s.client_cpu_seconds = std::numeric_limits<double>::infinity();
  ExpectInvalid(s, "client_cpu_seconds");

  s = good;
  s.warmup_attempts = -1;
  ExpectInvalid(s, "warmup_attempts is -1");

  s = good;
  s.server = ServerSide{10, 5, 6, 1.0};
  ExpectInvalid(s, "resumed 6 sessions");

  s = good;
  s.name.clear();
  ExpectInvalid(s, "empty name");
}

TEST(ValidateTest, RejectsUserPlusSystemCpuAboveTheTotal) {
  Scenario s = testing::RandomScenario("s", 0, 0, 100, 5);
  s.client_cpu_user_seconds = s.client_cpu_seconds;
  s.client_cpu_system_seconds = 0.1;
  ExpectInvalid(s, "client user");
  s = testing::RandomScenario("s", 0, 0, 100, 5);
  s.server = ServerSide{10, 5, 0, 1.0, 0.8, 0.3};
  ExpectInvalid(s, "server user");
}

TEST(MergeScenariosTest, EqualsRecordingEverythingIntoOne) {
  // Two load generators side by side, and one recorder that sees both.
  testing::ScenarioRecorder a("merge", 0, 100), b("merge", 0, 150),
      all("merge", 0, 250);
  for (int i = 0; i < 3000; ++i) {
    const int64_t second = 1'700'000'000 + i / 400;
    testing::ScenarioRecorder& one = (i % 3 == 0) ? a : b;
    const int64_t lag = (i * 7919) % 100'000;
    if (i % 17 == 0) {
      const char* category = i % 2 ? "timeout:tls" : "connect_refused";
      one.Failure(second, category, lag);
      all.Failure(second, category, lag);
      continue;
    }
    std::vector<int64_t> phases;
    int64_t total = 0;
    for (int p = 0; p < 6; ++p) {
      const int64_t ns = 100'000 + (int64_t{i} * 104729 * (p + 1)) % 9'000'000;
      phases.push_back(ns);
      total += ns;
    }
    phases.push_back(total);
    const std::map<std::string, std::string> facts = {
        {"versions", i % 5 ? "TLSv1.3" : "TLSv1.2"},
        {"resumption", i % 4 ? "resumed" : "full"}};
    one.Success(second, phases, facts, lag);
    all.Success(second, phases, facts, lag);
  }
  a.scenario().measured_seconds = 7.5;
  b.scenario().measured_seconds = 7.25;
  all.scenario().measured_seconds = 7.5;
  a.scenario().client_cpu_seconds = 0.5;
  b.scenario().client_cpu_seconds = 1.0;
  all.scenario().client_cpu_seconds = 1.5;
  a.scenario().warmup_attempts = 3;
  b.scenario().warmup_attempts = 4;
  all.scenario().warmup_attempts = 7;
  b.scenario().interrupted = true;
  all.scenario().interrupted = true;
  a.scenario().server = ServerSide{1000, 990, 700, 0.25};
  b.scenario().server = ServerSide{2000, 1980, 1500, 0.5};
  all.scenario().server = ServerSide{3000, 2970, 2200, 0.75};

  absl::StatusOr<Scenario> merged = MergeScenarios(a.scenario(), b.scenario());
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(AsJson(*merged), AsJson(all.scenario()));
  EXPECT_TRUE(Validate(*merged).ok());
  EXPECT_EQ(merged->phases[6].latency.ValueAtPercentile(99),
            all.scenario().phases[6].latency.ValueAtPercentile(99));

  // Merging is symmetric in everything but the order of the operands.
  absl::StatusOr<Scenario> reversed =
      MergeScenarios(b.scenario(), a.scenario());
  ASSERT_TRUE(reversed.ok());
  EXPECT_EQ(AsJson(*reversed), AsJson(all.scenario()));
}

TEST(MergeScenariosTest, MergesAcrossTheJsonForm) {
  const Scenario a = testing::RandomScenario("x", 1, 0, 800, 11);
  const Scenario b = testing::RandomScenario("x", 1, 0, 600, 12);
  Result ra, rb;
  ra.scenarios.push_back(a);
  rb.scenarios.push_back(b);
  absl::StatusOr<Result> read_a = FromJson(ToJson(ra));
  absl::StatusOr<Result> read_b = FromJson(ToJson(rb));
  ASSERT_TRUE(read_a.ok() && read_b.ok());
  absl::StatusOr<Scenario> from_files =
      MergeScenarios(read_a->scenarios[0], read_b->scenarios[0]);
  absl::StatusOr<Scenario> in_memory = MergeScenarios(a, b);
  ASSERT_TRUE(from_files.ok() && in_memory.ok());
  EXPECT_EQ(AsJson(*from_files), AsJson(*in_memory));
  EXPECT_EQ(from_files->attempted, 1400);
}

TEST(MergeScenariosTest, RefusesDifferentScenarios) {
  const Scenario a = testing::RandomScenario("x", 0, 0, 100, 1);
  Scenario b = testing::RandomScenario("x", 0, 0, 100, 2);

  Scenario c = b;
  c.name = "y";
  EXPECT_THAT(std::string(MergeScenarios(a, c).status().message()),
              HasSubstr("different scenarios"));
  c = b;
  c.trial = 1;
  EXPECT_THAT(std::string(MergeScenarios(a, c).status().message()),
              HasSubstr("different scenarios"));
  c = b;
  c.parameters["group"] = "P-256";
  EXPECT_THAT(std::string(MergeScenarios(a, c).status().message()),
              HasSubstr("parameters differ"));
  c = b;
  c.phases.pop_back();
  EXPECT_THAT(std::string(MergeScenarios(a, c).status().message()),
              HasSubstr("different phases"));
  c = testing::RandomScenario("x", 0, 10, 100, 2);
  EXPECT_THAT(std::string(MergeScenarios(a, c).status().message()),
              HasSubstr("open loop"));
  c = b;
  c.server = ServerSide{};
  EXPECT_THAT(std::string(MergeScenarios(a, c).status().message()),
              HasSubstr("server-side"));
  c = b;
  for (PhaseLatency& p : c.phases) {
    p.latency = *stats::LatencyHistogram::Create(
        stats::HistogramConfig{2, 1'000'000'000});
  }
  c.succeeded = 0;
  c.outcomes = stats::CounterMap();
  ASSERT_TRUE(c.outcomes.Add("reset", c.attempted).ok());
  c.failed = c.attempted;
  c.negotiated.clear();
  c.series = stats::TimeSeries();
  for (int64_t i = 0; i < c.attempted; ++i) c.series.RecordFailure(1);
  ASSERT_TRUE(Validate(c).ok()) << Validate(c);
  absl::Status config = MergeScenarios(a, c).status();
  EXPECT_EQ(config.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.message()), HasSubstr("phase \"connect\""));
  c = b;
  c.failed += 1;
  EXPECT_THAT(std::string(MergeScenarios(a, c).status().message()),
              HasSubstr("must equal"));
}

TEST(MergeScenariosTest, RefusesCountOverflow) {
  Scenario a = testing::RandomScenario("x", 0, 0, 0, 1);
  a.warmup_attempts = INT64_MAX;
  Scenario b = a;
  b.warmup_attempts = 1;
  absl::Status status = MergeScenarios(a, b).status();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("overflow"));
}

TEST(DerivedRatesTest, DivideByMeasuredTimeAndCpuOrAreUndefined) {
  Scenario s = testing::RandomScenario("x", 0, 0, 1000, 4);
  s.measured_seconds = 4;
  s.client_cpu_seconds = 0.5;
  EXPECT_DOUBLE_EQ(*HandshakeRate(s), s.succeeded / 4.0);
  EXPECT_DOUBLE_EQ(*AttemptRate(s), 250.0);
  EXPECT_DOUBLE_EQ(*HandshakesPerClientCpuSecond(s), s.succeeded / 0.5);
  s.measured_seconds = 0;
  s.client_cpu_seconds = 0;
  EXPECT_FALSE(HandshakeRate(s).has_value());
  EXPECT_FALSE(AttemptRate(s).has_value());
  EXPECT_FALSE(HandshakesPerClientCpuSecond(s).has_value());
}

TEST(MergeScenariosTest, KeepsTheSlowerCanaryOrNone) {
  Scenario a = testing::RandomScenario("x", 0, 0, 100, 5);
  Scenario b = testing::RandomScenario("x", 0, 0, 100, 6);
  a.cpu_canary = CpuCanary{"w/1", CanaryReading{"0", 1000, 1100}, std::nullopt};
  b.cpu_canary = CpuCanary{"w/1", CanaryReading{"1", 1500, 900}, std::nullopt};
  absl::StatusOr<Scenario> m = MergeScenarios(a, b);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(m->cpu_canary.has_value());
  EXPECT_EQ(m->cpu_canary->client.cpus, "1");
  m = MergeScenarios(b, a);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->cpu_canary->client.cpus, "1");
  b.cpu_canary->workload = "w/2";  // not comparable: dropped
  m = MergeScenarios(a, b);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->cpu_canary.has_value());
  b.cpu_canary.reset();
  m = MergeScenarios(a, b);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->cpu_canary.has_value());
}

TEST(MergeScenariosTest, AddsCpuWindowsWindowByWindowOrDropsThem) {
  Scenario a = testing::RandomScenario("x", 0, 0, 100, 5);
  Scenario b = testing::RandomScenario("x", 0, 0, 100, 6);
  a.cpu_windows = CpuWindows{1000, {3, 4}, {30, 40}};
  b.cpu_windows = CpuWindows{1000, {1, 2, 5}, {10, 20, 50}};
  absl::StatusOr<Scenario> m = MergeScenarios(a, b);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(m->cpu_windows.has_value());
  EXPECT_EQ(m->cpu_windows->successes, (std::vector<int64_t>{4, 6, 5}));
  EXPECT_EQ(m->cpu_windows->client_cpu_ns, (std::vector<int64_t>{40, 60, 50}));
  m = MergeScenarios(b, a);  // the same either way round
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->cpu_windows->successes, (std::vector<int64_t>{4, 6, 5}));
  b.cpu_windows->window_ns = 2000;  // windows that do not line up: dropped
  m = MergeScenarios(a, b);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->cpu_windows.has_value());
  b.cpu_windows.reset();
  m = MergeScenarios(a, b);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->cpu_windows.has_value());
}

TEST(MergeScenariosTest, KeepsTheMoreDisturbedSideOrNone) {
  Scenario a = testing::RandomScenario("x", 0, 0, 100, 5);
  Scenario b = testing::RandomScenario("x", 0, 0, 100, 6);
  a.disturbance = Disturbance{4, 2, 0.1, 0, 10};  // 1.25% of the machine
  b.disturbance = Disturbance{4, 4, 2.0, 0, 30};  // 12.5%
  absl::StatusOr<Scenario> m = MergeScenarios(a, b);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(m->disturbance.has_value());
  EXPECT_EQ(m->disturbance->cpus, 4);
  EXPECT_DOUBLE_EQ(*OtherCpuShare(*m->disturbance), 0.125);
  b.disturbance.reset();
  m = MergeScenarios(a, b);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->disturbance.has_value());
  EXPECT_FALSE(OtherCpuShare(Disturbance{}).has_value());
}

TEST(MergeScenariosTest, AddsServerSyscallsOrDropsThemWhenOneSideHasNone) {
  Scenario a = testing::RandomScenario("x", 0, 0, 100, 5);
  Scenario b = testing::RandomScenario("x", 0, 0, 100, 6);
  a.server = ServerSide{100, 100, 0, 0.1};
  b.server = ServerSide{50, 50, 0, 0.05};
  a.server->syscalls = ServerSyscalls{Syscalls{{{"accept4", 101}, {"recv", 300}}, 40}, 100};
  b.server->syscalls = ServerSyscalls{Syscalls{{{"accept4", 50}, {"send", 50}}, 10}, 50};
  absl::StatusOr<Scenario> m = MergeScenarios(a, b);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(m->server->syscalls.has_value());
  const ServerSyscalls& merged = *m->server->syscalls;
  EXPECT_EQ(merged.counted.calls,
            (std::map<std::string, int64_t>{{"accept4", 151}, {"recv", 300}, {"send", 50}}));
  EXPECT_EQ(merged.counted.epoll_wait, 50);
  EXPECT_EQ(merged.connections, 150);
  EXPECT_DOUBLE_EQ(*ServerSyscallsPerConnection(merged), 501.0 / 150);
  EXPECT_DOUBLE_EQ(*ServerEpollWaitsPerConnection(merged), 50.0 / 150);
  b.server->syscalls.reset();
  m = MergeScenarios(a, b);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(m->server->syscalls.has_value());
  EXPECT_FALSE(ServerSyscallsPerConnection(ServerSyscalls{}).has_value());
}

TEST(ValidateTest, RejectsNegativeServerSyscalls) {
  Scenario s = testing::RandomScenario("x", 0, 0, 100, 5);
  s.server = ServerSide{100, 100, 0, 0.1};
  s.server->syscalls = ServerSyscalls{Syscalls{{{"recv", 10}}, 1}, 100};
  EXPECT_TRUE(Validate(s).ok()) << Validate(s);
  s.server->syscalls->connections = -1;
  EXPECT_THAT(std::string(Validate(s).message()), HasSubstr("server.syscalls.connections"));
  s.server->syscalls->connections = 1;
  s.server->syscalls->counted.calls["send"] = -2;
  EXPECT_THAT(std::string(Validate(s).message()), HasSubstr("server.syscalls.calls"));
}

TEST(DetectEnvironmentTest, ReadsThisMachine) {
  const absl::Time before = absl::Now();
  const Environment env = DetectEnvironment("1.2.3", "deadbeef", 17);
  EXPECT_EQ(env.tool_version, "1.2.3");
  EXPECT_EQ(env.git_revision, "deadbeef");
  EXPECT_EQ(env.boringssl_api_version, 17);
  EXPECT_GE(env.cores, 1);
  struct utsname names;
  ASSERT_EQ(uname(&names), 0);
  EXPECT_EQ(env.kernel, names.release);
  EXPECT_EQ(env.hostname, names.nodename);
  EXPECT_GE(env.start, before);
  EXPECT_LE(env.start, absl::Now());
#if defined(__x86_64__)
  EXPECT_FALSE(env.cpu_model.empty());  // x86 Linux always has "model name".
#endif
}

}  // namespace
}  // namespace report
}  // namespace mailshake
