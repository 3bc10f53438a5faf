#include "src/lab/placement.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mailshake {
namespace lab {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

CpuList MaskOfCallingThread() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  EXPECT_EQ(pthread_getaffinity_np(pthread_self(), sizeof(mask), &mask), 0);
  CpuList cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &mask)) cpus.push_back(cpu);
  }
  return cpus;
}

TEST(ParseCpuListTest, ReadsNumbersAndRangesAsTasksetDoes) {
  EXPECT_THAT(*ParseCpuList("1"), ElementsAre(1));
  EXPECT_THAT(*ParseCpuList("0-3,6"), ElementsAre(0, 1, 2, 3, 6));
  EXPECT_THAT(*ParseCpuList("6,0-1"), ElementsAre(0, 1, 6));
  EXPECT_EQ(FormatCpuList(*ParseCpuList("6,0-3,8,9")), "0-3,6,8-9");
  EXPECT_EQ(FormatCpuList({}), "");
}

TEST(ParseCpuListTest, RefusesMalformedDescendingRepeatedAndHugeLists) {
  for (const char* bad : {"", "a", "1-", "-1", "3-1", "1,1", "0-2,2", "1,,2", "99999", "1.5",
                          "+1"}) {
    EXPECT_FALSE(ParseCpuList(bad).ok()) << bad;
  }
}

TEST(ResolvePlacementTest, AutoPutsClientAndServerOnDisjointCores) {
  absl::StatusOr<Placement> p = ResolvePlacement("auto", {0, 1}, {{0}, {1}}, true);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->client, ElementsAre(0));
  EXPECT_THAT(p->server, ElementsAre(1));
  EXPECT_EQ(DescribePlacement(*p), "client on CPU 0, embedded server on CPU 1");
}

TEST(ResolvePlacementTest, AutoKeepsHyperthreadsOfOneCoreOnOneSide) {
  // Linux numbers siblings apart: cores {0,2} and {1,3}.
  absl::StatusOr<Placement> p =
      ResolvePlacement("auto", {0, 1, 2, 3}, {{0, 2}, {1, 3}}, true);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->client, ElementsAre(0, 2));
  EXPECT_THAT(p->server, ElementsAre(1, 3));
  // Three cores: the client gets two.
  p = ResolvePlacement("auto", {0, 1, 2}, {{0}, {1}, {2}}, true);
  EXPECT_THAT(p->client, ElementsAre(0, 1));
  EXPECT_THAT(p->server, ElementsAre(2));
  // One core with two hyperthreads: split them, and say so.
  p = ResolvePlacement("auto", {4, 5}, {{4, 5}}, true);
  EXPECT_THAT(p->client, ElementsAre(4));
  EXPECT_THAT(p->server, ElementsAre(5));
  EXPECT_THAT(p->note, HasSubstr("hyperthreads"));
}

TEST(ResolvePlacementTest, AutoPinsNothingOnOneCpuOrForAnExternalTarget) {
  absl::StatusOr<Placement> p = ResolvePlacement("auto", {3}, {{3}}, true);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->pinned());
  EXPECT_THAT(DescribePlacement(*p), HasSubstr("only CPU 3"));
  p = ResolvePlacement("auto", {0, 1}, {{0}, {1}}, false);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->pinned());
  EXPECT_THAT(p->note, HasSubstr("external"));
  p = ResolvePlacement("off", {0, 1}, {{0}, {1}}, true);
  EXPECT_FALSE(p->pinned());
  EXPECT_EQ(p->asked, "off");
}

TEST(ResolvePlacementTest, ExplicitListsMustBeAllowedAndNeedAServerForTheSecond) {
  absl::StatusOr<Placement> p = ResolvePlacement("1:0", {0, 1}, {{0}, {1}}, true);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->client, ElementsAre(1));
  EXPECT_THAT(p->server, ElementsAre(0));
  p = ResolvePlacement("1", {0, 1}, {{0}, {1}}, false);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->client, ElementsAre(1));
  EXPECT_THAT(p->server, IsEmpty());

  p = ResolvePlacement("0:2-3", {0, 1}, {{0}, {1}}, true);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("CPUs 2-3 are not among the CPUs this process may use (0-1)"));
  p = ResolvePlacement("0:1", {0, 1}, {{0}, {1}}, false);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("external"));
  for (const char* bad : {"0:1:2", "x", "0:", ":1", "on"}) {
    EXPECT_FALSE(CheckAffinityValue(bad).ok()) << bad;
    EXPECT_FALSE(ResolvePlacement(bad, {0, 1}, {{0}, {1}}, true).ok()) << bad;
  }
}

TEST(CpuCoresTest, GroupsEveryAllowedCpuOnce) {
  absl::StatusOr<CpuList> allowed = AllowedCpus();
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  std::vector<int> seen;
  for (const CpuList& core : CpuCores(*allowed)) {
    ASSERT_FALSE(core.empty());
    seen.insert(seen.end(), core.begin(), core.end());
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, *allowed);
}

// The contract that matters: threads started inside RunPinned run on its
// CPUs (read back from the thread itself), and the caller gets its own mask
// back.
TEST(RunPinnedTest, ThreadsStartedInsideRunOnTheGivenCpusAndTheCallerIsRestored) {
  absl::StatusOr<CpuList> allowed = AllowedCpus();
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  if (allowed->size() < 2) GTEST_SKIP() << "one CPU: pinning cannot be told from not pinning";
  const CpuList target = {allowed->back()};
  const CpuList before = MaskOfCallingThread();

  CpuList in_thread;
  std::thread worker;
  absl::Status s = RunPinned(target, [&] {
    worker = std::thread([&] {
      pthread_setname_np(pthread_self(), "ms-pintest-0");
      in_thread = MaskOfCallingThread();
    });
  });
  ASSERT_TRUE(s.ok()) << s;
  worker.join();
  EXPECT_EQ(in_thread, target);
  EXPECT_EQ(MaskOfCallingThread(), before);
}

TEST(RunPinnedTest, RefusesCpusTheProcessMayNotUseAndRunsNothing) {
  absl::StatusOr<CpuList> allowed = AllowedCpus();
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  if (allowed->back() + 1 >= CPU_SETSIZE) GTEST_SKIP();
  // A CPU past every allowed one is offline or forbidden.
  bool ran = false;
  absl::Status s = RunPinned({CPU_SETSIZE - 1}, [&] { ran = true; });
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(ran);
  EXPECT_EQ(MaskOfCallingThread(), *allowed);
}

TEST(ThreadCpusTest, ReadsBackTheMasksOfNamedThreads) {
  absl::StatusOr<CpuList> allowed = AllowedCpus();
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  if (allowed->size() < 2) GTEST_SKIP() << "one CPU: pinning cannot be told from not pinning";
  const CpuList target = {allowed->front()};
  std::atomic<bool> named{false}, done{false};
  std::thread worker;
  ASSERT_TRUE(RunPinned(target, [&] {
                worker = std::thread([&] {
                  pthread_setname_np(pthread_self(), "ms-readback-0");
                  named = true;
                  while (!done) std::this_thread::yield();
                });
              }).ok());
  while (!named) std::this_thread::yield();
  int threads = 0;
  absl::StatusOr<CpuList> got = ThreadCpus("ms-readback-", &threads);
  done = true;
  worker.join();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(threads, 1);
  EXPECT_EQ(*got, target);
  EXPECT_FALSE(ThreadCpus("ms-nosuchthread-", &threads).ok());
  EXPECT_EQ(threads, 0);
}

}  // namespace
}  // namespace lab
}  // namespace mailshake
