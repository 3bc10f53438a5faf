#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/stats/json_fields.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace stats {

void CounterMap::Increment(absl::string_view key) {
  // 2^63 increments are out of reach, so this cannot overflow.
  ++counts_[key];
  ++total_;
}

absl::Status CounterMap::Add(absl::string_view key, int64_t n) {
  if (n < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "cannot add a negative count (%d) to counter \"%s\"", n, key));
  }
  int64_t new_total;
  if (__builtin_add_overflow(total_, n, &new_total)) {
    return absl::OutOfRangeError(absl::StrFormat(
        "adding %d to counter \"%s\" would overflow a 64-bit count", n, key));
  }
  // Each count is at most the total, so it cannot overflow either.
  counts_[key] += n;
  total_ = new_total;
  return absl::OkStatus();
}

int64_t CounterMap::Get(absl::string_view key) const {
  auto it = counts_.find(key);
  return it == counts_.end() ? 0 : it->second;
}

absl::Status CounterMap::Merge(const CounterMap& other) {
  int64_t new_total;
  if (__builtin_add_overflow(total_, other.total_, &new_total)) {
    return absl::OutOfRangeError(
        "merging the counters would overflow a 64-bit count");
  }
  for (const auto& [key, count] : other.counts_) counts_[key] += count;
  total_ = new_total;
  return absl::OkStatus();
}

std::vector<std::pair<std::string, int64_t>> CounterMap::SortedByCount()
    const {
  std::vector<std::pair<std::string, int64_t>> entries(counts_.begin(),
                                                       counts_.end());
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) {
              if (a.second != b.second) return a.second > b.second;
              return a.first < b.first;
            });
  return entries;
}

nlohmann::json CounterMap::ToJson() const {
  // nlohmann::json keeps object keys sorted, which makes the output
  // deterministic.
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [key, count] : counts_) json[key] = count;
  return json;
}

absl::StatusOr<CounterMap> CounterMap::FromJson(const nlohmann::json& json) {
  constexpr absl::string_view kContext = "counters";
  absl::Status status = internal::RequireObject(json, kContext);
  if (!status.ok()) return status;
  CounterMap counters;
  for (auto it = json.begin(); it != json.end(); ++it) {
    absl::StatusOr<int64_t> count = internal::AsNonNegativeInt64(
        it.value(), absl::StrCat(kContext, ": \"", it.key(), "\""));
    if (!count.ok()) return count.status();
    absl::Status added = counters.Add(it.key(), *count);
    if (!added.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(kContext, ": ", added.message()));
    }
  }
  return counters;
}

}  // namespace stats
}  // namespace mailshake
