#include "src/stats/cpu_time.h"

#include <sys/resource.h>
#include <time.h>

namespace mailshake::stats {

int64_t ThreadCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

ThreadCpuUsage ThisThreadCpuUsage() {
  rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  ThreadCpuUsage out;
  out.user_ns = static_cast<int64_t>(ru.ru_utime.tv_sec) * 1000000000 +
                static_cast<int64_t>(ru.ru_utime.tv_usec) * 1000;
  out.system_ns = static_cast<int64_t>(ru.ru_stime.tv_sec) * 1000000000 +
                  static_cast<int64_t>(ru.ru_stime.tv_usec) * 1000;
  return out;
}

}  // namespace mailshake::stats
