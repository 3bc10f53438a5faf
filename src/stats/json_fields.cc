#include "src/stats/json_fields.h"

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace stats {
namespace internal {
namespace {

// TypeName names a JSON value's type the way a user reading the file would.
const char* TypeName(const nlohmann::json& value) {
  if (value.is_number_float()) return "a floating-point number";
  if (value.is_number_integer()) return "an integer";
  return value.type_name();
}

}  // namespace

absl::Status RequireObject(const nlohmann::json& json,
                           absl::string_view context) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        context, ": expected a JSON object, found ", json.type_name()));
  }
  return absl::OkStatus();
}

absl::StatusOr<const nlohmann::json*> GetField(const nlohmann::json& json,
                                               absl::string_view key,
                                               absl::string_view context) {
  absl::Status status = RequireObject(json, context);
  if (!status.ok()) return status;
  auto it = json.find(std::string(key));
  if (it == json.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": missing field \"", key, "\""));
  }
  return &*it;
}

absl::StatusOr<int64_t> AsNonNegativeInt64(const nlohmann::json& value,
                                           absl::string_view what) {
  if (value.is_number_unsigned()) {
    const uint64_t v = value.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s is %d, beyond the largest 64-bit signed integer", what, v));
    }
    return static_cast<int64_t>(v);
  }
  if (value.is_number_integer()) {
    const int64_t v = value.get<int64_t>();
    if (v < 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s is %d; it must not be negative", what, v));
    }
    return v;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      what, " must be a non-negative integer, found ", TypeName(value)));
}

absl::StatusOr<int64_t> AsInt64(const nlohmann::json& value,
                                absl::string_view what) {
  if (value.is_number_integer() && !value.is_number_unsigned()) {
    return value.get<int64_t>();
  }
  return AsNonNegativeInt64(value, what);
}

absl::StatusOr<int64_t> GetNonNegativeInt64(const nlohmann::json& json,
                                            absl::string_view key,
                                            absl::string_view context) {
  absl::StatusOr<const nlohmann::json*> field = GetField(json, key, context);
  if (!field.ok()) return field.status();
  return AsNonNegativeInt64(**field,
                            absl::StrCat(context, ": field \"", key, "\""));
}

void WriteHistogramConfig(const HistogramConfig& config, nlohmann::json* out) {
  (*out)["significant_digits"] = config.significant_digits;
  (*out)["highest_trackable_value"] = config.highest_trackable_value;
}

absl::StatusOr<HistogramConfig> ReadHistogramConfig(const nlohmann::json& json,
                                                    absl::string_view context) {
  absl::StatusOr<int64_t> digits =
      GetNonNegativeInt64(json, "significant_digits", context);
  if (!digits.ok()) return digits.status();
  absl::StatusOr<int64_t> highest =
      GetNonNegativeInt64(json, "highest_trackable_value", context);
  if (!highest.ok()) return highest.status();
  if (*digits > 1000) {  // Keep the narrowing below exact; validated next.
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: field \"significant_digits\" is %d; it must be between 1 and 5",
        context, *digits));
  }
  HistogramConfig config;
  config.significant_digits = static_cast<int>(*digits);
  config.highest_trackable_value = *highest;
  absl::Status status = ValidateHistogramConfig(config);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": ", status.message()));
  }
  return config;
}

void WriteHistogramBody(const LatencyHistogram& histogram,
                        nlohmann::json* out) {
  (*out)["count"] = histogram.Count();
  if (histogram.Count() > 0) {
    (*out)["min"] = histogram.Min();
    (*out)["max"] = histogram.Max();
  }
  (*out)["overflow"] = histogram.OverflowCount();
  (*out)["negative"] = histogram.NegativeCount();
  nlohmann::json buckets = nlohmann::json::array();
  for (const HistogramBucket& b : histogram.Buckets()) {
    buckets.push_back(nlohmann::json::array({b.lowest, b.count}));
  }
  (*out)["buckets"] = std::move(buckets);
}

absl::StatusOr<LatencyHistogram> ReadHistogramBody(const nlohmann::json& json,
                                                   const HistogramConfig& config,
                                                   absl::string_view context) {
  absl::StatusOr<LatencyHistogram> empty = LatencyHistogram::Create(config);
  if (!empty.ok()) return empty.status();

  HistogramSnapshot snapshot;
  snapshot.config = config;
  absl::StatusOr<int64_t> count = GetNonNegativeInt64(json, "count", context);
  if (!count.ok()) return count.status();
  absl::StatusOr<int64_t> overflow =
      GetNonNegativeInt64(json, "overflow", context);
  if (!overflow.ok()) return overflow.status();
  snapshot.overflow_count = *overflow;
  absl::StatusOr<int64_t> negative =
      GetNonNegativeInt64(json, "negative", context);
  if (!negative.ok()) return negative.status();
  snapshot.negative_count = *negative;

  absl::StatusOr<const nlohmann::json*> buckets =
      GetField(json, "buckets", context);
  if (!buckets.ok()) return buckets.status();
  if (!(*buckets)->is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": field \"buckets\" must be an array, found ",
                     (*buckets)->type_name()));
  }
  int64_t sum = 0;
  snapshot.buckets.reserve((*buckets)->size());
  for (size_t k = 0; k < (*buckets)->size(); ++k) {
    const nlohmann::json& entry = (**buckets)[k];
    const std::string what = absl::StrFormat("%s: buckets[%d]", context, k);
    if (!entry.is_array() || entry.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " must be a [lowest value, count] pair, found ",
          entry.is_array() ? absl::StrFormat("an array of %d", entry.size())
                           : std::string(entry.type_name())));
    }
    absl::StatusOr<int64_t> lowest =
        AsNonNegativeInt64(entry[0], absl::StrCat(what, " lowest value"));
    if (!lowest.ok()) return lowest.status();
    absl::StatusOr<int64_t> bucket_count =
        AsNonNegativeInt64(entry[1], absl::StrCat(what, " count"));
    if (!bucket_count.ok()) return bucket_count.status();
    if (__builtin_add_overflow(sum, *bucket_count, &sum)) {
      return absl::InvalidArgumentError(absl::StrCat(
          context, ": bucket counts add up to more than a 64-bit count"));
    }
    snapshot.buckets.push_back(HistogramBucket{
        *lowest, empty->HighestEquivalentValue(*lowest), *bucket_count});
  }
  if (sum != *count) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: field \"count\" is %d but the buckets hold %d values", context,
        *count, sum));
  }
  if (*count > 0) {
    absl::StatusOr<int64_t> min = GetNonNegativeInt64(json, "min", context);
    if (!min.ok()) return min.status();
    absl::StatusOr<int64_t> max = GetNonNegativeInt64(json, "max", context);
    if (!max.ok()) return max.status();
    snapshot.min = *min;
    snapshot.max = *max;
  }
  absl::StatusOr<LatencyHistogram> histogram =
      LatencyHistogram::FromSnapshot(snapshot);
  if (!histogram.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": ", histogram.status().message()));
  }
  return histogram;
}

}  // namespace internal
}  // namespace stats
}  // namespace mailshake
