#include "src/html/format.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/report/report.h"

namespace mailshake {
namespace html {
namespace internal {

std::string FormatLatency(double ns) {
  if (!std::isfinite(ns)) return "-";
  const double magnitude = std::abs(ns);
  // Decide the unit on the rounded figure, so 999.7 µs is "1.00 ms".
  const auto rounded = [](double v) {
    if (v == 0) return 0.0;
    const double scale = std::pow(10.0, 2 - std::floor(std::log10(v)));
    return std::round(v * scale) / scale;
  };
  if (rounded(magnitude) < 1e3) return absl::StrCat(report::FormatSignificant(ns), " ns");
  if (rounded(magnitude) < 1e6) return absl::StrCat(report::FormatSignificant(ns / 1e3), " µs");
  if (rounded(magnitude) < 1e9) return absl::StrCat(report::FormatSignificant(ns / 1e6), " ms");
  return absl::StrCat(report::FormatSignificant(ns / 1e9), " s");
}

std::string FormatTick(double v) {
  if (!std::isfinite(v)) return "-";
  std::string s = absl::StrFormat("%.6f", v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::string FormatLatencyTick(double ns) {
  if (!std::isfinite(ns)) return "-";
  const double magnitude = std::abs(ns);
  if (magnitude < 1e3) return absl::StrCat(FormatTick(ns), " ns");
  if (magnitude < 1e6) return absl::StrCat(FormatTick(ns / 1e3), " µs");
  if (magnitude < 1e9) return absl::StrCat(FormatTick(ns / 1e6), " ms");
  return absl::StrCat(FormatTick(ns / 1e9), " s");
}

}  // namespace internal
}  // namespace html
}  // namespace mailshake
