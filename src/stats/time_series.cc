#include <cstdint>
#include <iterator>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/stats/json_fields.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace stats {

TimeSeries::TimeSeries() : TimeSeries(kDefaultHistogramConfig) {}

absl::StatusOr<TimeSeries> TimeSeries::Create(
    const HistogramConfig& histogram_config) {
  absl::Status status = ValidateHistogramConfig(histogram_config);
  if (!status.ok()) return status;
  return TimeSeries(histogram_config);
}

SecondStats& TimeSeries::At(int64_t second) {
  // Records nearly always land in the newest second, so that case avoids the
  // map search; a new latest second is appended with an O(1) hint.
  if (!seconds_.empty()) {
    auto last = std::prev(seconds_.end());
    if (last->first == second) return last->second;
    if (last->first < second) {
      return seconds_
          .emplace_hint(seconds_.end(), second,
                        SecondStats{0, 0, LatencyHistogram(config_)})
          ->second;
    }
  }
  auto it = seconds_.find(second);
  if (it != seconds_.end()) return it->second;
  return seconds_.emplace(second, SecondStats{0, 0, LatencyHistogram(config_)})
      .first->second;
}

absl::Status TimeSeries::Merge(const TimeSeries& other) {
  if (config_ != other.config_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "cannot merge time series whose per-second histograms differ "
        "(%d significant digits up to %d into %d up to %d)",
        other.config_.significant_digits,
        other.config_.highest_trackable_value, config_.significant_digits,
        config_.highest_trackable_value));
  }
  // Check every shared second before touching any, so a failure changes
  // nothing.
  for (const auto& [second, theirs] : other.seconds_) {
    auto it = seconds_.find(second);
    if (it == seconds_.end()) continue;
    const SecondStats& ours = it->second;
    int64_t unused;
    if (__builtin_add_overflow(ours.successes, theirs.successes, &unused) ||
        __builtin_add_overflow(ours.failures, theirs.failures, &unused)) {
      return absl::OutOfRangeError(absl::StrCat(
          "merging second ", second, " would overflow a 64-bit count"));
    }
    absl::Status status = ours.latency.CheckMergeable(theirs.latency);
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat("second ", second, ": ",
                                                      status.message()));
    }
  }
  for (const auto& [second, theirs] : other.seconds_) {
    auto it = seconds_.find(second);
    if (it == seconds_.end()) {
      seconds_.emplace(second, theirs);
      continue;
    }
    SecondStats& ours = it->second;
    ours.successes += theirs.successes;
    ours.failures += theirs.failures;
    ours.latency.MergeUnchecked(theirs.latency);
  }
  return absl::OkStatus();
}

nlohmann::json TimeSeries::ToJson() const {
  nlohmann::json json = nlohmann::json::object();
  internal::WriteHistogramConfig(config_, &json);
  nlohmann::json seconds = nlohmann::json::array();
  for (const auto& [second, stats] : seconds_) {
    nlohmann::json entry = nlohmann::json::object();
    entry["second"] = second;
    entry["successes"] = stats.successes;
    entry["failures"] = stats.failures;
    nlohmann::json latency = nlohmann::json::object();
    internal::WriteHistogramBody(stats.latency, &latency);
    entry["latency"] = std::move(latency);
    seconds.push_back(std::move(entry));
  }
  json["seconds"] = std::move(seconds);
  return json;
}

absl::StatusOr<TimeSeries> TimeSeries::FromJson(const nlohmann::json& json) {
  constexpr absl::string_view kContext = "time series";
  absl::StatusOr<HistogramConfig> config =
      internal::ReadHistogramConfig(json, kContext);
  if (!config.ok()) return config.status();
  absl::StatusOr<const nlohmann::json*> seconds =
      internal::GetField(json, "seconds", kContext);
  if (!seconds.ok()) return seconds.status();
  if (!(*seconds)->is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kContext, ": field \"seconds\" must be an array, found ",
                     (*seconds)->type_name()));
  }
  TimeSeries series(*config);
  for (size_t k = 0; k < (*seconds)->size(); ++k) {
    const nlohmann::json& entry = (**seconds)[k];
    const std::string context = absl::StrFormat("%s: seconds[%d]", kContext, k);
    absl::StatusOr<const nlohmann::json*> second_field =
        internal::GetField(entry, "second", context);
    if (!second_field.ok()) return second_field.status();
    absl::StatusOr<int64_t> second = internal::AsInt64(
        **second_field, absl::StrCat(context, ": field \"second\""));
    if (!second.ok()) return second.status();
    if (!series.seconds_.empty() &&
        *second <= std::prev(series.seconds_.end())->first) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: second %d is not after the previous entry's; seconds must be "
          "listed once each in ascending order",
          context, *second));
    }
    absl::StatusOr<int64_t> successes =
        internal::GetNonNegativeInt64(entry, "successes", context);
    if (!successes.ok()) return successes.status();
    absl::StatusOr<int64_t> failures =
        internal::GetNonNegativeInt64(entry, "failures", context);
    if (!failures.ok()) return failures.status();
    absl::StatusOr<const nlohmann::json*> latency_field =
        internal::GetField(entry, "latency", context);
    if (!latency_field.ok()) return latency_field.status();
    const std::string latency_context = absl::StrCat(context, ": latency");
    absl::Status is_object =
        internal::RequireObject(**latency_field, latency_context);
    if (!is_object.ok()) return is_object;
    absl::StatusOr<LatencyHistogram> latency = internal::ReadHistogramBody(
        **latency_field, *config, latency_context);
    if (!latency.ok()) return latency.status();
    // Every success records one latency, in range or not.
    int64_t latencies = 0;
    if (__builtin_add_overflow(latency->Count(), latency->OverflowCount(),
                               &latencies) ||
        __builtin_add_overflow(latencies, latency->NegativeCount(),
                               &latencies) ||
        latencies != *successes) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: %d successes but the latency histogram holds %d in range, %d "
          "overflow and %d negative values; they must add up",
          context, *successes, latency->Count(), latency->OverflowCount(),
          latency->NegativeCount()));
    }
    series.seconds_.emplace_hint(
        series.seconds_.end(), *second,
        SecondStats{*successes, *failures, *std::move(latency)});
  }
  return series;
}

void AddElementwise(const std::vector<int64_t>& from, std::vector<int64_t>* into) {
  if (into->size() < from.size()) into->resize(from.size(), 0);
  for (size_t i = 0; i < from.size(); ++i) (*into)[i] += from[i];
}

}  // namespace stats
}  // namespace mailshake
