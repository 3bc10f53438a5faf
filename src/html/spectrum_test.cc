#include "src/html/spectrum.h"

#include <random>

#include "gtest/gtest.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace html {
namespace internal {
namespace {

TEST(SpectrumTest, EmptyHistogramHasNoSteps) {
  stats::LatencyHistogram h;
  EXPECT_TRUE(PercentileSpectrum(h).empty());
  EXPECT_EQ(SpectrumValueAt({}, 0.5), 0);
}

TEST(SpectrumTest, OneStepPerBucketCoveringZeroToOne) {
  stats::LatencyHistogram h;
  for (int i = 0; i < 3; ++i) h.Record(1000);
  h.Record(2300);
  const auto steps = PercentileSpectrum(h);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].from, 0);
  EXPECT_DOUBLE_EQ(steps[0].to, 0.75);
  EXPECT_EQ(steps[0].value, 1000);
  EXPECT_DOUBLE_EQ(steps[1].from, 0.75);
  EXPECT_EQ(steps[1].to, 1);
  EXPECT_EQ(steps[1].value, 2300);  // capped at the exact maximum
}

TEST(SpectrumTest, AgreesWithValueAtPercentileAtEveryRank) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(14, 0.8);  // ~1 ms, long tail
  stats::LatencyHistogram h;
  for (int i = 0; i < 5000; ++i) h.Record(static_cast<int64_t>(latency(rng)));
  const auto steps = PercentileSpectrum(h);
  ASSERT_FALSE(steps.empty());
  const int64_t n = h.Count();
  for (int64_t k = 1; k <= n; ++k) {
    const double q = static_cast<double>(k) / static_cast<double>(n);
    ASSERT_EQ(SpectrumValueAt(steps, q), h.ValueAtPercentile(100.0 * q)) << "rank " << k;
  }
  EXPECT_EQ(steps.back().value, h.Max());
  for (size_t i = 1; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i].from, steps[i - 1].to);
    EXPECT_GT(steps[i].value, steps[i - 1].value);
  }
}

}  // namespace
}  // namespace internal
}  // namespace html
}  // namespace mailshake
