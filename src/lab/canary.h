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
// What the statistics do with it (decided from the loaded-machine run
// above, 7 interleaved pairs of A/A runs of 5 x 3 s): the raw figures stay
// the headline and the gate. Trials on a slowed CPU are marked (bench and
// matrix warn, compare and the summary count them) and compare lists two
// sides whose canaries differ significantly past the cut, since a change
// of CPU figures that size may be the machine's. Re-running slowed trials
// (--slowed-retries, after the last round, bounded) did not narrow the
// interval there (median CI half-width 17.7% with a 20% budget against
// 10.7% without), nor did the speed-normalised figure (12.5%: the canary
// moves about half as much as the handshake), so re-running is off by
// default and the normalised figure (compare's hs_per_cpu_norm) is shown,
// never gated. Dropping slowed trials gave 4.9%, but left 2 of 5 trials in
// most runs: too few for an interval, so it is not done.
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
// Where the cuts sit, and why (figures from the 2-core VM while other
// builds loaded it, load average 6.5-8.4; `scripts/lab-goals aa
// sensitivity` prints them again on any machine):
//  - the canary's own noise is small when the CPU's speed holds: 20
//    back-to-back readings on one CPU spread 0.4-0.8% at one moment; but
//    under that load the speed also changes within milliseconds (200
//    readings per CPU a minute later: median 12-15%, p90 27-35% above the
//    fastest), so on a loaded machine one reading samples a moving target;
//  - the CPU's slow state moves it far less than it moves a handshake:
//    over 21 runs, run medians of the client canary spread 0.914-1.132 ms
//    (+24%) while handshakes per client CPU-second spread 3,142-1,995
//    (-36%, the slow/fast ratio the idle VM shows too); across the 105
//    trials the canary correlated with hs per client CPU-second at -0.74,
//    the server's canary with server CPU per handshake at +0.78;
//  - so the idle VM's ~40% handshake slowdown should move the canary by
//    about 20%, and 12% lies between that and the canary's noise.
// With equal cuts the before/after rule adds nothing when the baseline
// holds the trial (the slower reading is then at least as far from the
// run's fastest as from the faster reading); it decides alone for a
// single run (bench without --trials), which has no run to compare with.
// Under load the cut marks most trials (client readings were a median 9.7%
// and a p90 26% behind their run's fastest): a loaded machine's CPUs do
// change speed, and the marks say so.
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

// MeasureCanarySides runs the workload on |client| and, when |server| is
// not null (an embedded server pinned to CPUs of its own), on |*server|,
// and stores the times in the before (or, with |after|, the after) fields
// of |*canary|, with the workload's name and the CPU lists.
absl::Status MeasureCanarySides(const CpuList& client, const CpuList* server, bool after,
                                report::CpuCanary* canary);

// ServerCanaryCpus returns the CPUs to run the server's canary on: the
// embedded server's own (|placement.server|, when it has CPUs apart from
// the client's), or null (no server canary) otherwise.
const CpuList* ServerCanaryCpus(const Placement& placement, bool embedded_server);

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
