#include "src/lab/canary.h"

#include <sched.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mailshake {
namespace lab {
namespace {

using ::testing::HasSubstr;

report::CpuCanary Canary(int64_t before, int64_t after, std::string cpus = "0") {
  return report::CpuCanary{kCanaryWorkload, report::CanaryReading{cpus, before, after},
                           std::nullopt};
}

report::Scenario Trial(const report::CpuCanary& canary) {
  report::Scenario s;
  s.cpu_canary = canary;
  return s;
}

TEST(CanaryBaselineTest, KeepsTheFastestReadingPerWorkloadSideAndCpus) {
  CanaryBaseline b;
  b.Add(Canary(1'100'000, 1'050'000));
  b.Add(Canary(1'300'000, 1'000'000));
  b.Add(Canary(700'000, 700'000, "1"));
  report::CpuCanary other = Canary(500'000, 500'000);
  other.workload = "something-else/v1";
  b.Add(other);
  report::CpuCanary with_server = Canary(1'200'000, 1'200'000);
  with_server.server = report::CanaryReading{"1", 900'000, 950'000};
  b.Add(with_server);
  EXPECT_EQ(b.Fastest(kCanaryWorkload, "client", "0"), 1'000'000);
  EXPECT_EQ(b.Fastest(kCanaryWorkload, "client", "1"), 700'000);
  EXPECT_EQ(b.Fastest(kCanaryWorkload, "server", "1"), 900'000);
  EXPECT_EQ(b.Fastest("something-else/v1", "client", "0"), 500'000);
  EXPECT_FALSE(b.Fastest(kCanaryWorkload, "server", "0").has_value());
  // A reading of 0 (not measured) is not the fastest.
  b.Add(Canary(0, 0, "2"));
  EXPECT_FALSE(b.Fastest(kCanaryWorkload, "client", "2").has_value());
}

TEST(JudgeCanaryTest, ASlowerReadingThanTheRunsFastestPastTheCutIsSlowed) {
  const std::vector<report::Scenario> run = {Trial(Canary(1'000'000, 1'010'000)),
                                             Trial(Canary(1'400'000, 1'420'000)),
                                             Trial(Canary(1'050'000, 1'000'000))};
  const CanaryBaseline b = CanaryBaselineOf(run);
  EXPECT_FALSE(IsSlowed(run[0], b));
  EXPECT_FALSE(IsSlowed(run[2], b));
  const CanaryVerdict v = JudgeCanary(*run[1].cpu_canary, b);
  EXPECT_TRUE(v.slowed);
  EXPECT_NEAR(v.slower_than_fastest, 0.42, 1e-9);
  EXPECT_THAT(v.why, HasSubstr("the client's CPU 0 ran the CPU canary in 1.42 ms, 42% slower "
                               "than the run's fastest 1.00 ms"));
  // Just inside and just past the cut.
  const int64_t inside = static_cast<int64_t>(1'000'000 * (1 + kCanarySlowerThanFastest)) - 1000;
  const int64_t past = static_cast<int64_t>(1'000'000 * (1 + kCanarySlowerThanFastest)) + 1000;
  CanaryBaseline fastest;
  fastest.Add(Canary(1'000'000, 1'000'000));
  EXPECT_FALSE(JudgeCanary(Canary(inside, inside), fastest).slowed);
  EXPECT_TRUE(JudgeCanary(Canary(past, past), fastest).slowed);
  // Another CPU is judged against its own fastest, not CPU 0's.
  EXPECT_FALSE(JudgeCanary(Canary(past, past, "1"), CanaryBaselineOf({Trial(Canary(
                                                                  past, past, "1"))}))
                   .slowed);
}

TEST(JudgeCanaryTest, BeforeAndAfterThatDisagreePastTheCutAreSlowed) {
  // Against a baseline that does not hold the trial (its CPUs' fastest
  // unknown), only the disagreement can tell.
  const CanaryBaseline none;
  const int64_t apart = static_cast<int64_t>(1'000'000 * (1 + kCanaryBeforeAfterDisagree)) + 1000;
  const CanaryVerdict v = JudgeCanary(Canary(1'000'000, apart), none);
  EXPECT_TRUE(v.slowed);
  EXPECT_THAT(v.why, HasSubstr("before and"));
  EXPECT_FALSE(JudgeCanary(Canary(1'000'000, 1'000'000 + 1000), none).slowed);
  EXPECT_FALSE(JudgeCanary(Canary(apart, 1'000'000 + 1000), none).slowed);
}

TEST(JudgeCanaryTest, TheServerSideCountsToo) {
  report::CpuCanary fast = Canary(1'000'000, 1'000'000);
  fast.server = report::CanaryReading{"1", 1'000'000, 1'000'000};
  report::CpuCanary slow_server = fast;
  slow_server.server->after_ns = 1'450'000;
  const CanaryBaseline b = CanaryBaselineOf({Trial(fast), Trial(slow_server)});
  EXPECT_FALSE(JudgeCanary(fast, b).slowed);
  const CanaryVerdict v = JudgeCanary(slow_server, b);
  EXPECT_TRUE(v.slowed);
  EXPECT_THAT(v.why, HasSubstr("the server's CPU 1"));
}

TEST(JudgeCanaryTest, NothingToJudgeIsNotSlowed) {
  CanaryBaseline b;
  b.Add(Canary(1'000'000, 1'000'000));
  EXPECT_FALSE(JudgeCanary(Canary(0, 5'000'000), b).slowed);  // not measured
  EXPECT_FALSE(IsSlowed(report::Scenario(), b));               // no canary
  EXPECT_FALSE(ClientCanarySeconds(report::Scenario()).has_value());
  EXPECT_FALSE(ClientCanarySeconds(Trial(Canary(0, 1000))).has_value());
  EXPECT_DOUBLE_EQ(*ClientCanarySeconds(Trial(Canary(1'000'000, 3'000'000))), 0.002);
}

TEST(RunCanaryWorkloadTest, TakesCpuTimeOnTheCpusItIsPinnedTo) {
  const int64_t ns = RunCanaryWorkload();
  EXPECT_GT(ns, 10'000);          // it does work (not folded away)
  EXPECT_LT(ns, 2'000'000'000);  // and is short
  absl::StatusOr<CpuList> allowed = AllowedCpus();
  ASSERT_TRUE(allowed.ok());
  absl::StatusOr<int64_t> pinned = MeasureCanary({allowed->front()});
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  EXPECT_GT(*pinned, 10'000);
  EXPECT_TRUE(MeasureCanary({}).ok());
  EXPECT_FALSE(MeasureCanary({CPU_SETSIZE - 1}).ok());
}

TEST(MeasureCanarySidesTest, FillsBeforeThenAfterOnEachSidesCpus) {
  absl::StatusOr<CpuList> allowed = AllowedCpus();
  ASSERT_TRUE(allowed.ok());
  const CpuList client = {allowed->front()};
  const CpuList server = {allowed->back()};
  report::CpuCanary c;
  ASSERT_TRUE(MeasureCanarySides(client, &server, /*after=*/false, &c).ok());
  EXPECT_EQ(c.workload, kCanaryWorkload);
  EXPECT_EQ(c.client.cpus, FormatCpuList(client));
  EXPECT_GT(c.client.before_ns, 0);
  EXPECT_EQ(c.client.after_ns, 0);
  ASSERT_TRUE(c.server.has_value());
  EXPECT_EQ(c.server->cpus, FormatCpuList(server));
  EXPECT_GT(c.server->before_ns, 0);
  ASSERT_TRUE(MeasureCanarySides(client, &server, /*after=*/true, &c).ok());
  EXPECT_GT(c.client.after_ns, 0);
  EXPECT_GT(c.server->after_ns, 0);
  report::CpuCanary no_server;
  ASSERT_TRUE(MeasureCanarySides({}, nullptr, /*after=*/false, &no_server).ok());
  EXPECT_EQ(no_server.client.cpus, "");
  EXPECT_FALSE(no_server.server.has_value());
}

TEST(ServerCanaryCpusTest, OnlyAnEmbeddedServerOnCpusOfItsOwn) {
  Placement p;
  p.client = {0};
  p.server = {1};
  ASSERT_NE(ServerCanaryCpus(p, true), nullptr);
  EXPECT_EQ(*ServerCanaryCpus(p, true), CpuList({1}));
  EXPECT_EQ(ServerCanaryCpus(p, false), nullptr);  // an external target
  p.server = {0};
  EXPECT_EQ(ServerCanaryCpus(p, true), nullptr);  // the client's CPUs: one reading is enough
  p.server = {};
  EXPECT_EQ(ServerCanaryCpus(p, true), nullptr);  // not pinned
}

}  // namespace
}  // namespace lab
}  // namespace mailshake
