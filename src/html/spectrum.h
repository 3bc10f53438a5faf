// Private to //src/html: a latency histogram's quantile function, from its
// buckets, as the steps a percentile-spectrum chart draws.

#ifndef MAILSHAKE_SRC_HTML_SPECTRUM_H_
#define MAILSHAKE_SRC_HTML_SPECTRUM_H_

#include <cstdint>
#include <vector>

#include "src/stats/stats.h"

namespace mailshake {
namespace html {
namespace internal {

// SpectrumStep says that every quantile q with |from| < q <= |to| (fractions
// of the in-range count) has the latency |value|.
struct SpectrumStep {
  double from = 0;
  double to = 0;
  int64_t value = 0;
};

// PercentileSpectrum returns the steps of |histogram|'s quantile function,
// one per non-empty bucket in ascending order: the bucket holding the k-th
// smallest value covers from (k-1)/N to k/N, and its value is the bucket's
// upper bound capped at the exact maximum, so at q = k/N the spectrum equals
// LatencyHistogram::ValueAtPercentile(100 q). The first step starts at 0
// and the last ends at 1. An empty histogram has no steps.
std::vector<SpectrumStep> PercentileSpectrum(
    const stats::LatencyHistogram& histogram);

// SpectrumValueAt returns the value of |steps| at quantile |q| in (0, 1]
// (the step with from < q <= to), or the first step's value for q <= 0; 0 if
// |steps| is empty.
int64_t SpectrumValueAt(const std::vector<SpectrumStep>& steps, double q);

}  // namespace internal
}  // namespace html
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_HTML_SPECTRUM_H_
