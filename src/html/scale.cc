#include "src/html/scale.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mailshake {
namespace html {
namespace internal {

double InverseTailPosition(double fraction) {
  if (!(fraction > 0)) return 0;
  if (fraction >= 1) return std::numeric_limits<double>::infinity();
  return -std::log10(1 - fraction);
}

double InverseTailFraction(double position) {
  return 1 - std::pow(10.0, -position);
}

Scale::Scale(double lo, double hi, double from, double to, bool log)
    : lo_(lo), hi_(hi), from_(from), to_(to), log_(log) {
  const double f_lo = log ? std::log10(lo) : lo;
  const double f_hi = log ? std::log10(hi) : hi;
  b_ = (to - from) / (f_hi - f_lo);
  a_ = from - b_ * f_lo;
}

Scale Scale::Linear(double lo, double hi, double from, double to) {
  return Scale(lo, hi, from, to, false);
}

Scale Scale::Log(double lo, double hi, double from, double to) {
  return Scale(lo, hi, from, to, true);
}

double Scale::Map(double value) const {
  if (log_) {
    value = std::log10(std::max(value, std::numeric_limits<double>::min()));
  }
  return a_ + b_ * value;
}

namespace {

// Step returns the 1, 2 or 5 x 10^k step closest above |span| / |ticks|.
double Step(double span, int ticks) {
  const double raw = span / std::max(ticks, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * magnitude >= raw * (1 - 1e-9)) return m * magnitude;
  }
  return 10 * magnitude;
}

}  // namespace

Range NiceLinearRange(double lo, double hi, int ticks) {
  if (!std::isfinite(lo)) lo = 0;
  if (!std::isfinite(hi) || !(hi > lo)) hi = lo + 1;
  const double step = Step(hi - lo, ticks);
  return Range{std::floor(lo / step + 1e-9) * step,
               std::ceil(hi / step - 1e-9) * step};
}

std::vector<double> NiceLinearTicks(const Range& range, int ticks) {
  const double step = Step(range.hi - range.lo, ticks);
  std::vector<double> out;
  const double first = std::ceil(range.lo / step - 1e-9);
  for (double k = first; k * step <= range.hi * (1 + 1e-12) + step * 1e-9;
       ++k) {
    out.push_back(k * step);
    if (out.size() > 100) break;
  }
  return out;
}

namespace {

// Snap returns the largest (down) or smallest (up) number of the 1-2-5
// sequence at or below / above |v| > 0.
double Snap(double v, bool up) {
  const double decade = std::pow(10.0, std::floor(std::log10(v)));
  const double candidates[] = {decade, 2 * decade, 5 * decade, 10 * decade};
  if (up) {
    for (double c : candidates) {
      if (c >= v * (1 - 1e-12)) return c;
    }
    return 10 * decade;
  }
  double best = decade;
  for (double c : candidates) {
    if (c <= v * (1 + 1e-12)) best = c;
  }
  return best;
}

}  // namespace

Range NiceLogRange(double lo, double hi) {
  const double tiny = std::numeric_limits<double>::min();
  if (!(lo > tiny) || !std::isfinite(lo)) lo = tiny;
  if (!std::isfinite(hi) || !(hi > lo)) hi = lo;
  Range r{Snap(lo, false), Snap(hi, true)};
  if (!(r.hi > r.lo)) r.hi = Snap(r.lo * 1.5, true);
  return r;
}

std::vector<double> LogTicks(const Range& range) {
  std::vector<double> decades, all;
  const int first = static_cast<int>(std::floor(std::log10(range.lo)));
  const int last = static_cast<int>(std::ceil(std::log10(range.hi)));
  const auto inside = [&](double v) {
    return v >= range.lo * (1 - 1e-9) && v <= range.hi * (1 + 1e-9);
  };
  for (int e = first; e <= last && e - first < 400; ++e) {
    const double d = std::pow(10.0, e);
    for (double m : {1.0, 2.0, 5.0}) {
      if (!inside(m * d)) continue;
      all.push_back(m * d);
      if (m == 1.0) decades.push_back(d);
    }
  }
  return decades.size() >= 3 ? decades : all;
}

}  // namespace internal
}  // namespace html
}  // namespace mailshake
