#include "src/lab/disturbance.h"

#include <time.h>

#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mailshake {
namespace lab {
namespace {

constexpr char kProcStat[] =
    "cpu  1000 20 300 50000 70 8 9 40 5 0\n"
    "cpu0 500 10 150 25000 35 4 4 20 0 0\n"
    "cpu1 500 10 150 25000 35 4 5 20 0 0\n"
    "intr 12345 0 0\n"
    "ctxt 999\n"
    "cpu_hint 1\n";

TEST(ParseProcStatTest, AddsTheBusyFieldsAndCountsTheCpus) {
  absl::StatusOr<ProcStatTotals> t = ParseProcStat(kProcStat);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->busy_ticks, 1000 + 20 + 300 + 8 + 9);  // not idle, iowait, guest
  EXPECT_EQ(t->steal_ticks, 40);
  EXPECT_EQ(t->cpus, 2);
}

TEST(ParseProcStatTest, RejectsWhatIsNotProcStat) {
  EXPECT_FALSE(ParseProcStat("").ok());
  EXPECT_FALSE(ParseProcStat("cpu 1 2 3\ncpu0 1 2 3 4 5 6 7 8\n").ok());
  EXPECT_FALSE(ParseProcStat("cpu 1 2 3 4 5 6 x 8\ncpu0 1 2 3 4 5 6 7 8\n").ok());
  EXPECT_FALSE(ParseProcStat("cpu 1 2 3 4 5 6 7 8\n").ok());  // no cpuN line
}

MachineReading Reading(int64_t busy, int64_t steal, int64_t self_ms, int64_t switches,
                       double at_seconds) {
  MachineReading r;
  r.ok = true;
  r.totals = {busy, steal, 2};
  r.self_cpu_ns = self_ms * 1'000'000;
  r.involuntary_switches = switches;
  r.when = absl::UnixEpoch() + absl::Seconds(at_seconds);
  return r;
}

TEST(DisturbanceBetweenTest, OtherCpuIsTheMachinesBusyTimeLessOurOwn) {
  // 4 s on 2 CPUs at 100 ticks/s: 700 busy ticks = 7 CPU-seconds, of which
  // 6.5 were ours: 0.5 s elsewhere, plus 0.1 s stolen, = 7.5% of 8.
  std::optional<report::Disturbance> d = DisturbanceBetween(
      Reading(1000, 0, 0, 5, 10), Reading(1700, 10, 6500, 105, 14), 100);
  ASSERT_TRUE(d.has_value());
  EXPECT_DOUBLE_EQ(d->seconds, 4);
  EXPECT_EQ(d->cpus, 2);
  EXPECT_NEAR(d->other_cpu_seconds, 0.5, 1e-9);
  EXPECT_NEAR(d->steal_seconds, 0.1, 1e-9);
  EXPECT_EQ(d->involuntary_switches, 100);
  EXPECT_NEAR(*report::OtherCpuShare(*d), 0.075, 1e-9);
  EXPECT_TRUE(IsDisturbed(*d));
  EXPECT_THAT(DescribeDisturbance(*d), ::testing::HasSubstr("6.2% of the machine's 2 CPUs"));
  // Our own CPU (tick rounding) above the machine's busy time is not
  // negative time elsewhere.
  d = DisturbanceBetween(Reading(1000, 0, 0, 0, 10), Reading(1700, 0, 7100, 0, 14), 100);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->other_cpu_seconds, 0);
  EXPECT_FALSE(IsDisturbed(*d));
}

TEST(DisturbanceBetweenTest, JudgesNothingWithoutTwoGoodReadingsInOrder) {
  MachineReading bad;
  EXPECT_FALSE(DisturbanceBetween(bad, Reading(1, 0, 0, 0, 1), 100).has_value());
  EXPECT_FALSE(
      DisturbanceBetween(Reading(5, 0, 0, 0, 2), Reading(1, 0, 0, 0, 1), 100).has_value());
}

TEST(DisturbanceBetweenTest, BelowTheShareIsNotDisturbed) {
  report::Disturbance d{10, 2, 0.9, 0, 0};  // 4.5%
  EXPECT_FALSE(IsDisturbed(d));
  d.steal_seconds = 0.2;  // 5.5%
  EXPECT_TRUE(IsDisturbed(d));
}

TEST(ReadMachineTest, ReadsThisMachineAndCountsOurOwnCpuAsOurs) {
  const MachineReading before = ReadMachine();
  ASSERT_TRUE(before.ok);
  EXPECT_GE(before.totals.cpus, 1);
  // Spin for 200 ms of this process's CPU (however long that takes on a
  // loaded machine): our own, so it must show in self_cpu_ns.
  auto process_cpu_ns = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  };
  volatile uint64_t sink = 0;
  const int64_t start = process_cpu_ns();
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (process_cpu_ns() - start < 200'000'000 && absl::Now() < give_up) sink = sink + 1;
  const MachineReading after = ReadMachine();
  std::optional<report::Disturbance> d = DisturbanceBetween(before, after);
  ASSERT_TRUE(d.has_value());
  EXPECT_GE(after.self_cpu_ns - before.self_cpu_ns, 190'000'000);
  EXPECT_GT(d->seconds, 0.19);
  EXPECT_EQ(d->cpus, before.totals.cpus);
}

}  // namespace
}  // namespace lab
}  // namespace mailshake
