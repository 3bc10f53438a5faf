// Mergeable run statistics: latency histograms, per-phase histogram sets,
// per-second time series and categorical counters.
//
// Every type here is built to be owned by one thread (one recorder per load
// worker, nothing shared on the hot path) and merged losslessly afterwards,
// within a process or across processes and machines through the JSON forms.
// None of the types is thread-safe; none of them knows about SMTP or TLS.
//
// Example:
//
//   absl::StatusOr<LatencyHistogram> h =
//       LatencyHistogram::Create(HistogramConfig{3, 60'000'000'000});
//   if (!h.ok()) return h.status();
//   h->Record(elapsed_ns);            // O(1), never allocates
//   ...
//   absl::Status s = total.Merge(*h);  // lossless; fails on config mismatch
//   int64_t p99 = total.ValueAtPercentile(99.0);

#ifndef MAILSHAKE_SRC_STATS_STATS_H_
#define MAILSHAKE_SRC_STATS_STATS_H_

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "absl/base/optimization.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mailshake {
namespace stats {

// HistogramConfig fixes the range and precision of a LatencyHistogram, and
// with them its memory. Values are non-negative integers, by convention
// nanoseconds; the lowest discernible value is 1.
struct HistogramConfig {
  // |significant_digits| (1 to 5) is the number of decimal digits a recorded
  // value keeps: any value is stored in a bucket whose width is at most
  // 1/10^|significant_digits| of the value (HdrHistogram's guarantee; with
  // 3 digits the bound is in fact 1/1024). Values below 2*10^digits are exact.
  int significant_digits = 3;
  // |highest_trackable_value| (at least 2, at most 2^62) is the largest value
  // counted in the buckets. Larger values are counted as overflow. The default
  // is one hour in nanoseconds.
  int64_t highest_trackable_value = int64_t{3'600'000'000'000};

  friend bool operator==(const HistogramConfig& a, const HistogramConfig& b) {
    return a.significant_digits == b.significant_digits &&
           a.highest_trackable_value == b.highest_trackable_value;
  }
  friend bool operator!=(const HistogramConfig& a, const HistogramConfig& b) {
    return !(a == b);
  }
};

// ValidateHistogramConfig returns OK if |config| is within the limits
// documented on HistogramConfig and InvalidArgument otherwise.
absl::Status ValidateHistogramConfig(const HistogramConfig& config);

// HistogramBucket is one non-empty bucket: |count| values v, all with
// |lowest| <= v <= |highest| (both bounds inclusive).
struct HistogramBucket {
  int64_t lowest = 0;
  int64_t highest = 0;
  int64_t count = 0;

  friend bool operator==(const HistogramBucket& a, const HistogramBucket& b) {
    return a.lowest == b.lowest && a.highest == b.highest &&
           a.count == b.count;
  }
};

// HistogramSnapshot is the complete, serializable content of a
// LatencyHistogram: what a result file stores and what a reader rebuilds a
// histogram from.
struct HistogramSnapshot {
  HistogramConfig config;
  // Non-empty buckets in ascending order of value.
  std::vector<HistogramBucket> buckets;
  // Exact smallest and largest values counted in |buckets|; meaningless when
  // |buckets| is empty.
  int64_t min = 0;
  int64_t max = 0;
  // Values recorded above |config.highest_trackable_value|.
  int64_t overflow_count = 0;
  // Negative values recorded (a clock or caller bug; kept so it shows).
  int64_t negative_count = 0;
};

// LatencyHistogram counts values in log-linear buckets, HdrHistogram's
// layout: the range [0, highest_trackable_value] is cut into power-of-two
// segments, each split into 2^k equal sub-buckets, so every bucket's width is
// within the configured relative precision of its values. Memory is fixed at
// construction (about 270 KB for the default 3 digits over one hour),
// recording is O(1) and never allocates, and merging two histograms of the
// same config is exact.
//
// Values above the trackable range are counted in OverflowCount() and
// negative values in NegativeCount(); neither is dropped silently, but neither
// takes part in Count(), Min(), Max(), Mean(), Stddev() or percentiles, which
// describe the in-range values only.
class LatencyHistogram {
 public:
  // Constructs an empty histogram with the default HistogramConfig.
  LatencyHistogram();

  // Create returns an empty histogram for |config|, or InvalidArgument if the
  // config is out of range.
  static absl::StatusOr<LatencyHistogram> Create(const HistogramConfig& config);

  // FromSnapshot rebuilds the histogram described by |snapshot|. It returns
  // InvalidArgument if the config is invalid, if a bucket's bounds are not
  // exactly a bucket of that config, if buckets are empty, out of order or
  // repeated, if min/max do not fall in the first/last bucket, or if counts
  // are negative or their sum overflows.
  static absl::StatusOr<LatencyHistogram> FromSnapshot(
      const HistogramSnapshot& snapshot);

  // FromJson parses the form written by ToJson, with the validation of
  // FromSnapshot plus type and consistency checks on every field; errors name
  // the offending field.
  static absl::StatusOr<LatencyHistogram> FromJson(const nlohmann::json& json);

  LatencyHistogram(const LatencyHistogram&) = default;
  LatencyHistogram& operator=(const LatencyHistogram&) = default;
  LatencyHistogram(LatencyHistogram&&) noexcept = default;
  LatencyHistogram& operator=(LatencyHistogram&&) noexcept = default;

  const HistogramConfig& config() const { return config_; }

  // Record counts one occurrence of |value|.
  void Record(int64_t value) {
    if (ABSL_PREDICT_FALSE(value < 0)) {
      ++negative_count_;
      return;
    }
    if (ABSL_PREDICT_FALSE(value > config_.highest_trackable_value)) {
      ++overflow_count_;
      return;
    }
    ++counts_[CountsIndex(value)];
    ++total_count_;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }

  // Merge adds every count of |other| to this histogram, exactly as if its
  // values had been recorded here. It returns InvalidArgument, leaving this
  // histogram unchanged, if the configs differ, and OutOfRange if a count
  // would overflow.
  absl::Status Merge(const LatencyHistogram& other);

  // Reset empties the histogram, keeping its config and memory.
  void Reset();

  // Count returns the number of in-range values recorded.
  int64_t Count() const { return total_count_; }
  // OverflowCount returns the number of values above the trackable range.
  int64_t OverflowCount() const { return overflow_count_; }
  // NegativeCount returns the number of negative values recorded.
  int64_t NegativeCount() const { return negative_count_; }
  // Min and Max return the exact smallest and largest in-range values, or 0
  // if there are none.
  int64_t Min() const { return total_count_ == 0 ? 0 : min_; }
  int64_t Max() const { return total_count_ == 0 ? 0 : max_; }

  // Mean and Stddev (population standard deviation) are computed from each
  // bucket's midpoint, so they carry the histogram's relative precision and
  // are identical for merged and reconstructed histograms. Both return 0 for
  // an empty histogram; the mean is clamped to [Min(), Max()].
  double Mean() const;
  double Stddev() const;

  // ValueAtPercentile returns, for |percentile| in [0, 100], HdrHistogram's
  // value at that percentile: with N = Count() and
  // k = max(1, round(percentile/100 * N)), the highest value equivalent to the
  // k-th smallest recorded value (the upper bound of its bucket), capped at
  // Max(). So the result is never below the true k-th value and exceeds it by
  // less than the bucket width. ValueAtPercentile(0) returns Min() and
  // ValueAtPercentile(100) returns Max(). |percentile| outside [0, 100] is
  // clamped and NaN is treated as 0. An empty histogram returns 0.
  int64_t ValueAtPercentile(double percentile) const;

  // LowestEquivalentValue and HighestEquivalentValue return the inclusive
  // bounds of the bucket that holds |value|: all values in that range are
  // indistinguishable to this histogram. Negative values are treated as 0.
  int64_t LowestEquivalentValue(int64_t value) const;
  int64_t HighestEquivalentValue(int64_t value) const;

  // Buckets returns the non-empty buckets in ascending order of value.
  std::vector<HistogramBucket> Buckets() const;

  // Snapshot returns everything needed to rebuild this histogram.
  HistogramSnapshot Snapshot() const;

  // ToJson returns the compact JSON form:
  //   {"significant_digits": 3, "highest_trackable_value": 3600000000000,
  //    "count": 5, "min": 1000, "max": 2300, "overflow": 0, "negative": 0,
  //    "buckets": [[1000, 3], [2300, 2]]}
  // Each bucket is [lowest value, count]; its upper bound follows from the
  // config. "min" and "max" are present only when "count" is non-zero.
  nlohmann::json ToJson() const;

 private:
  friend class PhaseHistograms;
  friend class TimeSeries;

  explicit LatencyHistogram(const HistogramConfig& config);

  int BucketIndexOf(int64_t value) const {
    // The position of the highest set bit, counting the sub-bucket mask so
    // that every value below the first segment's end lands in bucket 0.
    const uint64_t v = static_cast<uint64_t>(value) | sub_bucket_mask_;
    return 63 - __builtin_clzll(v) - sub_bucket_half_count_magnitude_;
  }
  size_t CountsIndex(int64_t value) const {
    const int bucket = BucketIndexOf(value);
    const int64_t sub_bucket = value >> bucket;
    return (static_cast<size_t>(bucket + 1)
            << sub_bucket_half_count_magnitude_) +
           static_cast<size_t>(sub_bucket - sub_bucket_half_count_);
  }
  int64_t ValueFromIndex(size_t index) const;
  int64_t BucketWidthAtIndex(size_t index) const;
  // CheckMergeable returns the status Merge would fail with, or OK.
  absl::Status CheckMergeable(const LatencyHistogram& other) const;
  // MergeUnchecked performs a merge that CheckMergeable has allowed.
  void MergeUnchecked(const LatencyHistogram& other);

  HistogramConfig config_;
  int sub_bucket_half_count_magnitude_ = 0;
  int64_t sub_bucket_half_count_ = 0;
  uint64_t sub_bucket_mask_ = 0;
  std::vector<int64_t> counts_;
  int64_t total_count_ = 0;
  int64_t min_ = std::numeric_limits<int64_t>::max();
  int64_t max_ = 0;
  int64_t overflow_count_ = 0;
  int64_t negative_count_ = 0;
};

// PhaseHistograms is a fixed set of LatencyHistograms sharing one config,
// addressed by a small integer (the caller's phase enum): one per phase of an
// attempt, for instance. It knows nothing about what the phases are.
class PhaseHistograms {
 public:
  // Create returns |phase_count| (1 to 64) empty histograms of |config|, or
  // InvalidArgument.
  static absl::StatusOr<PhaseHistograms> Create(int phase_count,
                                                const HistogramConfig& config);

  // FromJson parses the form written by ToJson, validating every histogram
  // and that they share one config.
  static absl::StatusOr<PhaseHistograms> FromJson(const nlohmann::json& json);

  int phase_count() const { return static_cast<int>(phases_.size()); }
  const HistogramConfig& config() const { return phases_.front().config(); }

  // Record counts |value| in phase |phase|. |phase| must be in
  // [0, phase_count()); the process aborts with a message otherwise, since
  // that is a programming error that must not corrupt memory.
  void Record(int phase, int64_t value) { Mutable(phase).Record(value); }

  // phase returns the histogram of |phase|, under Record's precondition.
  const LatencyHistogram& phase(int phase) const;

  // Merge merges |other| phase by phase. It returns InvalidArgument if the
  // phase counts or configs differ and OutOfRange on count overflow; on error
  // nothing is changed.
  absl::Status Merge(const PhaseHistograms& other);

  // ToJson returns {"phases": [<LatencyHistogram::ToJson()>, ...]}, indexed
  // by phase.
  nlohmann::json ToJson() const;

 private:
  explicit PhaseHistograms(std::vector<LatencyHistogram> phases)
      : phases_(std::move(phases)) {}
  // CheckPhase aborts the process unless 0 <= |phase| < phase_count().
  void CheckPhase(int phase) const {
    if (ABSL_PREDICT_FALSE(phase < 0 || phase >= phase_count())) {
      DieOfBadPhase(phase);
    }
  }
  [[noreturn]] void DieOfBadPhase(int phase) const;
  LatencyHistogram& Mutable(int phase) {
    CheckPhase(phase);
    return phases_[static_cast<size_t>(phase)];
  }

  std::vector<LatencyHistogram> phases_;
};

// SecondStats is what TimeSeries keeps for one second: the outcomes that fell
// in it and the latency of its successes.
struct SecondStats {
  int64_t successes = 0;
  int64_t failures = 0;
  LatencyHistogram latency;
};

// AddElementwise adds |from| to |into| index by index, first growing |into|
// with zeros to |from|'s length: how per-window counts recorded over the
// same windows (several threads, several processes) add up.
void AddElementwise(const std::vector<int64_t>& from, std::vector<int64_t>* into);

// TimeSeries holds per-second outcome counts and latency histograms, keyed by
// a wall-clock second index chosen by the caller (Unix seconds, so series from
// different processes and machines line up when merged). Seconds that saw no
// record take no memory. Each second's histogram costs the config's fixed
// size (about 5 KB with the default one significant digit over one hour,
// which bounds the relative error at 1/16): per-second histograms are for
// plotting, the phase histograms carry the precise distribution.
class TimeSeries {
 public:
  // The per-second histogram config used by the default constructor.
  static constexpr HistogramConfig kDefaultHistogramConfig = {
      1, int64_t{3'600'000'000'000}};

  // Constructs an empty series with kDefaultHistogramConfig.
  TimeSeries();

  // Create returns an empty series whose seconds use |histogram_config|, or
  // InvalidArgument.
  static absl::StatusOr<TimeSeries> Create(
      const HistogramConfig& histogram_config);

  // FromJson parses the form written by ToJson, validating every field.
  static absl::StatusOr<TimeSeries> FromJson(const nlohmann::json& json);

  const HistogramConfig& histogram_config() const { return config_; }

  // RecordSuccess counts a success in |second| and records its latency.
  // Recording into the latest second touched so far is O(1); an earlier or a
  // new second costs a map lookup, and a new second one allocation.
  void RecordSuccess(int64_t second, int64_t latency_ns) {
    SecondStats& s = At(second);
    ++s.successes;
    s.latency.Record(latency_ns);
  }

  // RecordFailure counts a failure in |second|.
  void RecordFailure(int64_t second) { ++At(second).failures; }

  // Merge adds |other| second by second. It returns InvalidArgument if the
  // histogram configs differ and OutOfRange on count overflow; on error
  // nothing is changed.
  absl::Status Merge(const TimeSeries& other);

  // seconds returns the seconds that saw a record, in ascending order.
  const std::map<int64_t, SecondStats>& seconds() const { return seconds_; }

  // ToJson returns
  //   {"significant_digits": 1, "highest_trackable_value": ...,
  //    "seconds": [{"second": 1700000000, "successes": 10, "failures": 1,
  //                 "latency": {"count": ..., "min": ..., "max": ...,
  //                             "overflow": ..., "negative": ...,
  //                             "buckets": [[lowest, count], ...]}}, ...]}
  // The config is written once; each second's "latency" omits it.
  nlohmann::json ToJson() const;

 private:
  explicit TimeSeries(const HistogramConfig& config) : config_(config) {}
  SecondStats& At(int64_t second);

  HistogramConfig config_;
  std::map<int64_t, SecondStats> seconds_;
};

// CounterMap counts categorical facts: negotiated cipher name -> count,
// failure category -> count, and so on. Keys are arbitrary strings.
class CounterMap {
 public:
  CounterMap() = default;

  // FromJson parses the form written by ToJson: an object whose values are
  // non-negative integers. Anything else is InvalidArgument.
  static absl::StatusOr<CounterMap> FromJson(const nlohmann::json& json);

  // Increment adds one to |key|'s count. Allocates only for a new key.
  void Increment(absl::string_view key);

  // Add adds |n| to |key|'s count. It returns InvalidArgument for negative
  // |n| and OutOfRange if the count would overflow; on error nothing changes.
  absl::Status Add(absl::string_view key, int64_t n);

  // Get returns |key|'s count, 0 if it was never counted.
  int64_t Get(absl::string_view key) const;

  // Total returns the sum of all counts.
  int64_t Total() const { return total_; }

  // size returns the number of distinct keys.
  size_t size() const { return counts_.size(); }

  // Merge adds every count of |other|. It returns OutOfRange, changing
  // nothing, if any count would overflow.
  absl::Status Merge(const CounterMap& other);

  // SortedByCount returns the entries by descending count, ties broken by
  // ascending key, so output is deterministic.
  std::vector<std::pair<std::string, int64_t>> SortedByCount() const;

  // ToJson returns {"key": count, ...} with keys in ascending order.
  nlohmann::json ToJson() const;

 private:
  absl::flat_hash_map<std::string, int64_t> counts_;
  int64_t total_ = 0;
};

}  // namespace stats
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_STATS_STATS_H_
