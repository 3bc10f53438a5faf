// Private helpers shared by the JSON readers and writers of this package:
// typed field access with messages that name the field, and the histogram
// body that both LatencyHistogram and TimeSeries write.

#ifndef MAILSHAKE_SRC_STATS_JSON_FIELDS_H_
#define MAILSHAKE_SRC_STATS_JSON_FIELDS_H_

#include <cstdint>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace stats {
namespace internal {

// RequireObject returns OK if |json| is an object and InvalidArgument naming
// |context| otherwise.
absl::Status RequireObject(const nlohmann::json& json,
                           absl::string_view context);

// GetField returns the member |key| of the object |json|, or InvalidArgument
// naming |context| and |key| if it is missing.
absl::StatusOr<const nlohmann::json*> GetField(const nlohmann::json& json,
                                               absl::string_view key,
                                               absl::string_view context);

// AsNonNegativeInt64 returns |value| if it is an integer in [0, 2^63), and
// InvalidArgument describing it as |what| otherwise (floats, strings, booleans
// and out-of-range integers are all rejected).
absl::StatusOr<int64_t> AsNonNegativeInt64(const nlohmann::json& value,
                                           absl::string_view what);

// AsInt64 returns |value| if it is an integer that fits in int64_t, and
// InvalidArgument describing it as |what| otherwise.
absl::StatusOr<int64_t> AsInt64(const nlohmann::json& value,
                                absl::string_view what);

// GetNonNegativeInt64 combines GetField and AsNonNegativeInt64.
absl::StatusOr<int64_t> GetNonNegativeInt64(const nlohmann::json& json,
                                            absl::string_view key,
                                            absl::string_view context);

// WriteHistogramConfig sets "significant_digits" and
// "highest_trackable_value" in the object |*out|.
void WriteHistogramConfig(const HistogramConfig& config, nlohmann::json* out);

// ReadHistogramConfig reads and validates what WriteHistogramConfig wrote.
absl::StatusOr<HistogramConfig> ReadHistogramConfig(const nlohmann::json& json,
                                                    absl::string_view context);

// WriteHistogramBody sets "count", "overflow", "negative", "buckets" and,
// when the count is non-zero, "min" and "max" in the object |*out|.
void WriteHistogramBody(const LatencyHistogram& histogram,
                        nlohmann::json* out);

// ReadHistogramBody rebuilds a histogram of |config| from what
// WriteHistogramBody wrote, checking that "count" equals the sum of the
// bucket counts and everything LatencyHistogram::FromSnapshot checks.
absl::StatusOr<LatencyHistogram> ReadHistogramBody(const nlohmann::json& json,
                                                   const HistogramConfig& config,
                                                   absl::string_view context);

}  // namespace internal
}  // namespace stats
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_STATS_JSON_FIELDS_H_
