// Test-only helpers for //src/report: scenarios built the way the engine
// builds them, so that every invariant holds by construction.

#ifndef MAILSHAKE_SRC_REPORT_TEST_UTIL_H_
#define MAILSHAKE_SRC_REPORT_TEST_UTIL_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "src/report/report.h"

namespace mailshake {
namespace report {
namespace testing {

// The engine's phases, in its order.
const std::vector<std::string>& EnginePhaseNames();

// ScenarioRecorder records attempts into a Scenario the way the engine's
// recorder does: each attempt lands in the counts, the outcomes and the
// series; successes also in the phases and the negotiated facts; with open
// loop, every attempt's schedule lag.
class ScenarioRecorder {
 public:
  // |target_rate| 0 records closed loop (no schedule lag).
  ScenarioRecorder(std::string name, int trial, double target_rate);

  // Success records a successful attempt finishing in |second| with the
  // latency |phase_ns[i]| for phase i (one per EnginePhaseNames(); the last
  // is the total, which also goes to the series) and the negotiated |facts|
  // (category -> value).
  void Success(int64_t second, const std::vector<int64_t>& phase_ns,
               const std::map<std::string, std::string>& facts,
               int64_t lag_ns = 0);

  // Failure records a failed attempt of |category| in |second|.
  void Failure(int64_t second, absl::string_view category, int64_t lag_ns = 0);

  Scenario& scenario() { return scenario_; }

 private:
  Scenario scenario_;
};

// RandomScenario records |attempts| attempts drawn from a generator seeded
// with |seed| (about 5% failures over three categories, latencies of a few
// milliseconds with a long tail, negotiated facts over two versions and three
// groups) spread over ten Unix seconds from 1700000000, measured over 10 s,
// with CPU seconds and warm-up attempts that vary with |seed|.
Scenario RandomScenario(std::string name, int trial, double target_rate,
                        int attempts, uint64_t seed);

// SuiteTrial returns trial |trial| of the scenario "TLSv1.2 |suite|"
// (parameters version=1.2, suite=|suite|): 1000 successful handshakes in one
// second, at |per_cpu| handshakes per client CPU-second, no phases.
Scenario SuiteTrial(const std::string& suite, int trial, double per_cpu);

// SyntheticResult returns a Result with a fixed environment, target and spec
// and two random scenarios, one closed loop and one open loop with
// server-side figures, and one scenario not measured.
Result SyntheticResult();

}  // namespace testing
}  // namespace report
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_REPORT_TEST_UTIL_H_
