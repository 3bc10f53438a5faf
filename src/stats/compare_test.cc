#include "src/stats/compare.h"

#include <cmath>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mailshake {
namespace stats {
namespace {

using ::testing::HasSubstr;

TEST(MedianTest, IsTheMiddleValueOrTheMeanOfTheTwoMiddleValues) {
  EXPECT_EQ(*Median({5.0}), 5.0);
  EXPECT_EQ(*Median({3.0, 1.0, 2.0}), 2.0);
  EXPECT_EQ(*Median({4.0, 1.0, 3.0, 2.0}), 2.5);
  const double big = std::numeric_limits<double>::max();
  EXPECT_EQ(*Median({big, big}), big);  // No overflow to infinity.
}

TEST(MedianTest, RejectsEmptyAndNonFiniteSamples) {
  EXPECT_EQ(Median({}).status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<double> m =
      Median({1.0, std::numeric_limits<double>::quiet_NaN()});
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr("value 1"));
  EXPECT_FALSE(Median({std::numeric_limits<double>::infinity()}).ok());
}

TEST(MedianConfidenceIntervalTest, UsesBinomialOrderStatistics) {
  // n = 10: P(B <= 1) = 11/1024, P(B <= 2) = 56/1024 for B ~ Bin(10, 1/2).
  // k = 2 covers 1 - 22/1024 = 0.978515625 >= 0.95; k = 3 covers only
  // 1 - 112/1024 = 0.890625. So the interval is [x_(2), x_(9)].
  const std::vector<double> sample = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
  absl::StatusOr<ConfidenceInterval> ci = MedianConfidenceInterval(sample);
  ASSERT_TRUE(ci.ok()) << ci.status();
  EXPECT_EQ(ci->lower, 2);
  EXPECT_EQ(ci->upper, 9);
  EXPECT_DOUBLE_EQ(ci->confidence, 1 - 22.0 / 1024);
  // At 85% k = 3 is enough: [x_(3), x_(8)].
  ci = MedianConfidenceInterval(sample, 0.85);
  EXPECT_EQ(ci->lower, 3);
  EXPECT_EQ(ci->upper, 8);
  EXPECT_DOUBLE_EQ(ci->confidence, 1 - 112.0 / 1024);
}

TEST(MedianConfidenceIntervalTest, ReportsLowCoverageOfTinySamples) {
  // n = 5: even [min, max] covers only 1 - 2/32 = 0.9375 < 0.95.
  absl::StatusOr<ConfidenceInterval> ci =
      MedianConfidenceInterval({5, 3, 4, 1, 2});
  ASSERT_TRUE(ci.ok());
  EXPECT_EQ(ci->lower, 1);
  EXPECT_EQ(ci->upper, 5);
  EXPECT_DOUBLE_EQ(ci->confidence, 0.9375);
}

TEST(MedianConfidenceIntervalTest, HandlesLargeSamples) {
  // 2^-n underflows here; the interval must still be sensible and narrow.
  std::vector<double> sample(5000);
  for (size_t i = 0; i < sample.size(); ++i) sample[i] = i;
  absl::StatusOr<ConfidenceInterval> ci = MedianConfidenceInterval(sample);
  ASSERT_TRUE(ci.ok());
  // Normal approximation: 2500 -+ 1.96 * sqrt(5000)/2 = 2500 -+ 69.3.
  EXPECT_NEAR(ci->lower, 2430, 3);
  EXPECT_NEAR(ci->upper, 2569, 3);
  EXPECT_GE(ci->confidence, 0.95);
  EXPECT_LT(ci->confidence, 0.96);
}

TEST(MedianConfidenceIntervalTest, RejectsConfidenceOutsideZeroOne) {
  for (double c : {0.0, 1.0, -0.5, 1.5, std::nan("")}) {
    EXPECT_EQ(MedianConfidenceInterval({1, 2, 3}, c).status().code(),
              absl::StatusCode::kInvalidArgument)
        << c;
  }
}

TEST(MannWhitneyTest, ExactPValueForCompletelySeparatedSamples) {
  // Only 1 of the C(6,3) = 20 equally likely arrangements has U = 0, so the
  // two-sided p-value is 2/20 (scipy.stats.mannwhitneyu gives 0.1 as well).
  absl::StatusOr<MannWhitneyResult> r = MannWhitneyUTest({1, 2, 3}, {4, 5, 6});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->u, 0);
  EXPECT_EQ(r->method, PValueMethod::kExact);
  EXPECT_DOUBLE_EQ(r->p_value, 0.1);
  // Swapping the samples mirrors U and keeps p.
  r = MannWhitneyUTest({4, 5, 6}, {1, 2, 3});
  EXPECT_EQ(r->u, 9);
  EXPECT_DOUBLE_EQ(r->p_value, 0.1);
  // Sizes 5 and 5: 2 / C(10,5) = 2/252.
  r = MannWhitneyUTest({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_DOUBLE_EQ(r->p_value, 2.0 / 252);
}

TEST(MannWhitneyTest, ExactPValueFromTheNullDistribution) {
  // Sizes 3 and 3: arrangements by U = 0..9 are 1 1 2 3 3 3 3 2 1 1 (of 20).
  // x = {1,3,5}, y = {2,4,6}: U = 3 (3>2, 5>2, 5>4), P(U <= 3) = 7/20.
  absl::StatusOr<MannWhitneyResult> r = MannWhitneyUTest({1, 3, 5}, {2, 4, 6});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->u, 3);
  EXPECT_DOUBLE_EQ(r->p_value, 0.7);
  // x = {1,2,4}, y = {3,5,6}: U = 1, P(U <= 1) = 2/20.
  r = MannWhitneyUTest({1, 2, 4}, {3, 5, 6});
  EXPECT_EQ(r->u, 1);
  EXPECT_DOUBLE_EQ(r->p_value, 0.2);
  // Sizes 4 and 6: arrangements by U start 1 1 2 3 5 (of C(10,4) = 210).
  // x = {1,2,4,7}, y = {3,5,6,8,9,10}: U = 4, p = 2 * 12/210.
  r = MannWhitneyUTest({1, 2, 4, 7}, {3, 5, 6, 8, 9, 10});
  EXPECT_EQ(r->u, 4);
  EXPECT_NEAR(r->p_value, 24.0 / 210, 1e-12);
}

TEST(MannWhitneyTest, OneSidedPValuesLookInOneDirectionOnly) {
  // x = {1,2,4}, y = {3,5,6}: U = 1; P(U <= 1) = 2/20, P(U >= 1) = 19/20.
  absl::StatusOr<MannWhitneyResult> r = MannWhitneyUTest({1, 2, 4}, {3, 5, 6});
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->p_x_less, 0.1);
  EXPECT_DOUBLE_EQ(r->p_x_greater, 0.95);
  // 5 against 5, completely separated: 1/252 in the direction of the shift.
  r = MannWhitneyUTest({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(r->p_x_greater, 1.0 / 252);
  EXPECT_DOUBLE_EQ(r->p_x_less, 1.0);
  // Normal approximation: half the two-sided value in the direction of z
  // (x = 0..19, y = x + 7.5, see below: p = 1.01410e-3 two-sided).
  std::vector<double> x, y;
  for (int i = 0; i < 20; ++i) {
    x.push_back(i);
    y.push_back(i + 7.5);
  }
  r = MannWhitneyUTest(x, y, PValueMethod::kNormalApproximation);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->p_x_less, 1.0140986852160442e-3 / 2, 1e-12);
  EXPECT_GT(r->p_x_greater, 0.999);
  // All values equal: nothing to see either way.
  r = MannWhitneyUTest({1, 1, 1}, {1, 1, 1});
  EXPECT_EQ(r->p_x_less, 1.0);
  EXPECT_EQ(r->p_x_greater, 1.0);
}

TEST(MannWhitneyTest, ExactAndNormalAgreeForModerateSamples) {
  // x = 0..19, y = x + 7.5: U = #{i - j >= 8} = 12 + 11 + ... + 1 = 78.
  // Exact P(U <= 78) for sizes 20, 20, counted with the recurrence
  // N(m,n,u) = N(m-1,n,u-n) + N(m,n-1,u), is 3.3378098e-4, so p = 6.6756e-4.
  // Normal: z = (|78 - 200| - 0.5) / sqrt(400 * 41 / 12) = 3.28659,
  // p = erfc(z / sqrt 2) = 1.01410e-3.
  std::vector<double> x;
  std::vector<double> y;
  for (int i = 0; i < 20; ++i) {
    x.push_back(i);
    y.push_back(i + 7.5);
  }
  absl::StatusOr<MannWhitneyResult> exact = MannWhitneyUTest(x, y);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->method, PValueMethod::kExact);
  EXPECT_EQ(exact->u, 78);
  EXPECT_NEAR(exact->p_value, 6.675619675571313e-4, 1e-12);
  absl::StatusOr<MannWhitneyResult> normal =
      MannWhitneyUTest(x, y, PValueMethod::kNormalApproximation);
  ASSERT_TRUE(normal.ok());
  EXPECT_EQ(normal->method, PValueMethod::kNormalApproximation);
  EXPECT_NEAR(normal->z, -3.2865858183627905, 1e-9);
  EXPECT_NEAR(normal->p_value, 1.0140986852160442e-3, 1e-12);
}

TEST(MannWhitneyTest, NormalApproximationCorrectsForTies) {
  // x = {1,2,2,3,5}, y = {2,4,5,6,7,8}. Pooled midranks: 1->1, the three
  // 2s share ranks 2..4 -> 3, 3->5, 4->6, the two 5s share 7..8 -> 7.5.
  // R1 = 1 + 3 + 3 + 5 + 7.5 = 19.5, U = 19.5 - 5*6/2 = 4.5.
  // Ties: (3^3 - 3) + (2^3 - 2) = 30.
  // var = 5*6/12 * ((11 + 1) - 30 / (11 * 10)) = 29.3181818...
  // z = (|4.5 - 15| - 0.5) / sqrt(var) = 1.8468494, p = erfc(z / sqrt 2)
  //   = 0.0647690 (scipy.stats.mannwhitneyu, asymptotic, agrees).
  absl::StatusOr<MannWhitneyResult> r =
      MannWhitneyUTest({1, 2, 2, 3, 5}, {2, 4, 5, 6, 7, 8});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->method, PValueMethod::kNormalApproximation);  // Ties.
  EXPECT_EQ(r->u, 4.5);
  EXPECT_NEAR(r->z, -1.846849401867487, 1e-12);
  EXPECT_NEAR(r->p_value, 0.06476896969888765, 1e-12);
}

TEST(MannWhitneyTest, AllValuesTiedGivesPValueOne) {
  absl::StatusOr<MannWhitneyResult> r = MannWhitneyUTest({7, 7}, {7, 7, 7});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->u, 3);
  EXPECT_EQ(r->z, 0);
  EXPECT_EQ(r->p_value, 1);
}

TEST(MannWhitneyTest, ExactIsRefusedWhereItDoesNotApply) {
  absl::StatusOr<MannWhitneyResult> r =
      MannWhitneyUTest({1, 2}, {2, 3}, PValueMethod::kExact);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("with ties"));
  std::vector<double> x(101);
  std::vector<double> y(100);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 2 * i;
  for (size_t i = 0; i < y.size(); ++i) y[i] = 2 * i + 1;
  EXPECT_FALSE(MannWhitneyUTest(x, y, PValueMethod::kExact).ok());
  r = MannWhitneyUTest(x, y);  // Auto falls back to the approximation.
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->method, PValueMethod::kNormalApproximation);
  EXPECT_GT(r->p_value, 0.5);
}

TEST(MannWhitneyTest, RejectsBadSamples) {
  EXPECT_EQ(MannWhitneyUTest({}, {1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<MannWhitneyResult> r =
      MannWhitneyUTest({1}, {std::numeric_limits<double>::infinity()});
  EXPECT_THAT(r.status().message(), HasSubstr("sample y"));
}

TEST(HodgesLehmannTest, ExactIntervalForTinySamples) {
  // Differences y - x for x = {1,2,3}, y = {4,5,6}: 1 2 2 3 3 3 4 4 5, median
  // 3. P(U = 0) = 1/20 >= 0.025 already, so k = 1: [D_(1), D_(9)] = [1, 5],
  // covering 1 - 2/20 = 0.9 (R's wilcox.test(conf.int = TRUE) gives the same).
  absl::StatusOr<ShiftEstimate> s = HodgesLehmannShift({1, 2, 3}, {4, 5, 6});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->estimate, 3);
  EXPECT_EQ(s->interval.lower, 1);
  EXPECT_EQ(s->interval.upper, 5);
  EXPECT_DOUBLE_EQ(s->interval.confidence, 0.9);
  EXPECT_EQ(s->method, PValueMethod::kExact);
}

TEST(HodgesLehmannTest, ExactIntervalForTenAgainstTen) {
  // y = x + 5.5 with x = 1..10: every difference is 5.5 + (j - i), and
  // j - i = d occurs 10 - |d| times, so the median is 5.5. For sizes 10, 10
  // the smallest q with P(U <= q) >= 0.025 is 24 (P(U <= 23) = 3996/184756),
  // so the interval is [D_(24), D_(77)]. Counting 1+2+3+4+5+6 = 21 < 24 <=
  // 28 puts D_(24) at d = -3, i.e. 2.5, and D_(77) at d = +3, i.e. 8.5.
  std::vector<double> x;
  std::vector<double> y;
  for (int i = 1; i <= 10; ++i) {
    x.push_back(i);
    y.push_back(i + 5.5);
  }
  absl::StatusOr<ShiftEstimate> s = HodgesLehmannShift(x, y);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->estimate, 5.5);
  EXPECT_EQ(s->interval.lower, 2.5);
  EXPECT_EQ(s->interval.upper, 8.5);
  EXPECT_NEAR(s->interval.confidence, 1 - 2 * 3996.0 / 184756, 1e-12);
  // The shift of x relative to y is the mirror image.
  s = HodgesLehmannShift(y, x);
  EXPECT_EQ(s->estimate, -5.5);
  EXPECT_EQ(s->interval.lower, -8.5);
  EXPECT_EQ(s->interval.upper, -2.5);
}

TEST(HodgesLehmannTest, NormalIntervalWithTies) {
  // x = {1,2,2,3,5}, y = {2,4,5,6,7,8}: the 30 sorted differences are
  // -3 -1 -1 0 0 0 1 1 1 2 2 2 2 3 3 3 3 3 4 4 4 4 5 5 5 5 6 6 6 7, median 3.
  // Ties force the normal approximation: sigma = sqrt(29.3181818) (as in the
  // Mann-Whitney test above), k = ceil(15 - 1.959964 * sigma - 0.5) = 4, so
  // [D_(4), D_(27)] = [0, 6], covering 1 - 2 * Phi((3.5 - 15) / sigma)
  // = 0.96631955.
  absl::StatusOr<ShiftEstimate> s =
      HodgesLehmannShift({1, 2, 2, 3, 5}, {2, 4, 5, 6, 7, 8});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->method, PValueMethod::kNormalApproximation);
  EXPECT_EQ(s->estimate, 3);
  EXPECT_EQ(s->interval.lower, 0);
  EXPECT_EQ(s->interval.upper, 6);
  EXPECT_NEAR(s->interval.confidence, 0.9663195541807067, 1e-9);
}

TEST(HodgesLehmannTest, RejectsTooManyPairsAndBadConfidence) {
  std::vector<double> big(2001, 1.0);
  absl::StatusOr<ShiftEstimate> s = HodgesLehmannShift(big, big);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("pairwise differences"));
  EXPECT_FALSE(HodgesLehmannShift({1}, {2}, 1.0).ok());
  EXPECT_FALSE(HodgesLehmannShift({}, {2}).ok());
}

TEST(HolmAdjustTest, MatchesTheStepDownFormulaInTheInputOrder) {
  // Sorted: 0.01 (x3 = 0.03), 0.02 (x2 = 0.04), 0.04 (x1, but at least the
  // previous 0.04).
  absl::StatusOr<std::vector<double>> adjusted =
      HolmAdjust({0.04, 0.01, 0.02});
  ASSERT_TRUE(adjusted.ok());
  EXPECT_DOUBLE_EQ((*adjusted)[0], 0.04);
  EXPECT_DOUBLE_EQ((*adjusted)[1], 0.03);
  EXPECT_DOUBLE_EQ((*adjusted)[2], 0.04);
}

TEST(HolmAdjustTest, CapsAtOneAndKeepsMonotonicity) {
  absl::StatusOr<std::vector<double>> adjusted = HolmAdjust({0.5, 0.3});
  ASSERT_TRUE(adjusted.ok());
  EXPECT_DOUBLE_EQ((*adjusted)[0], 0.6);
  EXPECT_DOUBLE_EQ((*adjusted)[1], 0.6);
  EXPECT_TRUE(HolmAdjust({}).ok());
}

TEST(HolmAdjustTest, RejectsValuesOutsideTheUnitInterval) {
  EXPECT_FALSE(HolmAdjust({0.1, 1.5}).ok());
  EXPECT_FALSE(HolmAdjust({std::nan("")}).ok());
}

}  // namespace
}  // namespace stats
}  // namespace mailshake
