// Comparison of two sets of runs: reading the sides, pairing, statistics,
// gating and the output formats.

#include "src/lab/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "src/lab/canary.h"
#include "src/lab/disturbance.h"
#include "src/stats/compare.h"

namespace mailshake {
namespace lab {
namespace {

using nlohmann::json;

// Phases whose percentiles are headline metrics.
bool IsHeadlinePhase(absl::string_view phase) {
  return phase == "tls" || phase == "total";
}

// Spec fields that change the work each handshake does or the load shape;
// two runs that differ in one are not comparable. TLS parameters are not
// here: they are part of each scenario's key.
constexpr const char* kWorkFields[] = {
    "threads",   "concurrency", "rate",  "arrivals",        "resume_ratio",
    "verify",    "after_tls",   "close", "embedded_server", "embedded_threads",
    "servername", "embedded_cert",
    // CPU placement (src/lab/placement.h): where the threads run changes
    // CPU per handshake on a machine of few cores.
    "cpus_client", "cpus_server"};

// Returns the order in which metrics are listed: headline first, in the
// order of the issue, then latencies, then failure categories.
int MetricRank(const std::string& id) {
  static const char* const kOrder[] = {
      "hs_per_cpu", "hs_rate",     "server_cpu_us", "p50(tls)",   "p99(tls)",
      "p50(total)", "p99(total)",  "failure_rate",  "cpu_time_ns", "real_time_ns",
      "hs_per_cpu_norm", "canary_us"};
  for (size_t i = 0; i < std::size(kOrder); ++i) {
    if (id == kOrder[i]) return static_cast<int>(i);
  }
  if (absl::StartsWith(id, "failures(")) return 1000;
  return 100;
}

std::string ScenarioKey(const report::Scenario& s, const std::vector<std::string>& ignore) {
  if (s.parameters.empty()) return s.name;
  std::vector<std::string> parts;
  for (const auto& [k, v] : s.parameters) {
    if (std::find(ignore.begin(), ignore.end(), k) != ignore.end()) continue;
    parts.push_back(absl::StrCat(k, "=", v));
  }
  return absl::StrJoin(parts, " ");
}

ScenarioSamples& FindOrAdd(SampleSet& set, const std::string& key,
                           const std::string& name) {
  for (ScenarioSamples& s : set.scenarios) {
    if (s.key == key) return s;
  }
  set.scenarios.push_back(ScenarioSamples{key, name, {}, 0, 0});
  return set.scenarios.back();
}

std::string SpecValue(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// Adds the identity facts of one file to |set|, or InvalidArgument when
// they disagree with a file read before.
absl::Status AddIdentity(SampleSet& set, const std::string& source,
                         const std::map<std::string, std::string>& facts) {
  for (const auto& [key, value] : facts) {
    auto it = set.identity.find(key);
    if (it == set.identity.end()) {
      set.identity[key] = value;
      set.identity_source[key] = source;
    } else if (it->second != value) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: %s is \"%s\", but %s on the same side has \"%s\"; the files "
          "of one side must come from the same setup",
          source, key, value, set.identity_source[key], it->second));
    }
  }
  return absl::OkStatus();
}

void AddMetric(ScenarioSamples& s, const std::string& id,
               std::optional<double> value) {
  if (value.has_value() && std::isfinite(*value)) s.metrics[id].push_back(*value);
}

double Percent(int64_t part, int64_t whole) {
  return 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// GateP returns the one-sided Mann-Whitney p-value for "NEW is worse than OLD
// by more than |limit|": OLD's trials are moved by the limit in the bad
// direction (relative metrics: times 1 ± limit/100; absolute ones: ± limit
// points) and NEW is tested against them in that direction. nullopt when
// every value of both sides is the same (the test cannot reject).
std::optional<double> GateP(const MetricInfo& info, double limit,
                            const std::vector<double>& old_values,
                            const std::vector<double>& new_values) {
  bool all_equal = true;
  for (const std::vector<double>* side : {&old_values, &new_values}) {
    for (double v : *side) all_equal = all_equal && v == old_values.front();
  }
  if (all_equal) return std::nullopt;
  std::vector<double> moved;
  moved.reserve(old_values.size());
  for (double v : old_values) {
    const double by = info.absolute_change ? limit : std::fabs(v) * limit / 100;
    moved.push_back(info.higher_is_better ? v - by : v + by);
  }
  absl::StatusOr<stats::MannWhitneyResult> test =
      stats::MannWhitneyUTest(new_values, moved);
  if (!test.ok()) return std::nullopt;
  return info.higher_is_better ? test->p_x_less : test->p_x_greater;
}

// The smallest one-sided p-value an exact Mann-Whitney test of |m| against
// |n| values can give: 1 / C(m + n, m).
double SmallestOneSidedP(int m, int n) {
  return std::exp(std::lgamma(m + 1.0) + std::lgamma(n + 1.0) -
                  std::lgamma(m + n + 1.0));
}

}  // namespace

absl::StatusOr<MetricInfo> MetricInfoFor(absl::string_view id_in) {
  std::string id(absl::StripAsciiWhitespace(id_in));
  if (id == "cpu") id = "hs_per_cpu";
  if (id == "rate") id = "hs_rate";
  if (id == "server") id = "server_cpu_us";
  MetricInfo m;
  m.id = id;
  if (id == "hs_per_cpu") {
    m.title = "handshakes per client CPU-second";
    m.unit = "/cpu-s";
    m.higher_is_better = true;
    m.headline = true;
    return m;
  }
  if (id == "hs_per_cpu_norm") {
    // Not a headline and not gated by default: the raw figure is what was
    // measured; this one is what it would have been on a CPU that runs the
    // canary in 1 ms (canary.h), and is only as good as the canary's
    // slowdown tracks the handshake's.
    m.title = "handshakes per client CPU-second, CPU-speed-normalised";
    m.unit = "/cpu-s";
    m.higher_is_better = true;
    return m;
  }
  if (id == "canary_us") {
    // The machine, not the code: a significant change past the canary's cut
    // is listed with the trials on a slowed CPU (Comparison::slowed).
    m.title = "CPU speed canary on the client's CPUs (canary.h)";
    m.unit = "µs";
    return m;
  }
  if (id == "hs_rate") {
    m.title = "handshakes per second";
    m.unit = "/s";
    m.higher_is_better = true;
    m.headline = true;
    return m;
  }
  if (id == "server_cpu_us") {
    m.title = "server CPU per handshake";
    m.unit = "µs";
    m.headline = true;
    return m;
  }
  if (id == "failure_rate") {
    m.title = "failed attempts";
    m.unit = "%";
    m.headline = true;
    m.absolute_change = true;
    return m;
  }
  if (id == "cpu_time_ns" || id == "real_time_ns") {
    m.title = id == "cpu_time_ns" ? "CPU time per iteration"
                                  : "real time per iteration";
    m.unit = "ns";
    m.headline = id == "cpu_time_ns";
    return m;
  }
  absl::string_view rest(id);
  if (absl::ConsumePrefix(&rest, "failures(") && absl::ConsumeSuffix(&rest, ")") &&
      !rest.empty()) {
    m.title = absl::StrCat("attempts failing with ", rest);
    m.unit = "%";
    m.absolute_change = true;
    return m;
  }
  for (const char* p : {"p50(", "p99(", "p99.9("}) {
    absl::string_view r(id);
    if (absl::ConsumePrefix(&r, p) && absl::ConsumeSuffix(&r, ")") && !r.empty() &&
        r.find_first_of("() ") == absl::string_view::npos) {
      absl::string_view pct(p);
      pct.remove_suffix(1);
      m.title = absl::StrCat(pct, " latency of the ", r, " phase");
      m.unit = "µs";
      m.headline = IsHeadlinePhase(r) && pct != "p99.9";
      return m;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown metric '", id_in,
      "' (known: cpu, rate, server, hs_per_cpu, hs_per_cpu_norm, canary_us, hs_rate, "
      "server_cpu_us, "
      "p50(PHASE), p99(PHASE), p99.9(PHASE), failure_rate, "
      "failures(CATEGORY), cpu_time_ns, real_time_ns)"));
}

LabeledPath ParseLabeledPath(absl::string_view arg) {
  const size_t eq = arg.find('=');
  // A '/' before the '=' means the '=' is part of the path.
  if (eq != absl::string_view::npos && eq > 0 &&
      arg.substr(0, eq).find('/') == absl::string_view::npos) {
    return {std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1))};
  }
  const size_t slash = arg.rfind('/');
  absl::string_view label =
      slash == absl::string_view::npos ? arg : arg.substr(slash + 1);
  absl::ConsumeSuffix(&label, ".json");
  return {std::string(label), std::string(arg)};
}

absl::StatusOr<SampleSet> SampleSetFromResults(
    absl::string_view label, const std::vector<report::Result>& results,
    const std::vector<std::string>& sources, const std::vector<std::string>& ignore) {
  SampleSet set;
  set.label = std::string(label);
  set.sources = sources;
  for (size_t f = 0; f < results.size(); ++f) {
    const report::Result& r = results[f];
    const std::string source = f < sources.size() ? sources[f] : "input";
    if (r.scenarios.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": the result holds no scenario to compare"));
    }
    std::map<std::string, std::string> facts = {
        {"cpu_model", r.environment.cpu_model},
        {"boringssl_api_version",
         absl::StrCat(r.environment.boringssl_api_version)},
        {"target", r.target}};
    if (r.spec.is_object() && r.spec.value("embedded_server", false) == true) {
      facts["target"] = "embedded";  // its port changes with every run
    }
    for (const char* field : kWorkFields) {
      if (r.spec.is_object() && r.spec.contains(field)) {
        facts[absl::StrCat("spec.", field)] = SpecValue(r.spec[field]);
      }
    }
    absl::Status s = AddIdentity(set, source, facts);
    if (!s.ok()) return s;
    for (const report::NotMeasured& n : r.not_measured) {
      set.not_measured.push_back(absl::StrFormat(
          "%s: %s%s", n.name, report::NotMeasuredStatusName(n.status),
          n.reason.empty() ? "" : absl::StrCat(" (", n.reason, ")")));
    }

    // Trials in trial order within each key, whatever order they ran in.
    std::vector<const report::Scenario*> ordered;
    for (const report::Scenario& sc : r.scenarios) ordered.push_back(&sc);
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const report::Scenario* a, const report::Scenario* b) {
                       return a->trial < b->trial;
                     });
    // The canary's rule is relative to the run: the fastest of this file.
    const CanaryBaseline canaries = CanaryBaselineOf(r.scenarios);
    for (const report::Scenario* sc : ordered) {
      ScenarioSamples& out = FindOrAdd(set, ScenarioKey(*sc, ignore), sc->name);
      ++out.trials;
      if (sc->disturbance.has_value() && IsDisturbed(*sc->disturbance)) ++out.disturbed_trials;
      if (IsSlowed(*sc, canaries)) ++out.slowed_trials;
      AddMetric(out, "hs_per_cpu", report::HandshakesPerClientCpuSecond(*sc));
      const std::optional<double> hs_per_cpu = report::HandshakesPerClientCpuSecond(*sc);
      const std::optional<double> canary = ClientCanarySeconds(*sc);
      if (hs_per_cpu.has_value() && canary.has_value()) {
        AddMetric(out, "hs_per_cpu_norm", *hs_per_cpu * *canary / kCanaryReferenceSeconds);
      }
      if (canary.has_value()) AddMetric(out, "canary_us", *canary * 1e6);
      AddMetric(out, "hs_rate", report::HandshakeRate(*sc));
      if (sc->server.has_value() && sc->server->handshakes > 0) {
        AddMetric(out, "server_cpu_us",
                  sc->server->cpu_seconds * 1e6 /
                      static_cast<double>(sc->server->handshakes));
      }
      if (sc->attempted > 0) {
        AddMetric(out, "failure_rate", Percent(sc->failed, sc->attempted));
      }
      for (const report::PhaseLatency& phase : sc->phases) {
        if (phase.latency.Count() == 0) continue;
        AddMetric(out, absl::StrCat("p50(", phase.name, ")"),
                  phase.latency.ValueAtPercentile(50) / 1e3);
        AddMetric(out, absl::StrCat("p99(", phase.name, ")"),
                  phase.latency.ValueAtPercentile(99) / 1e3);
        AddMetric(out, absl::StrCat("p99.9(", phase.name, ")"),
                  phase.latency.ValueAtPercentile(99.9) / 1e3);
      }
    }
  }
  // Per-category failure rates: a value for every trial of a scenario that
  // saw the category in any trial of the file (0 where it did not occur).
  for (size_t f = 0; f < results.size(); ++f) {
    std::set<std::pair<std::string, std::string>> seen;  // key, category
    for (const report::Scenario& sc : results[f].scenarios) {
      for (const auto& [category, count] : sc.outcomes.SortedByCount()) {
        if (category != report::kSuccessOutcome && count > 0) {
          seen.insert({ScenarioKey(sc, ignore), category});
        }
      }
    }
    for (const auto& [key, category] : seen) {
      for (const report::Scenario& sc : results[f].scenarios) {
        if (ScenarioKey(sc, ignore) != key || sc.attempted == 0) continue;
        ScenarioSamples& out = FindOrAdd(set, key, sc.name);
        AddMetric(out, absl::StrCat("failures(", category, ")"),
                  Percent(sc.outcomes.Get(category), sc.attempted));
      }
    }
  }
  if (set.scenarios.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(set.label, ": no scenario to compare"));
  }
  return set;
}

absl::StatusOr<SampleSet> SampleSetFromGoogleBenchmark(
    absl::string_view label, const std::vector<json>& documents,
    const std::vector<std::string>& sources) {
  SampleSet set;
  set.label = std::string(label);
  set.sources = sources;
  set.google_benchmark = true;
  for (size_t f = 0; f < documents.size(); ++f) {
    const json& doc = documents[f];
    const std::string source = f < sources.size() ? sources[f] : "input";
    if (!doc.is_object() || !doc.contains("benchmarks") ||
        !doc["benchmarks"].is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": not Google Benchmark JSON (no \"benchmarks\" array)"));
    }
    std::map<std::string, std::string> facts;
    if (doc.contains("context") && doc["context"].is_object()) {
      const json& c = doc["context"];
      for (const char* field : {"num_cpus", "library_build_type"}) {
        if (c.contains(field)) facts[field] = SpecValue(c[field]);
      }
    }
    absl::Status s = AddIdentity(set, source, facts);
    if (!s.ok()) return s;
    // Repetitions when the file has them; otherwise the median aggregate.
    bool has_iterations = false;
    for (const json& b : doc["benchmarks"]) {
      if (b.is_object() && b.value("run_type", "iteration") == "iteration") {
        has_iterations = true;
      }
    }
    for (const json& b : doc["benchmarks"]) {
      if (!b.is_object()) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": a benchmark entry is not an object"));
      }
      const std::string run_type = b.value("run_type", "iteration");
      if (has_iterations ? run_type != "iteration"
                         : (run_type != "aggregate" ||
                            b.value("aggregate_name", "") != "median")) {
        continue;
      }
      if (b.contains("error_occurred") && b["error_occurred"] == true) continue;
      std::string name;
      if (b.contains("run_name") && b["run_name"].is_string()) {
        name = b["run_name"].get<std::string>();
      } else if (b.contains("name") && b["name"].is_string()) {
        name = b["name"].get<std::string>();
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": a benchmark entry has no name"));
      }
      double scale = 1;
      const std::string unit = b.value("time_unit", "ns");
      if (unit == "us") {
        scale = 1e3;
      } else if (unit == "ms") {
        scale = 1e6;
      } else if (unit == "s") {
        scale = 1e9;
      } else if (unit != "ns") {
        return absl::InvalidArgumentError(absl::StrCat(
            source, ": benchmark ", name, " has unknown time_unit ", unit));
      }
      ScenarioSamples& out = FindOrAdd(set, name, name);
      for (const auto& [field, metric] :
           {std::pair<const char*, const char*>{"cpu_time", "cpu_time_ns"},
            {"real_time", "real_time_ns"}}) {
        if (!b.contains(field) || !b[field].is_number()) {
          return absl::InvalidArgumentError(absl::StrCat(
              source, ": benchmark ", name, " has no numeric ", field));
        }
        AddMetric(out, metric, b[field].get<double>() * scale);
      }
    }
  }
  if (set.scenarios.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        absl::StrJoin(sources, ", "), ": no benchmark to compare"));
  }
  return set;
}

absl::StatusOr<SampleSet> ReadSide(absl::string_view side_name,
                                   const std::vector<LabeledPath>& inputs,
                                   const std::vector<std::string>& ignore) {
  if (inputs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no file for the ", side_name, " side"));
  }
  std::vector<json> gbench;
  std::vector<report::Result> results;
  std::vector<std::string> gbench_sources, result_sources, labels;
  for (const LabeledPath& in : inputs) {
    absl::StatusOr<json> doc = report::ReadJsonDocument(in.path);
    if (!doc.ok()) {
      // Every read error is the user's to fix: usage.
      return absl::InvalidArgumentError(doc.status().message());
    }
    const std::string source = absl::StrCat(in.label, "=", in.path);
    labels.push_back(in.label);
    if (doc->is_object() && doc->contains("schema")) {
      absl::StatusOr<report::Result> r = report::FromJson(*doc);
      if (!r.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(in.path, ": ", r.status().message()));
      }
      results.push_back(*std::move(r));
      result_sources.push_back(source);
    } else if (doc->is_object() && doc->contains("benchmarks")) {
      gbench.push_back(*std::move(doc));
      gbench_sources.push_back(source);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          in.path,
          ": neither a mailshake result (no \"schema\") nor Google Benchmark "
          "JSON (no \"benchmarks\")"));
    }
  }
  if (!gbench.empty() && !results.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        gbench_sources.front(), " is Google Benchmark JSON but ",
        result_sources.front(),
        " is a mailshake result: one side cannot mix them"));
  }
  const std::string label = absl::StrJoin(labels, "+");
  if (!gbench.empty()) {
    return SampleSetFromGoogleBenchmark(label, gbench, gbench_sources);
  }
  return SampleSetFromResults(label, results, result_sources, ignore);
}

absl::StatusOr<std::vector<Gate>> ParseFailOn(absl::string_view spec) {
  std::vector<Gate> gates;
  for (absl::string_view element : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    element = absl::StripAsciiWhitespace(element);
    const size_t gt = element.rfind('>');
    if (gt == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--fail-on: '", element, "' is not METRIC>LIMIT%, e.g. cpu>+3%"));
    }
    absl::StatusOr<MetricInfo> info = MetricInfoFor(element.substr(0, gt));
    if (!info.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--fail-on: ", info.status().message()));
    }
    absl::string_view limit = absl::StripAsciiWhitespace(element.substr(gt + 1));
    absl::ConsumePrefix(&limit, "+") || absl::ConsumePrefix(&limit, "-");
    absl::ConsumeSuffix(&limit, "%");
    double value = 0;
    if (!absl::SimpleAtod(limit, &value) || !std::isfinite(value) || value < 0 ||
        value > 1e6) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--fail-on: '", element, "' needs a limit in percent, e.g. +3%"));
    }
    gates.push_back({info->id, value});
  }
  if (gates.empty()) {
    return absl::InvalidArgumentError("--fail-on: no METRIC>LIMIT% given");
  }
  return gates;
}

absl::Status CheckComparable(const SampleSet& old_side,
                             const SampleSet& new_side) {
  if (old_side.google_benchmark != new_side.google_benchmark) {
    const SampleSet& g = old_side.google_benchmark ? old_side : new_side;
    const SampleSet& r = old_side.google_benchmark ? new_side : old_side;
    return absl::InvalidArgumentError(absl::StrCat(
        absl::StrJoin(g.sources, ", "), " is Google Benchmark JSON but ",
        absl::StrJoin(r.sources, ", "),
        " is a mailshake result: they cannot be compared"));
  }
  std::vector<std::string> differences;
  for (const auto& [key, value] : old_side.identity) {
    auto it = new_side.identity.find(key);
    if (it == new_side.identity.end() || it->second == value) continue;
    differences.push_back(absl::StrFormat(
        "%s differs: \"%s\" in %s, \"%s\" in %s", key, value,
        old_side.identity_source.at(key), it->second,
        new_side.identity_source.at(key)));
  }
  if (differences.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("not comparable (use --force to compare anyway): ",
                   absl::StrJoin(differences, "; ")));
}

SideSummary Summarize(const std::vector<double>& values, double confidence) {
  SideSummary s;
  s.n = static_cast<int>(values.size());
  if (values.empty()) return s;
  s.median = *stats::Median(values);
  s.interval = {s.median, s.median, 0};
  if (auto ci = stats::MedianConfidenceInterval(values, confidence); ci.ok()) {
    s.interval = *ci;
  }
  return s;
}

absl::StatusOr<Comparison> Compare(const SampleSet& old_side,
                                   const SampleSet& new_side,
                                   const CompareOptions& options) {
  if (!(options.alpha > 0 && options.alpha < 1)) {
    return absl::InvalidArgumentError("--alpha must be in (0, 1)");
  }
  if (!(options.threshold_percent >= 0 && options.threshold_percent < 1e6)) {
    return absl::InvalidArgumentError("--threshold must be 0% or more");
  }
  Comparison c;
  c.old_label = old_side.label;
  c.new_label = new_side.label;
  c.old_sources = old_side.sources;
  c.new_sources = new_side.sources;
  c.options = options;
  absl::Status comparable = CheckComparable(old_side, new_side);
  if (!comparable.ok()) {
    if (!options.force || comparable.code() != absl::StatusCode::kFailedPrecondition) {
      return comparable;
    }
    c.warnings.push_back(std::string(comparable.message()));
  }

  // Gated metrics and their limits.
  std::map<std::string, double> gate;
  if (options.gates.empty()) {
    for (const std::string& id :
         {"hs_per_cpu", "hs_rate", "server_cpu_us", "p50(tls)", "p99(tls)",
          "p50(total)", "p99(total)", "failure_rate", "cpu_time_ns"}) {
      gate[id] = options.threshold_percent;
    }
  } else {
    for (const Gate& g : options.gates) gate[g.metric] = g.limit;
  }

  for (const std::string& n : old_side.not_measured) {
    c.not_measured.push_back(absl::StrCat(old_side.label, ": ", n));
  }
  for (const std::string& n : new_side.not_measured) {
    c.not_measured.push_back(absl::StrCat(new_side.label, ": ", n));
  }
  std::set<std::string> new_keys, old_keys;
  for (const ScenarioSamples& s : new_side.scenarios) new_keys.insert(s.key);
  for (const ScenarioSamples& s : old_side.scenarios) {
    old_keys.insert(s.key);
    if (!new_keys.count(s.key)) c.only_old.push_back(s.name);
  }
  for (const ScenarioSamples& s : new_side.scenarios) {
    if (!old_keys.count(s.key)) c.only_new.push_back(s.name);
  }
  std::set<std::string> metrics_seen;
  for (const ScenarioSamples& o : old_side.scenarios) {
    const ScenarioSamples* n = nullptr;
    for (const ScenarioSamples& s : new_side.scenarios) {
      if (s.key == o.key) n = &s;
    }
    if (n == nullptr) continue;
    ScenarioComparison sc;
    sc.key = o.key;
    sc.name = o.name;
    sc.old_trials = o.trials;
    sc.old_disturbed_trials = o.disturbed_trials;
    sc.new_trials = n->trials;
    sc.new_disturbed_trials = n->disturbed_trials;
    sc.old_slowed_trials = o.slowed_trials;
    sc.new_slowed_trials = n->slowed_trials;
    for (const auto& [id, old_values] : o.metrics) {
      auto it = n->metrics.find(id);
      if (it == n->metrics.end()) continue;
      const std::vector<double>& new_values = it->second;
      absl::StatusOr<MetricInfo> info = MetricInfoFor(id);
      if (!info.ok() || old_values.empty() || new_values.empty()) continue;
      metrics_seen.insert(id);
      MetricComparison m;
      m.metric = id;
      m.old_side = Summarize(old_values, options.confidence);
      m.new_side = Summarize(new_values, options.confidence);
      if (info->absolute_change) {
        m.change = m.new_side.median - m.old_side.median;
      } else if (m.old_side.median != 0) {
        m.change = 100 * (m.new_side.median - m.old_side.median) /
                   std::fabs(m.old_side.median);
      }
      if (auto shift = stats::HodgesLehmannShift(old_values, new_values,
                                                 options.confidence);
          shift.ok()) {
        m.shift = *shift;
      }
      if (auto test = stats::MannWhitneyUTest(old_values, new_values); test.ok()) {
        m.p_value = test->p_value;
      }
      if (auto g = gate.find(id); g != gate.end()) {
        m.gate_limit = g->second;
        m.gate_p = GateP(*info, g->second, old_values, new_values);
      }
      sc.metrics.push_back(std::move(m));
    }
    std::stable_sort(sc.metrics.begin(), sc.metrics.end(),
                     [](const MetricComparison& a, const MetricComparison& b) {
                       return MetricRank(a.metric) < MetricRank(b.metric);
                     });
    if (!sc.metrics.empty()) c.scenarios.push_back(std::move(sc));
  }
  if (c.scenarios.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no scenario is on both sides (", absl::StrJoin(old_side.sources, ", "),
        " against ", absl::StrJoin(new_side.sources, ", "), ")"));
  }
  for (const auto& [id, limit] : gate) {
    if (!options.gates.empty() && !metrics_seen.count(id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--fail-on: metric ", id, " is not measured on both sides"));
    }
  }

  // The tables' significance: two-sided tests, Holm over the scenarios of
  // each metric.
  size_t families = 0;
  for (const std::string& id : metrics_seen) {
    std::vector<MetricComparison*> family;
    std::vector<double> p;
    for (ScenarioComparison& sc : c.scenarios) {
      for (MetricComparison& m : sc.metrics) {
        if (m.metric == id && m.p_value.has_value()) {
          family.push_back(&m);
          p.push_back(*m.p_value);
        }
      }
    }
    if (family.empty()) continue;
    ++families;
    absl::StatusOr<std::vector<double>> adjusted = stats::HolmAdjust(p);
    if (!adjusted.ok()) return adjusted.status();
    const MetricInfo info = *MetricInfoFor(id);
    for (size_t i = 0; i < family.size(); ++i) {
      MetricComparison& m = *family[i];
      m.adjusted_p = (*adjusted)[i];
      m.significant = *m.adjusted_p < options.alpha;
      if (!m.significant || !m.change.has_value()) continue;
      const double worse = info.higher_is_better ? -*m.change : *m.change;
      if (-worse > options.threshold_percent) m.improvement = true;
    }
  }

  // The gate: one one-sided test per gated metric and scenario, against its
  // limit, Holm-adjusted over all of them together.
  std::vector<MetricComparison*> gated;
  std::vector<double> gate_p;
  double smallest_p = 1;
  for (ScenarioComparison& sc : c.scenarios) {
    for (MetricComparison& m : sc.metrics) {
      if (!m.gate_p.has_value()) continue;
      gated.push_back(&m);
      gate_p.push_back(*m.gate_p);
      smallest_p = std::min(smallest_p, SmallestOneSidedP(m.old_side.n, m.new_side.n));
    }
  }
  c.gate_tests = static_cast<int>(gated.size());
  absl::StatusOr<std::vector<double>> gate_adjusted = stats::HolmAdjust(gate_p);
  if (!gate_adjusted.ok()) return gate_adjusted.status();
  for (size_t i = 0; i < gated.size(); ++i) {
    MetricComparison& m = *gated[i];
    m.gate_adjusted_p = (*gate_adjusted)[i];
    if (!(*m.gate_adjusted_p < options.alpha) || !m.change.has_value()) continue;
    const MetricInfo info = *MetricInfoFor(m.metric);
    const double worse = info.higher_is_better ? -*m.change : *m.change;
    m.regression = worse > *m.gate_limit;
  }
  for (const ScenarioComparison& sc : c.scenarios) {
    std::string disturbed =
        sc.Disturbed() ? absl::StrFormat("; disturbed trials: old %d of %d, new %d of %d",
                                         sc.old_disturbed_trials, sc.old_trials,
                                         sc.new_disturbed_trials, sc.new_trials)
                       : "";
    if (sc.Slowed()) {
      absl::StrAppendFormat(&disturbed, "; trials on a slowed CPU: old %d of %d, new %d of %d",
                            sc.old_slowed_trials, sc.old_trials, sc.new_slowed_trials,
                            sc.new_trials);
      c.slowed.push_back(absl::StrFormat("%s: old %d of %d trials, new %d of %d", sc.name,
                                         sc.old_slowed_trials, sc.old_trials,
                                         sc.new_slowed_trials, sc.new_trials));
    }
    // The two sides ran on CPUs of different speed: what the canary says
    // of the machine, significant and past the cut that marks a trial.
    for (const MetricComparison& m : sc.metrics) {
      if (m.metric != "canary_us" || !m.significant || !m.change.has_value() ||
          std::abs(*m.change) <= 100 * kCanarySlowerThanFastest) {
        continue;
      }
      const std::string line = absl::StrFormat(
          "%s: the client's CPUs ran the CPU canary %.1f%% %s in %s than in %s (adjusted p=%.3g): "
          "a change of CPU figures this size may be the machine's",
          sc.name, std::abs(*m.change), *m.change > 0 ? "slower" : "faster", c.new_label,
          c.old_label, *m.adjusted_p);
      c.slowed.push_back(line);
      absl::StrAppendFormat(&disturbed, "; CPU canary %+.1f%% in %s", *m.change, c.new_label);
    }
    if (sc.Disturbed()) {
      c.disturbed.push_back(absl::StrFormat("%s: old %d of %d trials, new %d of %d", sc.name,
                                            sc.old_disturbed_trials, sc.old_trials,
                                            sc.new_disturbed_trials, sc.new_trials));
    }
    for (const MetricComparison& m : sc.metrics) {
      if (!m.regression) continue;
      c.regressions.push_back(absl::StrFormat(
          "%s: %s %+.2f%s (limit %.3g, gate p=%.3g of %d tests%s)", sc.name, m.metric,
          *m.change, MetricInfoFor(m.metric)->absolute_change ? " points" : "%",
          *m.gate_limit, *m.gate_adjusted_p, c.gate_tests, disturbed));
    }
  }

  // Geometric means of new/old per metric.
  for (const std::string& id : metrics_seen) {
    double log_sum = 0;
    int count = 0;
    for (const ScenarioComparison& sc : c.scenarios) {
      for (const MetricComparison& m : sc.metrics) {
        if (m.metric == id && m.old_side.median > 0 && m.new_side.median > 0) {
          log_sum += std::log(m.new_side.median / m.old_side.median);
          ++count;
        }
      }
    }
    if (count > 0) {
      c.geomean.push_back({id, 100 * (std::exp(log_sum / count) - 1), count});
    }
  }
  std::stable_sort(c.geomean.begin(), c.geomean.end(),
                   [](const GeomeanRow& a, const GeomeanRow& b) {
                     return MetricRank(a.metric) < MetricRank(b.metric);
                   });

  c.footer = absl::StrFormat(
      "Trials are the unit of statistics. Tables: medians with %.0f%% "
      "distribution-free intervals, Hodges-Lehmann shifts, two-sided "
      "Mann-Whitney U p-values Holm-adjusted over the %d scenario(s) of each "
      "of the %d metrics; \"~\": not significant at alpha = %.3g. Gate (%s): "
      "each gated metric of each scenario is one one-sided Mann-Whitney U "
      "test (exact without ties) of \"NEW is worse than OLD by more than the "
      "limit\" (OLD's trials moved by the limit), and the %d tests are "
      "Holm-adjusted together: the chance of any false regression in this "
      "comparison is at most %.3g. Tests whose trials all have the same value "
      "cannot fail and are not counted. A regression is a gate test with "
      "adjusted p < alpha whose medians also changed past the limit.",
      100 * options.confidence, static_cast<int>(c.scenarios.size()),
      static_cast<int>(families), options.alpha,
      options.gates.empty()
          ? absl::StrFormat("default: every headline metric, limit %.3g%%",
                            options.threshold_percent)
          : "--fail-on",
      c.gate_tests, options.alpha);
  if (c.gate_tests > 0 && smallest_p * c.gate_tests >= options.alpha * (1 - 1e-9)) {
    absl::StrAppend(
        &c.footer,
        absl::StrFormat(
            " With these trial counts the smallest one-sided p is %.3g, so "
            "over %d tests the gate cannot fail: use more trials per side "
            "(5 against 5 reach 1/252) or gate fewer metrics with --fail-on.",
            smallest_p, c.gate_tests));
  }
  return c;
}

int ExitStatus(const Comparison& comparison) {
  return comparison.regressions.empty() ? 0 : 1;
}

int ExitStatusFor(const absl::Status& status) {
  if (status.ok()) return 0;
  return status.code() == absl::StatusCode::kFailedPrecondition ? 4 : 2;
}

absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view name) {
  if (name == "text") return OutputFormat::kText;
  if (name == "markdown") return OutputFormat::kMarkdown;
  if (name == "csv") return OutputFormat::kCsv;
  if (name == "json") return OutputFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("--format: '", name, "' is not text, markdown, csv or json"));
}

namespace {

json OptionalNumber(const std::optional<double>& v) {
  return v.has_value() ? json(*v) : json(nullptr);
}

json SideToJson(const SideSummary& s) {
  return {{"n", s.n},
          {"median", s.median},
          {"ci_lower", s.interval.lower},
          {"ci_upper", s.interval.upper},
          {"ci_confidence", s.interval.confidence}};
}

std::string Cell(const SideSummary& s) {
  const double half = std::max(s.median - s.interval.lower,
                               s.interval.upper - s.median);
  if (s.median != 0 && s.n > 1) {
    return absl::StrFormat("%s ±%.1f%%", report::FormatSignificant(s.median),
                           100 * half / std::fabs(s.median));
  }
  return report::FormatSignificant(s.median);
}

std::string ChangeCell(const MetricComparison& m) {
  if (!(m.significant || m.regression) || !m.change.has_value()) return "~";
  const bool absolute = MetricInfoFor(m.metric)->absolute_change;
  std::string s = absolute ? absl::StrFormat("%+.2fpt", *m.change)
                           : absl::StrFormat("%+.2f%%", *m.change);
  if (m.regression) absl::StrAppend(&s, " REGRESSION");
  return s;
}

std::string PCell(const MetricComparison& m) {
  if (!m.p_value.has_value()) return "";
  return absl::StrFormat("p=%.3f n=%d+%d", *m.adjusted_p, m.old_side.n,
                         m.new_side.n);
}

// The Hodges-Lehmann shift and its interval, in percent of the old median
// (points for absolute metrics).
std::string ShiftCell(const MetricComparison& m) {
  if (!m.shift.has_value()) return "";
  const bool absolute = MetricInfoFor(m.metric)->absolute_change;
  if (!absolute && m.old_side.median == 0) return "";
  const double scale = absolute ? 1 : 100 / std::fabs(m.old_side.median);
  return absl::StrFormat("%+.2f [%+.2f, %+.2f]%s", m.shift->estimate * scale,
                         m.shift->interval.lower * scale, m.shift->interval.upper * scale,
                         absolute ? "pt" : "%");
}

std::string GateCell(const MetricComparison& m) {
  if (!m.gate_adjusted_p.has_value()) return m.gate_limit.has_value() ? "-" : "";
  return absl::StrFormat("p=%.3f", *m.gate_adjusted_p);
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

// Rows shown by the text and markdown forms: headline metrics and every
// metric that changed significantly.
bool Shown(const MetricComparison& m) {
  return MetricInfoFor(m.metric)->headline || m.regression || m.improvement;
}

}  // namespace

json ComparisonToJson(const Comparison& c) {
  json j;
  j["schema"] = "mailshake.compare/v1";
  j["old"] = {{"label", c.old_label}, {"sources", c.old_sources}};
  j["new"] = {{"label", c.new_label}, {"sources", c.new_sources}};
  j["options"] = {{"alpha", c.options.alpha},
                  {"threshold_percent", c.options.threshold_percent},
                  {"confidence", c.options.confidence},
                  {"force", c.options.force}};
  json scenarios = json::array();
  for (const ScenarioComparison& sc : c.scenarios) {
    json metrics = json::array();
    for (const MetricComparison& m : sc.metrics) {
      const MetricInfo info = *MetricInfoFor(m.metric);
      json row = {{"metric", m.metric},
                  {"title", info.title},
                  {"unit", info.unit},
                  {"higher_is_better", info.higher_is_better},
                  {"headline", info.headline},
                  {"change_in_points", info.absolute_change},
                  {"old", SideToJson(m.old_side)},
                  {"new", SideToJson(m.new_side)},
                  {"change", OptionalNumber(m.change)},
                  {"p_value", OptionalNumber(m.p_value)},
                  {"adjusted_p", OptionalNumber(m.adjusted_p)},
                  {"significant", m.significant},
                  {"gate_limit", OptionalNumber(m.gate_limit)},
                  {"gate_p", OptionalNumber(m.gate_p)},
                  {"gate_adjusted_p", OptionalNumber(m.gate_adjusted_p)},
                  {"regression", m.regression},
                  {"improvement", m.improvement}};
      if (m.shift.has_value()) {
        row["shift"] = {{"estimate", m.shift->estimate},
                        {"ci_lower", m.shift->interval.lower},
                        {"ci_upper", m.shift->interval.upper},
                        {"ci_confidence", m.shift->interval.confidence}};
      } else {
        row["shift"] = nullptr;
      }
      metrics.push_back(std::move(row));
    }
    scenarios.push_back({{"key", sc.key},
                         {"name", sc.name},
                         {"old_trials", sc.old_trials},
                         {"old_disturbed_trials", sc.old_disturbed_trials},
                         {"new_trials", sc.new_trials},
                         {"new_disturbed_trials", sc.new_disturbed_trials},
                         {"disturbed", sc.Disturbed()},
                         {"old_slowed_trials", sc.old_slowed_trials},
                         {"new_slowed_trials", sc.new_slowed_trials},
                         {"slowed", sc.Slowed()},
                         {"metrics", metrics}});
  }
  j["scenarios"] = scenarios;
  json geomean = json::array();
  for (const GeomeanRow& g : c.geomean) {
    geomean.push_back(
        {{"metric", g.metric}, {"change", g.change}, {"scenarios", g.scenarios}});
  }
  j["geomean"] = geomean;
  j["only_old"] = c.only_old;
  j["only_new"] = c.only_new;
  j["not_measured"] = c.not_measured;
  j["warnings"] = c.warnings;
  j["disturbed"] = c.disturbed;
  j["disturbed_share"] = kDisturbedShare;
  j["slowed"] = c.slowed;
  j["slowed_cuts"] = {{"slower_than_fastest", kCanarySlowerThanFastest},
                      {"before_after", kCanaryBeforeAfterDisagree}};
  j["regressions"] = c.regressions;
  j["gate_tests"] = c.gate_tests;
  j["footer"] = c.footer;
  return j;
}

std::string FormatComparison(const Comparison& c, OutputFormat format) {
  if (format == OutputFormat::kJson) {
    return ComparisonToJson(c).dump(2, ' ', false, json::error_handler_t::replace) +
           "\n";
  }
  if (format == OutputFormat::kCsv) {
    std::string out =
        "scenario,metric,unit,old_n,old_median,old_ci_lower,old_ci_upper,"
        "new_n,new_median,new_ci_lower,new_ci_upper,change,shift,"
        "shift_ci_lower,shift_ci_upper,p_value,adjusted_p,significant,"
        "regression,gate_limit,gate_p,gate_adjusted_p,old_disturbed_trials,"
        "new_disturbed_trials,old_slowed_trials,new_slowed_trials\r\n";
    for (const ScenarioComparison& sc : c.scenarios) {
      for (const MetricComparison& m : sc.metrics) {
        auto num = [](const std::optional<double>& v) {
          return v.has_value() ? absl::StrFormat("%.6g", *v) : std::string();
        };
        std::optional<double> shift, lo, hi;
        if (m.shift.has_value()) {
          shift = m.shift->estimate;
          lo = m.shift->interval.lower;
          hi = m.shift->interval.upper;
        }
        absl::StrAppend(
            &out, CsvField(sc.name), ",", CsvField(m.metric), ",",
            CsvField(MetricInfoFor(m.metric)->unit), ",", m.old_side.n, ",",
            num(m.old_side.median), ",", num(m.old_side.interval.lower), ",",
            num(m.old_side.interval.upper), ",", m.new_side.n, ",",
            num(m.new_side.median), ",", num(m.new_side.interval.lower), ",",
            num(m.new_side.interval.upper), ",", num(m.change), ",", num(shift),
            ",", num(lo), ",", num(hi), ",", num(m.p_value), ",",
            num(m.adjusted_p), ",", m.significant ? "true" : "false", ",",
            m.regression ? "true" : "false", ",", num(m.gate_limit), ",",
            num(m.gate_p), ",", num(m.gate_adjusted_p), ",", sc.old_disturbed_trials, ",",
            sc.new_disturbed_trials, ",", sc.old_slowed_trials, ",", sc.new_slowed_trials,
            "\r\n");
      }
    }
    return out;
  }
  const bool md = format == OutputFormat::kMarkdown;
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"scenario", "metric", c.old_label, c.new_label, "change",
                  "HL shift [95%]", "adjusted p, n", "gate p"});
  for (const ScenarioComparison& sc : c.scenarios) {
    bool first = true;
    for (const MetricComparison& m : sc.metrics) {
      if (!Shown(m)) continue;
      const MetricInfo info = *MetricInfoFor(m.metric);
      const std::string name = absl::StrCat(sc.name, sc.Disturbed() ? " [disturbed]" : "",
                                            sc.Slowed() ? " [slowed CPU]" : "");
      rows.push_back({first || md ? name : "",
                      absl::StrCat(m.metric, " ", info.unit), Cell(m.old_side),
                      Cell(m.new_side), ChangeCell(m), ShiftCell(m), PCell(m), GateCell(m)});
      first = false;
    }
  }
  for (const GeomeanRow& g : c.geomean) {
    if (!MetricInfoFor(g.metric)->headline || MetricInfoFor(g.metric)->absolute_change) {
      continue;
    }
    rows.push_back({"[geomean]", g.metric, "", "",
                    absl::StrFormat("%+.2f%%", g.change),
                    "", absl::StrCat(g.scenarios, " scenario(s)"), ""});
  }
  std::string out;
  if (md) {
    for (size_t r = 0; r < rows.size(); ++r) {
      std::vector<std::string> cells;
      for (const std::string& cell : rows[r]) {
        cells.push_back(absl::StrReplaceAll(cell, {{"|", "\\|"}}));
      }
      absl::StrAppend(&out, "| ", absl::StrJoin(cells, " | "), " |\n");
      if (r == 0) absl::StrAppend(&out, "|---|---|---:|---:|---:|---:|---|---|\n");
    }
  } else {
    std::vector<size_t> width(rows[0].size(), 0);
    for (const auto& row : rows) {
      for (size_t i = 0; i < row.size(); ++i) {
        // Column widths in characters; "±" and "µ" are two bytes each.
        size_t len = 0;
        for (unsigned char ch : row[i]) len += (ch & 0xC0) != 0x80;
        width[i] = std::max(width[i], len);
      }
    }
    for (const auto& row : rows) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        size_t len = 0;
        for (unsigned char ch : row[i]) len += (ch & 0xC0) != 0x80;
        absl::StrAppend(&line, row[i],
                        i + 1 < row.size() ? std::string(width[i] - len + 2, ' ') : "");
      }
      absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
    }
  }
  auto list = [&](absl::string_view title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    absl::StrAppend(&out, "\n", title, ":\n");
    for (const std::string& item : items) absl::StrAppend(&out, md ? "- " : "  ", item, "\n");
  };
  list(absl::StrCat("Only in ", c.old_label), c.only_old);
  list(absl::StrCat("Only in ", c.new_label), c.only_new);
  list("Not measured", c.not_measured);
  list("Compared despite differences (--force)", c.warnings);
  list(absl::StrFormat("Disturbed trials (other processes or steal took more than %.0f%% of "
                       "the machine's CPU while they ran; their figures may be shifted)",
                       100 * kDisturbedShare),
       c.disturbed);
  list(absl::StrFormat("Slowed CPUs (trials whose CPU speed canary was more than %.0f%% "
                       "slower than their run's fastest, or changed by more than %.0f%% "
                       "during the trial, and sides whose canaries differ by more than %.0f%%; "
                       "their CPU figures may be shifted)",
                       100 * kCanarySlowerThanFastest, 100 * kCanaryBeforeAfterDisagree,
                       100 * kCanarySlowerThanFastest),
       c.slowed);
  list("Regressions", c.regressions);
  absl::StrAppend(&out, "\n", md ? "_" : "", c.footer, md ? "_" : "", "\n");
  if (c.regressions.empty()) {
    absl::StrAppend(&out, "No significant regression past the limits.\n");
  }
  return out;
}

}  // namespace lab
}  // namespace mailshake
