#include "src/html/scale.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "src/html/format.h"

namespace mailshake {
namespace html {
namespace internal {
namespace {

TEST(InverseTailTest, NinesAreEquallySpaced) {
  EXPECT_DOUBLE_EQ(InverseTailPosition(0), 0);
  EXPECT_NEAR(InverseTailPosition(0.9), 1, 1e-12);
  EXPECT_NEAR(InverseTailPosition(0.99), 2, 1e-12);
  EXPECT_NEAR(InverseTailPosition(0.999), 3, 1e-9);
  EXPECT_NEAR(InverseTailPosition(0.5), std::log10(2.0), 1e-12);
  EXPECT_TRUE(std::isinf(InverseTailPosition(1)));
  EXPECT_EQ(InverseTailPosition(-0.5), 0);
  for (double pos : {0.0, 0.3, 1.0, 2.5, 4.0, 6.0}) {
    EXPECT_NEAR(InverseTailPosition(InverseTailFraction(pos)), pos, 1e-6);
  }
}

TEST(ScaleTest, LogScaleMapsDecadesToEqualDistances) {
  const Scale s = Scale::Log(1e3, 1e6, 300, 0);  // a y axis: up is smaller
  EXPECT_NEAR(s.Map(1e3), 300, 1e-9);
  EXPECT_NEAR(s.Map(1e4), 200, 1e-9);
  EXPECT_NEAR(s.Map(1e5), 100, 1e-9);
  EXPECT_NEAR(s.Map(1e6), 0, 1e-9);
  EXPECT_NEAR(s.Map(std::sqrt(10.0) * 1e3), 250, 1e-9);
  EXPECT_TRUE(std::isfinite(s.Map(0)));  // clamped, not -inf
}

TEST(ScaleTest, LinearScale) {
  const Scale s = Scale::Linear(0, 50, 10, 110);
  EXPECT_DOUBLE_EQ(s.Map(0), 10);
  EXPECT_DOUBLE_EQ(s.Map(25), 60);
  EXPECT_DOUBLE_EQ(s.Map(50), 110);
}

TEST(ScaleTest, NiceLinearRangeEndsOnSteps) {
  Range r = NiceLinearRange(0, 4123);
  EXPECT_EQ(r.lo, 0);
  EXPECT_EQ(r.hi, 5000);
  EXPECT_EQ(NiceLinearTicks(r), (std::vector<double>{0, 1000, 2000, 3000, 4000, 5000}));
  r = NiceLinearRange(0, 0);  // empty: widened
  EXPECT_GT(r.hi, r.lo);
  r = NiceLinearRange(0, 7);
  EXPECT_EQ(r.hi, 8);
}

TEST(ScaleTest, NiceLogRangeSnapsTo125) {
  Range r = NiceLogRange(130'000, 4'200'000);
  EXPECT_DOUBLE_EQ(r.lo, 100'000);
  EXPECT_DOUBLE_EQ(r.hi, 5'000'000);
  EXPECT_EQ(LogTicks(r), (std::vector<double>{1e5, 2e5, 5e5, 1e6, 2e6, 5e6}));
  r = NiceLogRange(1e3, 1e9);
  EXPECT_EQ(LogTicks(r), (std::vector<double>{1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}));
  r = NiceLogRange(2000, 2000);  // one value: still a range
  EXPECT_GT(r.hi, r.lo);
  r = NiceLogRange(0, 10);  // 0 cannot be on a log axis
  EXPECT_GT(r.lo, 0);
}

TEST(FormatLatencyTest, PicksTheUnit) {
  EXPECT_EQ(FormatLatency(850), "850 ns");
  EXPECT_EQ(FormatLatency(12'345), "12.3 µs");
  EXPECT_EQ(FormatLatency(999'700), "1.00 ms");
  EXPECT_EQ(FormatLatency(1'050'000), "1.05 ms");
  EXPECT_EQ(FormatLatency(2.5e9), "2.50 s");
  EXPECT_EQ(FormatLatency(0), "0 ns");
  EXPECT_EQ(FormatLatency(NAN), "-");
}

TEST(FormatLatencyTest, TicksHaveNoTrailingZeros) {
  EXPECT_EQ(FormatLatencyTick(10'000), "10 µs");
  EXPECT_EQ(FormatLatencyTick(1e6), "1 ms");
  EXPECT_EQ(FormatLatencyTick(2.5e9), "2.5 s");
  EXPECT_EQ(FormatLatencyTick(200), "200 ns");
  EXPECT_EQ(FormatTick(1000), "1000");
  EXPECT_EQ(FormatTick(0.02), "0.02");
  EXPECT_EQ(FormatTick(0), "0");
}

}  // namespace
}  // namespace internal
}  // namespace html
}  // namespace mailshake
