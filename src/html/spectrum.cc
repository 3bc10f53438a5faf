#include "src/html/spectrum.h"

#include <algorithm>

namespace mailshake {
namespace html {
namespace internal {

std::vector<SpectrumStep> PercentileSpectrum(
    const stats::LatencyHistogram& histogram) {
  std::vector<SpectrumStep> steps;
  const int64_t n = histogram.Count();
  if (n <= 0) return steps;
  const double total = static_cast<double>(n);
  int64_t below = 0;
  for (const stats::HistogramBucket& b : histogram.Buckets()) {
    SpectrumStep step;
    step.from = static_cast<double>(below) / total;
    below += b.count;
    step.to = below == n ? 1.0 : static_cast<double>(below) / total;
    step.value = std::min(b.highest, histogram.Max());
    steps.push_back(step);
  }
  return steps;
}

int64_t SpectrumValueAt(const std::vector<SpectrumStep>& steps, double q) {
  if (steps.empty()) return 0;
  if (q <= 0) return steps.front().value;
  // The first step whose end is at or above q.
  auto it = std::lower_bound(
      steps.begin(), steps.end(), q,
      [](const SpectrumStep& s, double v) { return s.to < v; });
  if (it == steps.end()) return steps.back().value;
  return it->value;
}

}  // namespace internal
}  // namespace html
}  // namespace mailshake
