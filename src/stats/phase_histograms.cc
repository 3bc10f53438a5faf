#include <cstdio>
#include <cstdlib>
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
namespace {

constexpr int kMaxPhaseCount = 64;

}  // namespace

absl::StatusOr<PhaseHistograms> PhaseHistograms::Create(
    int phase_count, const HistogramConfig& config) {
  if (phase_count < 1 || phase_count > kMaxPhaseCount) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "phase count is %d; it must be between 1 and %d", phase_count,
        kMaxPhaseCount));
  }
  absl::StatusOr<LatencyHistogram> histogram = LatencyHistogram::Create(config);
  if (!histogram.ok()) return histogram.status();
  return PhaseHistograms(std::vector<LatencyHistogram>(
      static_cast<size_t>(phase_count), *histogram));
}

void PhaseHistograms::DieOfBadPhase(int phase) const {
  std::fprintf(stderr,
               "mailshake::stats::PhaseHistograms: phase %d out of range "
               "[0, %d)\n",
               phase, phase_count());
  std::abort();
}

const LatencyHistogram& PhaseHistograms::phase(int phase) const {
  CheckPhase(phase);
  return phases_[static_cast<size_t>(phase)];
}

absl::Status PhaseHistograms::Merge(const PhaseHistograms& other) {
  if (other.phase_count() != phase_count()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "cannot merge phase histograms with %d phases into a set of %d",
        other.phase_count(), phase_count()));
  }
  // Check every phase before touching any, so a failure changes nothing.
  for (size_t i = 0; i < phases_.size(); ++i) {
    absl::Status status = phases_[i].CheckMergeable(other.phases_[i]);
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat("phase ", i, ": ", status.message()));
    }
  }
  for (size_t i = 0; i < phases_.size(); ++i) {
    phases_[i].MergeUnchecked(other.phases_[i]);
  }
  return absl::OkStatus();
}

nlohmann::json PhaseHistograms::ToJson() const {
  nlohmann::json phases = nlohmann::json::array();
  for (const LatencyHistogram& h : phases_) phases.push_back(h.ToJson());
  nlohmann::json json = nlohmann::json::object();
  json["phases"] = std::move(phases);
  return json;
}

absl::StatusOr<PhaseHistograms> PhaseHistograms::FromJson(
    const nlohmann::json& json) {
  absl::StatusOr<const nlohmann::json*> phases =
      internal::GetField(json, "phases", "phase histograms");
  if (!phases.ok()) return phases.status();
  if (!(*phases)->is_array() || (*phases)->empty() ||
      (*phases)->size() > static_cast<size_t>(kMaxPhaseCount)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "phase histograms: field \"phases\" must be an array of 1 to %d "
        "histograms",
        kMaxPhaseCount));
  }
  std::vector<LatencyHistogram> histograms;
  histograms.reserve((*phases)->size());
  for (size_t i = 0; i < (*phases)->size(); ++i) {
    absl::StatusOr<LatencyHistogram> h =
        LatencyHistogram::FromJson((**phases)[i]);
    if (!h.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "phase histograms: phases[", i, "]: ", h.status().message()));
    }
    if (i > 0 && h->config() != histograms.front().config()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "phase histograms: phases[", i,
          "] has a different histogram config from phases[0]"));
    }
    histograms.push_back(*std::move(h));
  }
  return PhaseHistograms(std::move(histograms));
}

}  // namespace stats
}  // namespace mailshake
