#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "src/stats/json_fields.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace stats {
namespace {

constexpr int kMinSignificantDigits = 1;
constexpr int kMaxSignificantDigits = 5;
constexpr int64_t kMinHighestTrackableValue = 2;
constexpr int64_t kMaxHighestTrackableValue = int64_t{1} << 62;

std::string DescribeConfig(const HistogramConfig& config) {
  return absl::StrFormat("%d significant digits up to %d",
                         config.significant_digits,
                         config.highest_trackable_value);
}

}  // namespace

absl::Status ValidateHistogramConfig(const HistogramConfig& config) {
  if (config.significant_digits < kMinSignificantDigits ||
      config.significant_digits > kMaxSignificantDigits) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "histogram significant_digits is %d; it must be between %d and %d",
        config.significant_digits, kMinSignificantDigits,
        kMaxSignificantDigits));
  }
  if (config.highest_trackable_value < kMinHighestTrackableValue ||
      config.highest_trackable_value > kMaxHighestTrackableValue) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "histogram highest_trackable_value is %d; it must be between %d and "
        "%d",
        config.highest_trackable_value, kMinHighestTrackableValue,
        kMaxHighestTrackableValue));
  }
  return absl::OkStatus();
}

LatencyHistogram::LatencyHistogram() : LatencyHistogram(HistogramConfig()) {}

LatencyHistogram::LatencyHistogram(const HistogramConfig& config)
    : config_(config) {
  // Values below 2 * 10^digits must be exact, so the first segment needs that
  // many unit-wide sub-buckets, rounded up to a power of two. Every later
  // segment doubles the width and reuses the upper half of the sub-buckets.
  int64_t largest_exact = 2;
  for (int i = 0; i < config.significant_digits; ++i) largest_exact *= 10;
  int sub_bucket_count_magnitude = 0;
  while ((int64_t{1} << sub_bucket_count_magnitude) < largest_exact) {
    ++sub_bucket_count_magnitude;
  }
  sub_bucket_half_count_magnitude_ =
      std::max(sub_bucket_count_magnitude, 1) - 1;
  sub_bucket_half_count_ = int64_t{1} << sub_bucket_half_count_magnitude_;
  const uint64_t sub_bucket_count = uint64_t{1}
                                    << (sub_bucket_half_count_magnitude_ + 1);
  sub_bucket_mask_ = sub_bucket_count - 1;

  // Segments needed so that highest_trackable_value has a bucket.
  // highest_trackable_value <= 2^62 keeps the shift below within uint64_t.
  uint64_t smallest_untrackable = sub_bucket_count;
  size_t bucket_count = 1;
  while (smallest_untrackable <=
         static_cast<uint64_t>(config.highest_trackable_value)) {
    smallest_untrackable <<= 1;
    ++bucket_count;
  }
  counts_.assign((bucket_count + 1) * static_cast<size_t>(sub_bucket_half_count_),
                 0);
}

absl::StatusOr<LatencyHistogram> LatencyHistogram::Create(
    const HistogramConfig& config) {
  absl::Status status = ValidateHistogramConfig(config);
  if (!status.ok()) return status;
  return LatencyHistogram(config);
}

int64_t LatencyHistogram::ValueFromIndex(size_t index) const {
  int bucket = static_cast<int>(index >> sub_bucket_half_count_magnitude_) - 1;
  int64_t sub_bucket =
      static_cast<int64_t>(index & static_cast<size_t>(sub_bucket_half_count_ - 1)) +
      sub_bucket_half_count_;
  if (bucket < 0) {
    sub_bucket -= sub_bucket_half_count_;
    bucket = 0;
  }
  return sub_bucket << bucket;
}

int64_t LatencyHistogram::BucketWidthAtIndex(size_t index) const {
  const int bucket =
      std::max(static_cast<int>(index >> sub_bucket_half_count_magnitude_) - 1, 0);
  return int64_t{1} << bucket;
}

int64_t LatencyHistogram::LowestEquivalentValue(int64_t value) const {
  if (value < 0) value = 0;
  const int bucket = BucketIndexOf(value);
  return (value >> bucket) << bucket;
}

int64_t LatencyHistogram::HighestEquivalentValue(int64_t value) const {
  if (value < 0) value = 0;
  const int bucket = BucketIndexOf(value);
  // Written as lowest + (width - 1): lowest + width can be 2^63.
  return ((value >> bucket) << bucket) + ((int64_t{1} << bucket) - 1);
}

absl::Status LatencyHistogram::CheckMergeable(
    const LatencyHistogram& other) const {
  if (config_ != other.config_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "cannot merge histograms with different configurations (%s into %s); "
        "record both with the same HistogramConfig",
        DescribeConfig(other.config_), DescribeConfig(config_)));
  }
  int64_t unused;
  if (__builtin_add_overflow(total_count_, other.total_count_, &unused) ||
      __builtin_add_overflow(overflow_count_, other.overflow_count_, &unused) ||
      __builtin_add_overflow(negative_count_, other.negative_count_, &unused)) {
    return absl::OutOfRangeError(
        "merging the histograms would overflow a 64-bit count");
  }
  return absl::OkStatus();
}

void LatencyHistogram::MergeUnchecked(const LatencyHistogram& other) {
  if (other.total_count_ > 0) {
    // Only the index range between the other histogram's extremes can hold
    // counts; no bucket count can overflow because the totals do not.
    const size_t first = CountsIndex(other.min_);
    const size_t last = CountsIndex(other.max_);
    for (size_t i = first; i <= last; ++i) counts_[i] += other.counts_[i];
    total_count_ += other.total_count_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  overflow_count_ += other.overflow_count_;
  negative_count_ += other.negative_count_;
}

absl::Status LatencyHistogram::Merge(const LatencyHistogram& other) {
  absl::Status status = CheckMergeable(other);
  if (!status.ok()) return status;
  MergeUnchecked(other);
  return absl::OkStatus();
}

void LatencyHistogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_count_ = 0;
  min_ = std::numeric_limits<int64_t>::max();
  max_ = 0;
  overflow_count_ = 0;
  negative_count_ = 0;
}

double LatencyHistogram::Mean() const {
  if (total_count_ == 0) return 0;
  double sum = 0;
  const size_t last = CountsIndex(max_);
  for (size_t i = CountsIndex(min_); i <= last; ++i) {
    if (counts_[i] == 0) continue;
    const double midpoint =
        ValueFromIndex(i) + (BucketWidthAtIndex(i) - 1) / 2.0;
    sum += static_cast<double>(counts_[i]) * midpoint;
  }
  const double mean = sum / static_cast<double>(total_count_);
  return std::clamp(mean, static_cast<double>(min_), static_cast<double>(max_));
}

double LatencyHistogram::Stddev() const {
  if (total_count_ == 0) return 0;
  const double mean = Mean();
  double sum_squares = 0;
  const size_t last = CountsIndex(max_);
  for (size_t i = CountsIndex(min_); i <= last; ++i) {
    if (counts_[i] == 0) continue;
    const double midpoint =
        ValueFromIndex(i) + (BucketWidthAtIndex(i) - 1) / 2.0;
    const double deviation = midpoint - mean;
    sum_squares += static_cast<double>(counts_[i]) * deviation * deviation;
  }
  return std::sqrt(sum_squares / static_cast<double>(total_count_));
}

int64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  if (total_count_ == 0) return 0;
  if (std::isnan(percentile) || percentile <= 0) return min_;
  if (percentile >= 100) return max_;
  // The rank of the wanted value, rounded to nearest as HdrHistogram does.
  // Compared in double first so that the conversion cannot overflow.
  const double rank = percentile / 100.0 * static_cast<double>(total_count_) + 0.5;
  int64_t target = total_count_;
  if (rank < static_cast<double>(total_count_)) {
    target = std::max<int64_t>(1, static_cast<int64_t>(rank));
  }
  int64_t seen = 0;
  const size_t last = CountsIndex(max_);
  for (size_t i = CountsIndex(min_); i <= last; ++i) {
    seen += counts_[i];
    if (seen >= target) {
      const int64_t highest = ValueFromIndex(i) + (BucketWidthAtIndex(i) - 1);
      return std::min(highest, max_);
    }
  }
  return max_;
}

std::vector<HistogramBucket> LatencyHistogram::Buckets() const {
  std::vector<HistogramBucket> buckets;
  if (total_count_ == 0) return buckets;
  const size_t last = CountsIndex(max_);
  for (size_t i = CountsIndex(min_); i <= last; ++i) {
    if (counts_[i] == 0) continue;
    const int64_t lowest = ValueFromIndex(i);
    buckets.push_back(HistogramBucket{
        lowest, lowest + (BucketWidthAtIndex(i) - 1), counts_[i]});
  }
  return buckets;
}

HistogramSnapshot LatencyHistogram::Snapshot() const {
  HistogramSnapshot snapshot;
  snapshot.config = config_;
  snapshot.buckets = Buckets();
  snapshot.min = Min();
  snapshot.max = Max();
  snapshot.overflow_count = overflow_count_;
  snapshot.negative_count = negative_count_;
  return snapshot;
}

absl::StatusOr<LatencyHistogram> LatencyHistogram::FromSnapshot(
    const HistogramSnapshot& snapshot) {
  absl::StatusOr<LatencyHistogram> created = Create(snapshot.config);
  if (!created.ok()) return created.status();
  LatencyHistogram& h = *created;
  const HistogramConfig& config = snapshot.config;

  if (snapshot.overflow_count < 0 || snapshot.negative_count < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "histogram overflow count %d and negative count %d must not be "
        "negative",
        snapshot.overflow_count, snapshot.negative_count));
  }
  int64_t total = 0;
  int64_t previous_highest = -1;
  for (size_t k = 0; k < snapshot.buckets.size(); ++k) {
    const HistogramBucket& b = snapshot.buckets[k];
    if (b.count <= 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "histogram bucket %d has count %d; listed buckets must have a "
          "positive count",
          k, b.count));
    }
    if (b.lowest < 0 || b.lowest > config.highest_trackable_value) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "histogram bucket %d starts at %d, outside the trackable range "
          "[0, %d]",
          k, b.lowest, config.highest_trackable_value));
    }
    const int64_t expected_lowest = h.LowestEquivalentValue(b.lowest);
    const int64_t expected_highest = h.HighestEquivalentValue(b.lowest);
    if (b.lowest != expected_lowest || b.highest != expected_highest) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "histogram bucket %d is [%d, %d], which is not a bucket of a "
          "histogram with %s (the bucket holding %d is [%d, %d])",
          k, b.lowest, b.highest, DescribeConfig(config), b.lowest,
          expected_lowest, expected_highest));
    }
    if (b.lowest <= previous_highest) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "histogram bucket %d starts at %d, not above the previous bucket's "
          "end %d; buckets must be listed once each in ascending order",
          k, b.lowest, previous_highest));
    }
    if (__builtin_add_overflow(total, b.count, &total)) {
      return absl::InvalidArgumentError(
          "histogram bucket counts add up to more than a 64-bit count");
    }
    h.counts_[h.CountsIndex(b.lowest)] = b.count;
    previous_highest = b.highest;
  }

  if (!snapshot.buckets.empty()) {
    const HistogramBucket& first = snapshot.buckets.front();
    const HistogramBucket& last = snapshot.buckets.back();
    if (snapshot.min < first.lowest || snapshot.min > first.highest) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "histogram min %d is not in its first bucket [%d, %d]", snapshot.min,
          first.lowest, first.highest));
    }
    if (snapshot.max < last.lowest || snapshot.max > last.highest ||
        snapshot.max > config.highest_trackable_value) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "histogram max %d is not in its last bucket [%d, %d] capped at the "
          "highest trackable value %d",
          snapshot.max, last.lowest, last.highest,
          config.highest_trackable_value));
    }
    if (snapshot.min > snapshot.max) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "histogram min %d is greater than its max %d", snapshot.min,
          snapshot.max));
    }
    h.min_ = snapshot.min;
    h.max_ = snapshot.max;
  }
  h.total_count_ = total;
  h.overflow_count_ = snapshot.overflow_count;
  h.negative_count_ = snapshot.negative_count;
  return created;
}

nlohmann::json LatencyHistogram::ToJson() const {
  nlohmann::json json = nlohmann::json::object();
  internal::WriteHistogramConfig(config_, &json);
  internal::WriteHistogramBody(*this, &json);
  return json;
}

absl::StatusOr<LatencyHistogram> LatencyHistogram::FromJson(
    const nlohmann::json& json) {
  constexpr absl::string_view kContext = "histogram";
  absl::StatusOr<HistogramConfig> config =
      internal::ReadHistogramConfig(json, kContext);
  if (!config.ok()) return config.status();
  return internal::ReadHistogramBody(json, *config, kContext);
}

}  // namespace stats
}  // namespace mailshake
