#include "src/stats/cpu_time.h"

#include <thread>

#include "gtest/gtest.h"

namespace mailshake::stats {
namespace {

// Burns CPU until the thread clock has advanced by |ns|.
void Spin(int64_t ns) {
  const int64_t start = ThreadCpuNanos();
  volatile uint64_t x = 0;
  while (ThreadCpuNanos() - start < ns) x = x + 1;
}

TEST(CpuTimeTest, ThreadClockAdvancesWithWorkAndNotWithSleep) {
  int64_t a = ThreadCpuNanos();
  Spin(20'000'000);
  int64_t b = ThreadCpuNanos();
  EXPECT_GE(b - a, 20'000'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_LT(ThreadCpuNanos() - b, 40'000'000);
}

TEST(CpuTimeTest, UsageIsPerThreadAndMostlyUser) {
  ThreadCpuUsage before = ThisThreadCpuUsage();
  Spin(100'000'000);
  ThreadCpuUsage after = ThisThreadCpuUsage();
  EXPECT_GT(after.user_ns, before.user_ns);
  int64_t other_thread_user = 0;
  std::thread t([&] { other_thread_user = ThisThreadCpuUsage().user_ns; });
  t.join();
  EXPECT_LT(other_thread_user, after.user_ns);
}

}  // namespace
}  // namespace mailshake::stats
