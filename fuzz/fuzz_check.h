// FUZZ_CHECK for harness invariants: unlike assert() it stays on in -c opt,
// and it prints the failed condition before aborting so libFuzzer saves the
// input as a crash.

#ifndef MAILSHAKE_FUZZ_FUZZ_CHECK_H_
#define MAILSHAKE_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, ...)                                         \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
                   __LINE__, #cond);                                  \
      std::fprintf(stderr, "  " __VA_ARGS__);                         \
      std::fprintf(stderr, "\n");                                     \
      std::abort();                                                   \
    }                                                                 \
  } while (0)

#endif  // MAILSHAKE_FUZZ_FUZZ_CHECK_H_
