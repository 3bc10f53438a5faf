#ifndef MAILSHAKE_SRC_STATS_CPU_TIME_H_
#define MAILSHAKE_SRC_STATS_CPU_TIME_H_

// CPU time of the calling thread: what every cost figure in mailshake is
// measured in (the engine's and the server's workers, the in-memory
// handshake floor, the loopback TCP floor), read the same way everywhere.

#include <cstdint>

namespace mailshake::stats {

// ThreadCpuNanos returns the calling thread's CPU time (user + system) in
// nanoseconds, from CLOCK_THREAD_CPUTIME_ID: fine-grained, for timing short
// sections.
int64_t ThreadCpuNanos();

// ThreadCpuUsage is the calling thread's CPU time split into user time (the
// program and its libraries) and system time (the kernel on its behalf),
// from getrusage(RUSAGE_THREAD), which counts in scheduler ticks: for whole
// runs, not short sections.
struct ThreadCpuUsage {
  int64_t user_ns = 0;
  int64_t system_ns = 0;
};
ThreadCpuUsage ThisThreadCpuUsage();

}  // namespace mailshake::stats

#endif  // MAILSHAKE_SRC_STATS_CPU_TIME_H_
