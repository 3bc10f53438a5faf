// The comparison of two sets of runs (what `mailshake compare OLD NEW`
// computes, prints and gates on, and what `mailshake report` renders).
//
// Each side is one or more files: `mailshake.result/v1` results (several
// trials per scenario) or the Google Benchmark JSON that scripts/microbench
// writes (several repetitions per benchmark). A side becomes a SampleSet:
// per scenario key, per metric, one value per trial. Trials are the unit of
// statistics, never single handshakes. Compare pairs the scenarios by key and,
// for each metric, reports the median and its 95% confidence interval per
// side, the change in percent, the Hodges-Lehmann shift with its interval,
// the Mann-Whitney U p-value, its Holm-adjusted value and whether the change
// is a significant regression past the threshold.
//
// Example:
//
//   absl::StatusOr<SampleSet> old_side = ReadSide("old", {"a.json"});
//   absl::StatusOr<SampleSet> new_side = ReadSide("new", {"b.json"});
//   // (check both)
//   CompareOptions options;  // alpha 0.05, threshold 3%, default gate
//   absl::StatusOr<Comparison> c = Compare(*old_side, *new_side, options);
//   if (!c.ok()) return ExitStatusFor(c.status());  // 2 or 4
//   std::fputs(FormatComparison(*c, OutputFormat::kText).c_str(), stdout);
//   return ExitStatus(*c);  // 0 or 1
//
// Errors: InvalidArgument for input that is unusable (unreadable, truncated,
// foreign, newer major schema, Google Benchmark mixed with results, no
// scenarios, a bad --fail-on) and FailedPrecondition for inputs that are
// well formed but not comparable (different CPU model, BoringSSL API,
// target, or spec fields that change the work), unless forced. Every
// message names the file it is about.

#ifndef MAILSHAKE_SRC_LAB_COMPARE_H_
#define MAILSHAKE_SRC_LAB_COMPARE_H_

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/report/report.h"
#include "src/stats/compare.h"

namespace mailshake {
namespace lab {

// MetricInfo describes one metric that compare knows.
struct MetricInfo {
  // The id used in tables, JSON and --fail-on: "hs_per_cpu",
  // "hs_per_cpu_norm" (speed-normalised by the CPU canary, canary.h),
  // "canary_us" (the client's canary itself),
  // "hs_rate",
  // "server_cpu_us", "p50(tls)", "p99.9(total)", "failure_rate",
  // "failures(tls_alert:handshake_failure)", "cpu_time_ns", "real_time_ns".
  std::string id;
  // For people: "handshakes per client CPU-second".
  std::string title;
  // "/cpu-s", "/s", "µs", "%", "ns".
  std::string unit;
  // A rise is an improvement (rates) or a regression (costs, latencies,
  // failure rates).
  bool higher_is_better = false;
  // Part of the default gate.
  bool headline = false;
  // The change is stated in percentage points instead of percent (failure
  // rates, which are often 0 on the old side).
  bool absolute_change = false;
};

// MetricInfoFor returns the MetricInfo of |id| (an id as above, or one of the
// aliases "cpu" = hs_per_cpu, "rate" = hs_rate, "server" = server_cpu_us),
// or InvalidArgument naming the id.
absl::StatusOr<MetricInfo> MetricInfoFor(absl::string_view id);

// ScenarioSamples is what one side measured of one scenario.
struct ScenarioSamples {
  // The pairing key: the scenario's parameters (less the ignored ones),
  // sorted, as "k=v k=v", or its name when it has none (Google Benchmark:
  // the run name).
  std::string key;
  // A human-readable name (the first seen).
  std::string name;
  // Metric id → one value per trial, in trial order. Metrics a trial has no
  // value for (no handshake, no server) are left out for that trial.
  std::map<std::string, std::vector<double>> metrics;
  // Trials read, and of those the ones that were disturbed (their
  // report::Disturbance says so by lab::IsDisturbed; trials of files
  // written before it was recorded count as undisturbed).
  int trials = 0;
  int disturbed_trials = 0;
  // Of those, the ones that ran on a slowed CPU (lab::IsSlowed against the
  // fastest canary of their file; trials without a canary count as not).
  int slowed_trials = 0;
};

// SampleSet is one side of a comparison.
struct SampleSet {
  // The side's label: the labels of its files joined with "+".
  std::string label;
  // Every file read, as "label=path".
  std::vector<std::string> sources;
  // True for Google Benchmark input.
  bool google_benchmark = false;
  // Facts that must agree between the sides for a comparison to mean
  // something, with the file each came from: "cpu_model",
  // "boringssl_api_version", "target", "spec.<field>" for each spec field
  // that changes the work.
  std::map<std::string, std::string> identity;
  std::map<std::string, std::string> identity_source;
  // Scenarios by key, in the order first seen.
  std::vector<ScenarioSamples> scenarios;
  // The files' not_measured entries: "NAME: unsupported (REASON)".
  std::vector<std::string> not_measured;
};

// LabeledPath is one command-line input: "label=path" or just "path" (the
// label is then the file name).
struct LabeledPath {
  std::string label;
  std::string path;
};
LabeledPath ParseLabeledPath(absl::string_view arg);

// SampleSetFromResults turns result files into one side: the scenarios of
// every file, keyed as ScenarioSamples::key, their trials appended in file
// order. A trial whose target failed mid-matrix is not in the file (matrix
// lists it under not_measured, which the side carries over), so it is never
// averaged in; the scenario's good trials are. The files
// of one side must agree on their identity (InvalidArgument naming the file
// otherwise). |sources| names each result for messages.
// Parameters named in |ignore| are left out of the keys, so that scenarios
// differing only in them pair up (compare P-256 against P-384 with
// {"group"}). The target of an embedded-server run is "embedded", whatever
// its port.
absl::StatusOr<SampleSet> SampleSetFromResults(
    absl::string_view label, const std::vector<report::Result>& results,
    const std::vector<std::string>& sources,
    const std::vector<std::string>& ignore = {});

// SampleSetFromGoogleBenchmark turns Google Benchmark JSON documents into
// one side: per benchmark run name, cpu_time_ns and real_time_ns of each
// repetition (aggregate rows are ignored; a file with aggregates only gives
// their mean with n = 1 per file).
absl::StatusOr<SampleSet> SampleSetFromGoogleBenchmark(
    absl::string_view label, const std::vector<nlohmann::json>& documents,
    const std::vector<std::string>& sources);

// ReadSide reads |inputs| (each bounded in size and depth by
// report::ReadJsonDocument) and builds one side with the functions above. Every file must be the same kind.
absl::StatusOr<SampleSet> ReadSide(absl::string_view side_name,
                                   const std::vector<LabeledPath>& inputs,
                                   const std::vector<std::string>& ignore = {});

// Gate is one limit of --fail-on: |metric| changed in its bad direction by
// more than |limit| (percent, or percentage points for absolute metrics).
struct Gate {
  std::string metric;  // a MetricInfo id, aliases resolved
  double limit = 3;
};

// ParseFailOn parses "cpu>+3%,p99(tls)>+10%": comma-separated
// METRIC>[+|-]LIMIT[%]; the sign is optional and always means the bad
// direction of the metric. InvalidArgument names the bad element.
absl::StatusOr<std::vector<Gate>> ParseFailOn(absl::string_view spec);

struct CompareOptions {
  double alpha = 0.05;
  // A change smaller than this many percent (points for absolute metrics)
  // is noise.
  double threshold_percent = 3;
  double confidence = 0.95;
  // Empty: every headline metric with |threshold_percent|.
  std::vector<Gate> gates;
  // Compare even when the identities differ (the differences are kept in
  // Comparison::warnings).
  bool force = false;
};

// SideSummary is one side of one metric of one scenario.
struct SideSummary {
  int n = 0;
  double median = 0;
  // Distribution-free interval for the median; with few trials its
  // |confidence| may be below the requested level.
  stats::ConfidenceInterval interval;
};

// Summarize returns the median of |values| and its distribution-free
// |confidence| interval (n = 0 and zeros when |values| is empty; the
// interval is the median itself for one value). Compare uses it for each
// side; the report's matrix view for each scenario.
SideSummary Summarize(const std::vector<double>& values, double confidence);

// MetricComparison is one metric of one scenario pair.
struct MetricComparison {
  std::string metric;  // MetricInfo id
  SideSummary old_side;
  SideSummary new_side;
  // (new median - old median) / old median × 100, or new - old in points for
  // absolute metrics; nullopt when the old median is 0 for a relative one.
  std::optional<double> change;
  // Hodges-Lehmann shift of NEW against OLD (metric units) and its interval.
  std::optional<stats::ShiftEstimate> shift;
  // Two-sided Mann-Whitney U p-value; nullopt when a side has no trial.
  std::optional<double> p_value;
  // Holm-adjusted over the scenarios of this metric (see Comparison::footer).
  // This and |significant| decide the "~" of the tables, not the gate.
  std::optional<double> adjusted_p;
  bool significant = false;  // adjusted_p < alpha
  // The limit the gate applies to this metric, if it is gated.
  std::optional<double> gate_limit;
  // Gated metrics: the one-sided Mann-Whitney p-value for "NEW is worse than
  // OLD by more than |gate_limit|" (OLD's trials moved by the limit in the
  // bad direction: times 1 ± limit/100, or plus the limit in points), and
  // that p Holm-adjusted over every gate test of the comparison (all gated
  // metrics × all scenarios). nullopt when not gated, or when every trial of
  // both sides has the same value (such a test cannot fail and is not
  // counted).
  std::optional<double> gate_p;
  std::optional<double> gate_adjusted_p;
  // Gated, gate_adjusted_p < alpha, and the change of the medians past
  // |gate_limit| in the bad direction.
  bool regression = false;
  // Significant, past the threshold, in the good direction.
  bool improvement = false;
};

// ScenarioComparison is one scenario present on both sides.
struct ScenarioComparison {
  std::string key;
  std::string name;
  std::vector<MetricComparison> metrics;  // headline metrics first
  // Trials per side and how many of them were disturbed (ScenarioSamples).
  int old_trials = 0;
  int old_disturbed_trials = 0;
  int new_trials = 0;
  int new_disturbed_trials = 0;
  bool Disturbed() const { return old_disturbed_trials > 0 || new_disturbed_trials > 0; }
  // The same for trials on a slowed CPU (ScenarioSamples::slowed_trials).
  int old_slowed_trials = 0;
  int new_slowed_trials = 0;
  bool Slowed() const { return old_slowed_trials > 0 || new_slowed_trials > 0; }
};

// GeomeanRow summarises one metric over every scenario pair with positive
// medians on both sides: the geometric mean of new/old, as a change in %.
struct GeomeanRow {
  std::string metric;
  double change = 0;
  int scenarios = 0;
};

// Comparison is everything compare computed.
struct Comparison {
  std::string old_label;
  std::string new_label;
  std::vector<std::string> old_sources;
  std::vector<std::string> new_sources;
  CompareOptions options;
  std::vector<ScenarioComparison> scenarios;
  std::vector<GeomeanRow> geomean;
  // Scenario names present on one side only.
  std::vector<std::string> only_old;
  std::vector<std::string> only_new;
  // What each side's files list as not measured (unsupported, target
  // failed, interrupted), prefixed with the side's label.
  std::vector<std::string> not_measured;
  // Identity differences overridden by --force.
  std::vector<std::string> warnings;
  // One line per scenario with disturbed trials: "NAME: old 2 of 5 trials,
  // new 0 of 5". Their figures may be shifted by the rest of the machine.
  std::vector<std::string> disturbed;
  // The same for scenarios with trials on a slowed CPU, and one line per
  // scenario whose sides' client canaries (metric canary_us) differ
  // significantly by more than kCanarySlowerThanFastest: the machine, not
  // the code, may have changed.
  std::vector<std::string> slowed;
  // One line per regression: "TLSv1.3 ... hs_per_cpu -7.1% (limit 3,
  // gate p=0.028)".
  std::vector<std::string> regressions;
  // The number of gate tests Holm adjusted over (the family).
  int gate_tests = 0;
  // How significance was decided and corrected for multiple tests.
  std::string footer;
};

// CheckComparable returns OK if the identities of |old_side| and |new_side|
// agree, and FailedPrecondition listing each difference (with the files)
// otherwise; InvalidArgument when one is a Google Benchmark side and the
// other is not.
absl::Status CheckComparable(const SampleSet& old_side,
                             const SampleSet& new_side);

// Compare compares |new_side| against |old_side|: CheckComparable (unless
// |options.force|), then pairing, statistics (two-sided tests, Holm per
// metric over scenarios, for the tables), and the gate: one one-sided test
// per gated metric and scenario against its limit, Holm-adjusted over all of
// them together, so that the chance of any false regression in the
// comparison is at most |options.alpha|. InvalidArgument if no scenario is on both sides or
// a gate names a metric neither side has; FailedPrecondition as
// CheckComparable.
absl::StatusOr<Comparison> Compare(const SampleSet& old_side,
                                   const SampleSet& new_side,
                                   const CompareOptions& options);

// ExitStatus is 1 if |comparison| holds a regression, else 0.
int ExitStatus(const Comparison& comparison);

// ExitStatusFor maps an error of this header to the exit status: 4 for
// FailedPrecondition (not comparable), 2 otherwise.
int ExitStatusFor(const absl::Status& status);

enum class OutputFormat { kText, kMarkdown, kCsv, kJson };

// ParseOutputFormat accepts "text", "markdown", "csv", "json".
absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view name);

// ComparisonToJson returns the machine-readable form of |comparison|
// ("mailshake.compare/v1"; the report helper renders it).
nlohmann::json ComparisonToJson(const Comparison& comparison);

// FormatComparison renders |comparison|: text (aligned columns), markdown (a
// pull-request comment), CSV (one row per scenario and metric) or JSON. Not
// significant changes show "~". The footer states the correction. Scenarios
// with disturbed trials are marked in every format: "[disturbed]" after the
// name and a list (text, markdown), the counts per side (CSV, JSON); so are
// scenarios with trials on a slowed CPU ("[slowed CPU]").
std::string FormatComparison(const Comparison& comparison,
                             OutputFormat format);

}  // namespace lab
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_LAB_COMPARE_H_
