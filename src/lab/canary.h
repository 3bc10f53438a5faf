// A per-trial CPU speed canary: how fast each side's CPUs were just before
// and just after a trial, kept in the trial as report::CpuCanary and judged
// by one rule that bench, matrix and compare share (as disturbance.h is).
//
// Why: the virtual CPUs of a shared host change speed on their own. On the
// 2-core development VM each vCPU ran about 40% slower for several seconds
// at a time, independently (host contention or frequency; no steal, no
// other process in the guest): handshakes per client CPU-second was
// bimodal, ~3,300 or ~2,100, with states lasting over several 4 s trials,
// and the 95% interval over 5 trials was 17% of the median where the goal
// is 2%. pyperf and Google Benchmark warn about the same thing (CPU
// frequency scaling); neither measures it per trial.
//
// What: a fixed, CPU-bound workload of the kind a handshake's cost is made
// of (64×64→128-bit multiplies and carries: field multiplications modulo
// 2^255-19 in radix 2^51, a dependent chain), timed in thread CPU time on
// each pinned CPU set. It is the project's own code, not BoringSSL's, on
// purpose: a canary that ran the code under test would slow down with a
// slower BoringSSL build, and any use of it (normalising, rejecting trials)
// would then cancel or hide the very regression compare exists to find. It
// measures the CPU, not the code. A compiler change could still move it;
// that moves every reading of a run alike and the rule below is relative
// to the run.
//
//   absl::StatusOr<int64_t> ns = MeasureCanary(placement.client);
//   ...
//   CanaryBaseline fastest;  for (trial) fastest.Add(*trial.cpu_canary);
//   CanaryVerdict v = JudgeCanary(*trial.cpu_canary, fastest);
//   if (v.slowed) warn(v.why);

#ifndef MAILSHAKE_SRC_LAB_CANARY_H_
#define MAILSHAKE_SRC_LAB_CANARY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/lab/placement.h"
#include "src/report/report.h"

namespace mailshake {
namespace lab {

// The workload and its version (report::CpuCanary::workload). Change the
// version whenever the work changes: readings of different workloads are
// never judged together.
inline constexpr char kCanaryWorkload[] = "fe25519-mul-4x18432/v1";

// A trial ran on a slowed CPU when, on either side, its slower canary
// reading took more than kCanarySlowerThanFastest longer than the fastest
// reading of that side (same workload, same CPUs) in the run, or its before
// and after readings disagree by more than kCanaryBeforeAfterDisagree (the
// CPU changed speed during the trial).
//
// Measured, not guessed (`scripts/lab-goals aa` prints the readings'
// spread against the trials' spread): see the README, "CPU speed canary".
inline constexpr double kCanarySlowerThanFastest = 0.12;
inline constexpr double kCanaryBeforeAfterDisagree = 0.12;

// RunCanaryWorkload runs the workload once on the calling thread, where it
// is, and returns the thread CPU nanoseconds it took: the fastest of its
// four equal blocks times four, so that an interrupt or a page fault in one
// block does not count as a slow CPU. About 1 ms on the development VM's
// fast state.
int64_t RunCanaryWorkload();

// MeasureCanary runs the workload pinned to |cpus| (RunPinned; where the
// calling thread may run when |cpus| is empty) and returns its time.
absl::StatusOr<int64_t> MeasureCanary(const CpuList& cpus);

// CanaryBaseline is the fastest canary reading of each side (per workload
// and CPU list) over the trials of one run.
class CanaryBaseline {
 public:
  void Add(const report::CpuCanary& canary);
  // The fastest reading of |side| ("client", "server") of |workload| on
  // |cpus|, or nullopt when none was added.
  std::optional<int64_t> Fastest(const std::string& workload, const std::string& side,
                                 const std::string& cpus) const;

 private:
  void AddReading(const std::string& workload, const std::string& side,
                  const report::CanaryReading& reading);
  std::map<std::string, int64_t> fastest_;
};

// CanaryBaselineOf adds the canaries of |trials| (those that have one).
CanaryBaseline CanaryBaselineOf(const std::vector<report::Scenario>& trials);

// CanaryVerdict is the rule applied to one trial.
struct CanaryVerdict {
  bool slowed = false;
  // The largest of the sides' (slower reading / run's fastest - 1) and of
  // their (slower / faster reading - 1): the two figures the cuts apply to.
  double slower_than_fastest = 0;
  double before_after = 0;
  // For people, when slowed: "the client's CPU 0 ran the canary in 1.52 ms,
  // 41% slower than the run's fastest 1.08 ms".
  std::string why;
};

// JudgeCanary applies the cuts to |canary| against |baseline| (which should
// hold |canary| itself). A reading of 0 ns (not measured) is not judged.
CanaryVerdict JudgeCanary(const report::CpuCanary& canary, const CanaryBaseline& baseline);

// IsSlowed is JudgeCanary(...).slowed, false for a trial without a canary.
bool IsSlowed(const report::Scenario& trial, const CanaryBaseline& baseline);

// ClientCanarySeconds returns the mean of the client side's before and after
// readings in seconds, nullopt without a canary or with a 0 reading. The
// speed-normalised handshakes per client CPU-second of a trial is its
// handshakes per client CPU-second × this / 1 ms (kCanaryReferenceSeconds):
// what the trial would have done on a CPU that runs the canary in 1 ms.
std::optional<double> ClientCanarySeconds(const report::Scenario& trial);
inline constexpr double kCanaryReferenceSeconds = 1e-3;

}  // namespace lab
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_LAB_CANARY_H_
