// Private to //src/html: the mapping from data values to chart coordinates,
// and where the ticks of each kind of axis go.

#ifndef MAILSHAKE_SRC_HTML_SCALE_H_
#define MAILSHAKE_SRC_HTML_SCALE_H_

#include <vector>

namespace mailshake {
namespace html {
namespace internal {

// InverseTailPosition returns log10(1 / (1 - |fraction|)), the position of
// the quantile |fraction| (in [0, 1)) on HdrHistogram's percentile axis:
// 0 for the minimum, 1 for the 90th percentile, 2 for the 99th, 3 for the
// 99.9th, and so on; equal distances are equal factors of the tail's size.
// |fraction| >= 1 gives +infinity and negative fractions are treated as 0.
double InverseTailPosition(double fraction);

// InverseTailFraction is InverseTailPosition's inverse: 1 - 10^-|position|.
double InverseTailFraction(double position);

// Scale maps a data interval [lo, hi] onto a pixel interval [from, to]
// (|to| may be below |from|, as for a y axis), linearly or through log10.
// Values outside [lo, hi] map outside [from, to]; callers clamp if needed.
class Scale {
 public:
  // Linear requires lo < hi. Log requires 0 < lo < hi; it maps log10(v).
  static Scale Linear(double lo, double hi, double from, double to);
  static Scale Log(double lo, double hi, double from, double to);

  double Map(double value) const;
  double lo() const { return lo_; }
  double hi() const { return hi_; }
  bool is_log() const { return log_; }

 private:
  Scale(double lo, double hi, double from, double to, bool log);

  double lo_, hi_, from_, to_;
  bool log_;
  double a_, b_;  // the mapped coordinate is a_ + b_ * f(value)
};

// NiceLinearRange returns [lo', hi'] containing [lo, hi] whose ends are
// multiples of a 1, 2 or 5 x 10^k step giving about |ticks| intervals, and
// NiceLinearTicks the multiples of that step within it. An empty or reversed
// range is widened to a unit around |lo|.
struct Range {
  double lo = 0;
  double hi = 1;
};
Range NiceLinearRange(double lo, double hi, int ticks = 5);
std::vector<double> NiceLinearTicks(const Range& range, int ticks = 5);

// NiceLogRange returns [lo', hi'] containing [lo, hi] (both > 0; smaller
// values are raised to the smallest positive double) with ends on the
// 1-2-5 sequence (1, 2, 5, 10, 20, ...). LogTicks returns the powers of ten
// within |range|, plus the 2 and 5 multiples when that gives fewer than three
// ticks.
Range NiceLogRange(double lo, double hi);
std::vector<double> LogTicks(const Range& range);

}  // namespace internal
}  // namespace html
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_HTML_SCALE_H_
