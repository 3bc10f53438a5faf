// Statistics for comparing runs (what `mailshake compare` reports): the
// median, an order-statistic confidence interval for it, the Mann-Whitney U
// test, and the Hodges-Lehmann estimate of the shift between two samples
// with its distribution-free confidence interval.
//
// Samples are typically one number per trial (handshakes per second, p99
// latency), so they are small; every function bounds its input size and
// rejects NaN and infinities with InvalidArgument.
//
// Example:
//
//   absl::StatusOr<MannWhitneyResult> test = MannWhitneyUTest(old_rates,
//                                                             new_rates);
//   absl::StatusOr<ShiftEstimate> shift = HodgesLehmannShift(old_rates,
//                                                            new_rates);
//   if (test.ok() && shift.ok() && test->p_value < 0.05) {
//     // NEW differs from OLD by shift->estimate, within
//     // [shift->interval.lower, shift->interval.upper].
//   }

#ifndef MAILSHAKE_SRC_STATS_COMPARE_H_
#define MAILSHAKE_SRC_STATS_COMPARE_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace mailshake {
namespace stats {

// kMaxSampleSize bounds the size of any one sample.
inline constexpr size_t kMaxSampleSize = 1'000'000;
// kMaxExactPairs bounds |x| * |y| for exact Mann-Whitney distributions.
inline constexpr size_t kMaxExactPairs = 10'000;
// kMaxPairwiseDifferences bounds |x| * |y| for HodgesLehmannShift, which
// holds every pairwise difference in memory.
inline constexpr size_t kMaxPairwiseDifferences = 4'000'000;

// Median returns the median of |sample|: the middle value, or the mean of the
// two middle values when the size is even. It returns InvalidArgument if the
// sample is empty, too large, or holds a non-finite value.
absl::StatusOr<double> Median(absl::Span<const double> sample);

// ConfidenceInterval is a closed interval [lower, upper] and the coverage
// actually achieved by the method that produced it.
struct ConfidenceInterval {
  double lower = 0;
  double upper = 0;
  // With distribution-free intervals the achievable levels are discrete: this
  // is at least the requested level unless the samples are too small to reach
  // it, in which case the widest interval is returned and this says how
  // little it covers.
  double confidence = 0;
};

// MedianConfidenceInterval returns the distribution-free interval
// [x_(k), x_(n+1-k)] over the sorted sample whose coverage,
// 1 - 2 * P(Binomial(n, 1/2) <= k - 1), is the smallest that is at least
// |confidence|. |confidence| must be in (0, 1).
absl::StatusOr<ConfidenceInterval> MedianConfidenceInterval(
    absl::Span<const double> sample, double confidence = 0.95);

// PValueMethod selects how the Mann-Whitney p-value is computed.
enum class PValueMethod {
  // Exact when no value occurs twice in the pooled samples and
  // |x| * |y| <= kMaxExactPairs, otherwise the normal approximation.
  kAuto,
  // The exact null distribution of U (requires no ties, and
  // |x| * |y| <= kMaxExactPairs).
  kExact,
  // The normal approximation with tie and continuity corrections.
  kNormalApproximation,
};

// MannWhitneyResult is the outcome of a two-sided Mann-Whitney U test.
struct MannWhitneyResult {
  // U for the first sample: the number of pairs (x_i, y_j) with x_i > y_j,
  // plus half the number of tied pairs. 0 <= u <= |x| * |y|.
  double u = 0;
  // (u - |x||y|/2) over its tie-corrected standard deviation, after a
  // continuity correction of 0.5 towards the mean; 0 if all values are tied.
  double z = 0;
  // The two-sided p-value for "x and y come from the same distribution".
  double p_value = 1;
  // One-sided p-values by the same method: against the alternative that x
  // tends to be larger than y (P(U >= u) under the null), and that x tends to
  // be smaller (P(U <= u)). With 5 and 5 values without ties the smallest
  // either can be is 1/252; the two-sided p is twice the smaller, capped at 1.
  double p_x_greater = 1;
  double p_x_less = 1;
  // kExact or kNormalApproximation: the method that produced |p_value|.
  PValueMethod method = PValueMethod::kNormalApproximation;
};

// MannWhitneyUTest tests whether |x| and |y| come from the same distribution,
// against the alternative that one tends to be larger (two-sided). The exact
// p-value is 2 * min(P(U <= u), P(U >= u)) capped at 1, as scipy and R
// compute it. It returns InvalidArgument for empty, oversized or non-finite
// samples, or if kExact was asked for where it does not apply.
absl::StatusOr<MannWhitneyResult> MannWhitneyUTest(
    absl::Span<const double> x, absl::Span<const double> y,
    PValueMethod method = PValueMethod::kAuto);

// ShiftEstimate is the estimated location shift of |y| relative to |x|.
struct ShiftEstimate {
  // The Hodges-Lehmann estimate: the median of all differences y_j - x_i.
  double estimate = 0;
  // The distribution-free interval [D_(k), D_(mn+1-k)] over the sorted
  // differences D, with k from the null distribution of U (the interval R's
  // wilcox.test(conf.int = TRUE) reports).
  ConfidenceInterval interval;
  // kExact or kNormalApproximation: how k was chosen (same rule as kAuto).
  PValueMethod method = PValueMethod::kNormalApproximation;
};

// HodgesLehmannShift estimates by how much |y| is shifted from |x| (positive
// when y tends to be larger) with a |confidence| interval; |confidence| must
// be in (0, 1). It returns InvalidArgument for empty or non-finite samples or
// when |x| * |y| exceeds kMaxPairwiseDifferences.
absl::StatusOr<ShiftEstimate> HodgesLehmannShift(absl::Span<const double> x,
                                                 absl::Span<const double> y,
                                                 double confidence = 0.95);

// HolmAdjust returns the Holm-Bonferroni adjusted p-values of |p_values|, in
// the same order: with p sorted ascending, adjusted p_(i) =
// max_{j<=i} min(1, (m - j + 1) p_(j)). Rejecting every hypothesis whose
// adjusted p-value is below alpha keeps the family-wise error rate at most
// alpha. Every p-value must be in [0, 1] (InvalidArgument otherwise).
absl::StatusOr<std::vector<double>> HolmAdjust(
    absl::Span<const double> p_values);

}  // namespace stats
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_STATS_COMPARE_H_
