#include "src/stats/compare.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace mailshake {
namespace stats {
namespace {

absl::Status ValidateSample(absl::Span<const double> sample,
                            absl::string_view name) {
  if (sample.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s is empty; at least one value is needed", name));
  }
  if (sample.size() > kMaxSampleSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s has %d values, more than the limit of %d", name,
        sample.size(), kMaxSampleSize));
  }
  for (size_t i = 0; i < sample.size(); ++i) {
    if (!std::isfinite(sample[i])) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: value %d is %f; only finite values can be compared",
          name, i, sample[i]));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateConfidence(double confidence) {
  if (!(confidence > 0 && confidence < 1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "confidence level is %f; it must be strictly between 0 and 1",
        confidence));
  }
  return absl::OkStatus();
}

// MedianOfSorted returns the median of a sorted, non-empty vector.
double MedianOfSorted(const std::vector<double>& sorted) {
  const size_t n = sorted.size();
  const double upper = sorted[n / 2];
  if (n % 2 == 1) return upper;
  const double lower = sorted[n / 2 - 1];
  return lower + (upper - lower) / 2;  // No overflow near the double limits.
}

// NormalCdf returns P(Z <= z) for a standard normal Z.
double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// NormalQuantile returns z with NormalCdf(z) = p, for p in (0, 1), by
// bisection: slow compared to a rational approximation but short, monotone
// and accurate to the last bits, which is all a handful of calls need.
double NormalQuantile(double p) {
  double low = -40;
  double high = 40;
  for (int i = 0; i < 200 && low < high; ++i) {
    const double mid = low + (high - low) / 2;
    if (mid == low || mid == high) break;
    if (NormalCdf(mid) < p) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return low + (high - low) / 2;
}

// UDistribution returns P(U = u) for u = 0 .. m*n under the null hypothesis,
// for samples of sizes m and n without ties. The number of arrangements with
// U = u is the coefficient of q^u in the Gaussian binomial coefficient
// [m+n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i), which is built
// one factor pair at a time; every intermediate quotient is itself a Gaussian
// binomial, so the divisions are exact polynomial divisions.
std::vector<double> UDistribution(size_t m, size_t n) {
  if (m > n) std::swap(m, n);  // Symmetric in m and n; fewer steps this way.
  // After multiplying by the i-th numerator factor the degree is i * (n + 1),
  // above the final m * n until the division brings it back down.
  std::vector<double> coefficients(m * (n + 1) + 1, 0.0);
  coefficients[0] = 1;
  size_t degree = 0;
  for (size_t i = 1; i <= m; ++i) {
    // Multiply by (1 - q^(n+i)).
    const size_t shift = n + i;
    for (size_t k = degree + shift; k >= shift; --k) {
      coefficients[k] -= coefficients[k - shift];
    }
    degree += shift;
    // Divide by (1 - q^i): c'[k] = c[k] + c'[k - i].
    for (size_t k = i; k <= degree; ++k) {
      coefficients[k] += coefficients[k - i];
    }
    degree -= i;
  }
  coefficients.resize(m * n + 1);
  double total = 0;
  for (double c : coefficients) total += c;
  for (double& c : coefficients) c /= total;
  return coefficients;
}

// Ranking holds what the U statistic and its variance need from the pooled
// samples.
struct Ranking {
  double rank_sum_x = 0;       // Sum of the (mid)ranks of x.
  double tie_correction = 0;   // Sum over tie groups of t^3 - t.
  bool has_ties = false;
};

Ranking RankPooled(absl::Span<const double> x, absl::Span<const double> y) {
  std::vector<std::pair<double, bool>> pooled;  // (value, comes from x)
  pooled.reserve(x.size() + y.size());
  for (double v : x) pooled.emplace_back(v, true);
  for (double v : y) pooled.emplace_back(v, false);
  std::sort(pooled.begin(), pooled.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Ranking ranking;
  size_t i = 0;
  while (i < pooled.size()) {
    size_t j = i + 1;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    // Positions i..j-1 share the ranks i+1..j; each gets their mean.
    const double t = static_cast<double>(j - i);
    const double midrank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (size_t k = i; k < j; ++k) {
      if (pooled[k].second) ranking.rank_sum_x += midrank;
    }
    if (j - i > 1) {
      ranking.has_ties = true;
      ranking.tie_correction += t * t * t - t;
    }
    i = j;
  }
  return ranking;
}

// USigma returns the standard deviation of U under the null hypothesis,
// corrected for ties.
double USigma(size_t m, size_t n, double tie_correction) {
  const double mn = static_cast<double>(m) * static_cast<double>(n);
  const double total = static_cast<double>(m + n);
  const double variance =
      mn / 12.0 * ((total + 1) - tie_correction / (total * (total - 1)));
  return variance > 0 ? std::sqrt(variance) : 0;
}

bool ExactApplies(size_t m, size_t n, bool has_ties) {
  return !has_ties && m * n <= kMaxExactPairs;
}

}  // namespace

absl::StatusOr<double> Median(absl::Span<const double> sample) {
  absl::Status status = ValidateSample(sample, "the sample");
  if (!status.ok()) return status;
  std::vector<double> sorted(sample.begin(), sample.end());
  std::sort(sorted.begin(), sorted.end());
  return MedianOfSorted(sorted);
}

absl::StatusOr<ConfidenceInterval> MedianConfidenceInterval(
    absl::Span<const double> sample, double confidence) {
  absl::Status status = ValidateSample(sample, "the sample");
  if (!status.ok()) return status;
  status = ValidateConfidence(confidence);
  if (!status.ok()) return status;
  std::vector<double> sorted(sample.begin(), sample.end());
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();

  // Widen k from 1 while [x_(k), x_(n+1-k)] still covers enough:
  // coverage(k) = 1 - 2 * P(B <= k - 1), B ~ Binomial(n, 1/2). The pmf is
  // stepped in log space, since 2^-n underflows for large n.
  double log_pmf = static_cast<double>(n) * std::log(0.5);  // log P(B = 0)
  auto next_log_pmf = [n](double log_pmf_j, size_t j) {  // log P(B = j + 1)
    return log_pmf_j + std::log(static_cast<double>(n - j)) -
           std::log(static_cast<double>(j + 1));
  };
  size_t k = 1;
  double cdf_below_k = std::exp(log_pmf);  // P(B <= k - 1)
  double coverage = 1 - 2 * cdf_below_k;
  while (2 * (k + 1) <= n + 1) {
    log_pmf = next_log_pmf(log_pmf, k - 1);  // log P(B = k)
    const double next_cdf = cdf_below_k + std::exp(log_pmf);  // P(B <= k)
    const double next_coverage = 1 - 2 * next_cdf;
    if (next_coverage < confidence) break;
    ++k;
    cdf_below_k = next_cdf;
    coverage = next_coverage;
  }
  return ConfidenceInterval{sorted[k - 1], sorted[n - k], coverage};
}

absl::StatusOr<MannWhitneyResult> MannWhitneyUTest(absl::Span<const double> x,
                                                   absl::Span<const double> y,
                                                   PValueMethod method) {
  absl::Status status = ValidateSample(x, "sample x");
  if (!status.ok()) return status;
  status = ValidateSample(y, "sample y");
  if (!status.ok()) return status;
  const size_t m = x.size();
  const size_t n = y.size();
  const Ranking ranking = RankPooled(x, y);

  MannWhitneyResult result;
  const double md = static_cast<double>(m);
  const double mn = md * static_cast<double>(n);
  result.u = ranking.rank_sum_x - md * (md + 1) / 2;
  const double mean = mn / 2;
  const double sigma = USigma(m, n, ranking.tie_correction);
  if (sigma > 0) {
    const double distance = std::max(std::fabs(result.u - mean) - 0.5, 0.0);
    result.z = std::copysign(distance / sigma, result.u - mean);
  }

  if (method == PValueMethod::kExact && !ExactApplies(m, n, ranking.has_ties)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the exact Mann-Whitney p-value needs samples without ties and at "
        "most %d pairs (have %d x %d%s); use the normal approximation",
        kMaxExactPairs, m, n, ranking.has_ties ? ", with ties" : ""));
  }
  if (method != PValueMethod::kNormalApproximation &&
      ExactApplies(m, n, ranking.has_ties)) {
    const std::vector<double> pmf = UDistribution(m, n);
    // Without ties u is an integer.
    const size_t u = static_cast<size_t>(std::llround(result.u));
    double at_most = 0;
    for (size_t k = 0; k <= u; ++k) at_most += pmf[k];
    double at_least = 0;
    for (size_t k = u; k < pmf.size(); ++k) at_least += pmf[k];
    result.p_value = std::min(1.0, 2 * std::min(at_most, at_least));
    result.p_x_greater = std::min(1.0, at_least);
    result.p_x_less = std::min(1.0, at_most);
    result.method = PValueMethod::kExact;
    return result;
  }
  result.p_value = sigma > 0 ? std::min(1.0, std::erfc(std::fabs(result.z) /
                                                       std::sqrt(2.0)))
                             : 1.0;
  if (sigma > 0) {
    // Continuity correction of 0.5 towards the mean of each tail.
    result.p_x_greater = std::min(1.0, 1 - NormalCdf((result.u - 0.5 - mean) / sigma));
    result.p_x_less = std::min(1.0, NormalCdf((result.u + 0.5 - mean) / sigma));
  }
  result.method = PValueMethod::kNormalApproximation;
  return result;
}

absl::StatusOr<ShiftEstimate> HodgesLehmannShift(absl::Span<const double> x,
                                                 absl::Span<const double> y,
                                                 double confidence) {
  absl::Status status = ValidateSample(x, "sample x");
  if (!status.ok()) return status;
  status = ValidateSample(y, "sample y");
  if (!status.ok()) return status;
  status = ValidateConfidence(confidence);
  if (!status.ok()) return status;
  const size_t m = x.size();
  const size_t n = y.size();
  if (m * n > kMaxPairwiseDifferences) {  // Both <= 10^6: no overflow.
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d x %d samples give %d pairwise differences, more than the limit "
        "of %d",
        m, n, m * n, kMaxPairwiseDifferences));
  }
  std::vector<double> differences;
  differences.reserve(m * n);
  for (double xi : x) {
    for (double yj : y) differences.push_back(yj - xi);
  }
  std::sort(differences.begin(), differences.end());

  ShiftEstimate shift;
  shift.estimate = MedianOfSorted(differences);
  const size_t pairs = differences.size();
  const double alpha = 1 - confidence;
  const Ranking ranking = RankPooled(x, y);

  // k is the rank of the lower bound among the sorted differences; the
  // interval [D_(k), D_(pairs+1-k)] covers the true shift with probability
  // 1 - 2 * P(U <= k - 1).
  size_t k = 1;
  if (ExactApplies(m, n, ranking.has_ties)) {
    // k = the smallest q with P(U <= q) >= alpha/2, at least 1 (R's
    // qwilcox-based choice).
    const std::vector<double> pmf = UDistribution(m, n);
    double cdf = 0;
    size_t q = 0;
    for (; q < pmf.size(); ++q) {
      cdf += pmf[q];
      if (cdf >= alpha / 2) break;
    }
    k = std::max<size_t>(q, 1);
    double below = 0;  // P(U <= k - 1)
    for (size_t u = 0; u < k; ++u) below += pmf[u];
    shift.interval.confidence = 1 - 2 * below;
    shift.method = PValueMethod::kExact;
  } else {
    // P(U <= q) ~ Phi((q + 0.5 - mn/2) / sigma) >= alpha/2.
    const double mean = static_cast<double>(pairs) / 2;
    const double sigma = USigma(m, n, ranking.tie_correction);
    const double z = NormalQuantile(1 - alpha / 2);
    const double q = std::ceil(mean - z * sigma - 0.5);
    k = q < 1 ? 1 : static_cast<size_t>(q);
    shift.interval.confidence =
        sigma > 0
            ? 1 - 2 * NormalCdf((static_cast<double>(k) - 1 + 0.5 - mean) /
                                sigma)
            : 0;
    shift.method = PValueMethod::kNormalApproximation;
  }
  k = std::min(k, (pairs + 1) / 2);
  shift.interval.lower = differences[k - 1];
  shift.interval.upper = differences[pairs - k];
  shift.interval.confidence = std::max(shift.interval.confidence, 0.0);
  return shift;
}

absl::StatusOr<std::vector<double>> HolmAdjust(
    absl::Span<const double> p_values) {
  if (p_values.size() > kMaxSampleSize) {
    return absl::InvalidArgumentError("too many p-values to adjust");
  }
  for (double p : p_values) {
    if (!(p >= 0 && p <= 1)) {
      return absl::InvalidArgumentError("a p-value outside [0, 1]");
    }
  }
  const size_t m = p_values.size();
  std::vector<size_t> order(m);
  for (size_t i = 0; i < m; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return p_values[a] < p_values[b];
  });
  std::vector<double> adjusted(m);
  double running = 0;
  for (size_t rank = 0; rank < m; ++rank) {
    const double scaled =
        std::min(1.0, static_cast<double>(m - rank) * p_values[order[rank]]);
    running = std::max(running, scaled);
    adjusted[order[rank]] = running;
  }
  return adjusted;
}

}  // namespace stats
}  // namespace mailshake
