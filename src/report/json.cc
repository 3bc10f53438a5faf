// The mailshake.result/v1 JSON form: writer, validating reader and files.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "src/io/file_io.h"
#include "src/outcome/outcome.h"
#include "src/report/report.h"
#include "src/report/status_macros.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace report {
namespace {

using nlohmann::json;

constexpr absl::string_view kSchemaPrefix = "mailshake.result/v";
constexpr size_t kMaxFileBytes = size_t{256} << 20;
constexpr int kMaxNestingDepth = 64;
// RFC 3339 in UTC with "Z" and as many fractional digits as needed.
constexpr char kStartTimeFormat[] = "%Y-%m-%d%ET%H:%M:%E*SZ";
// Derived figures must agree with what they derive from to this relative
// precision: exact for files this code wrote, tolerant of other writers'
// rounding.
constexpr double kDerivedTolerance = 1e-9;

const char* TypeName(const json& value) {
  if (value.is_number_float()) return "a floating-point number";
  if (value.is_number_integer()) return "an integer";
  return value.type_name();
}

// ObjectReader reads typed fields of one JSON object; every error names the
// object's |context| (e.g. `scenarios[2] "TLSv1.3 ..."`) and the field.
class ObjectReader {
 public:
  static absl::StatusOr<ObjectReader> Create(const json& object,
                                             std::string context) {
    if (!object.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          context, ": expected a JSON object, found ", TypeName(object)));
    }
    return ObjectReader(object, std::move(context));
  }

  const std::string& context() const { return context_; }

  // What names field |key| in messages.
  std::string What(absl::string_view key) const {
    return absl::StrCat(context_, ": field \"", key, "\"");
  }

  bool Has(absl::string_view key) const {
    return object_.contains(std::string(key));
  }

  absl::StatusOr<const json*> Field(absl::string_view key) const {
    auto it = object_.find(std::string(key));
    if (it == object_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(context_, ": missing field \"", key, "\""));
    }
    return &*it;
  }

  absl::StatusOr<const json*> Object(absl::string_view key) const {
    REPORT_ASSIGN_OR_RETURN(const json* value, Field(key));
    if (!value->is_object()) return WrongType(key, "an object", *value);
    return value;
  }

  absl::StatusOr<const json*> Array(absl::string_view key) const {
    REPORT_ASSIGN_OR_RETURN(const json* value, Field(key));
    if (!value->is_array()) return WrongType(key, "an array", *value);
    return value;
  }

  absl::StatusOr<std::string> String(absl::string_view key) const {
    REPORT_ASSIGN_OR_RETURN(const json* value, Field(key));
    if (!value->is_string()) return WrongType(key, "a string", *value);
    return value->get<std::string>();
  }

  absl::StatusOr<bool> Bool(absl::string_view key) const {
    REPORT_ASSIGN_OR_RETURN(const json* value, Field(key));
    if (!value->is_boolean()) return WrongType(key, "true or false", *value);
    return value->get<bool>();
  }

  // AsCount returns |value| when it is an integer in [0, 2^63).
  static std::optional<int64_t> AsCount(const json& value) {
    if (value.is_number_unsigned()) {
      const uint64_t v = value.get<uint64_t>();
      if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return static_cast<int64_t>(v);
      }
    } else if (value.is_number_integer() && value.get<int64_t>() >= 0) {
      return value.get<int64_t>();
    }
    return std::nullopt;
  }

  // Count reads an integer in [0, 2^63).
  absl::StatusOr<int64_t> Count(absl::string_view key) const {
    REPORT_ASSIGN_OR_RETURN(const json* value, Field(key));
    if (std::optional<int64_t> v = AsCount(*value)) return *v;
    if (value->is_number_integer()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s is %d; it must not be negative", What(key), value->get<int64_t>()));
    }
    return WrongType(key, "an integer from 0 to 2^63-1", *value);
  }

  // Counts reads an array of at most |max| integers in [0, 2^63).
  absl::StatusOr<std::vector<int64_t>> Counts(absl::string_view key, int64_t max) const {
    REPORT_ASSIGN_OR_RETURN(const json* value, Array(key));
    if (static_cast<int64_t>(value->size()) > max) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s has %d entries; at most %d are allowed", What(key), value->size(), max));
    }
    std::vector<int64_t> out;
    out.reserve(value->size());
    for (size_t i = 0; i < value->size(); ++i) {
      std::optional<int64_t> v = AsCount((*value)[i]);
      if (!v.has_value()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s[%d] must be an integer from 0 to 2^63-1", What(key), i));
      }
      out.push_back(*v);
    }
    return out;
  }

  // SmallCount reads an integer in [0, 2^31).
  absl::StatusOr<int> SmallCount(absl::string_view key) const {
    REPORT_ASSIGN_OR_RETURN(int64_t v, Count(key));
    if (v > std::numeric_limits<int>::max()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s is %d, which is out of range", What(key), v));
    }
    return static_cast<int>(v);
  }

  // NonNegativeNumber reads a finite number >= 0 (integer or not).
  absl::StatusOr<double> NonNegativeNumber(absl::string_view key) const {
    REPORT_ASSIGN_OR_RETURN(const json* value, Field(key));
    if (value->is_number()) {
      const double v = value->get<double>();
      if (std::isfinite(v) && v >= 0) return v;
      return absl::InvalidArgumentError(
          absl::StrFormat("%s is %g; it must be zero or more", What(key), v));
    }
    return WrongType(key, "a number", *value);
  }

  // CheckDerived checks that field |key| holds |expected|, within
  // kDerivedTolerance, or null when |expected| is nullopt.
  absl::Status CheckDerived(absl::string_view key,
                            std::optional<double> expected,
                            absl::string_view from) const {
    REPORT_ASSIGN_OR_RETURN(const json* value, Field(key));
    if (!expected.has_value()) {
      if (value->is_null()) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(
          What(key), " must be null, since ", from, " is undefined"));
    }
    if (!value->is_number()) return WrongType(key, "a number", *value);
    const double v = value->get<double>();
    if (std::abs(v - *expected) <= kDerivedTolerance * std::abs(*expected)) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s is %g but %s is %g", What(key), v, from, *expected));
  }

 private:
  ObjectReader(const json& object, std::string context)
      : object_(object), context_(std::move(context)) {}

  absl::Status WrongType(absl::string_view key, absl::string_view expected,
                         const json& value) const {
    return absl::InvalidArgumentError(absl::StrCat(
        What(key), " must be ", expected, ", found ", TypeName(value)));
  }

  const json& object_;
  std::string context_;
};

// Prefix returns |status| with its message prefixed by |context|.
absl::Status Prefix(absl::string_view context, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(context, ": ", status.message()));
}

json Optional(std::optional<double> value) {
  return value.has_value() ? json(*value) : json(nullptr);
}

// --- Latency summaries ---------------------------------------------------

struct PercentileField {
  const char* key;
  double percentile;
};
constexpr PercentileField kPercentileFields[] = {
    {"p50_ns", 50.0},
    {"p90_ns", 90.0},
    {"p99_ns", 99.0},
    {"p99_9_ns", 99.9},
};

// LatencyToJson writes a histogram with its summary next to it.
json LatencyToJson(const stats::LatencyHistogram& h) {
  json out = json::object();
  out["count"] = h.Count();
  out["mean_ns"] = h.Mean();
  for (const PercentileField& p : kPercentileFields) {
    out[p.key] = h.ValueAtPercentile(p.percentile);
  }
  out["max_ns"] = h.Max();
  out["histogram"] = h.ToJson();
  return out;
}

// LatencyFromJson rebuilds the histogram and checks the summary against it:
// counts and max exactly, percentiles for type and order (the histogram is
// authoritative; readers recompute percentiles from it).
absl::StatusOr<stats::LatencyHistogram> LatencyFromJson(
    const ObjectReader& in) {
  REPORT_ASSIGN_OR_RETURN(const json* histogram_json, in.Field("histogram"));
  absl::StatusOr<stats::LatencyHistogram> histogram =
      stats::LatencyHistogram::FromJson(*histogram_json);
  if (!histogram.ok()) {
    return Prefix(in.What("histogram"), histogram.status());
  }
  REPORT_ASSIGN_OR_RETURN(int64_t count, in.Count("count"));
  if (count != histogram->Count()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s is %d but the histogram holds %d values",
                        in.What("count"), count, histogram->Count()));
  }
  REPORT_ASSIGN_OR_RETURN(int64_t max, in.Count("max_ns"));
  if (max != histogram->Max()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s is %d but the histogram's maximum is %d",
                        in.What("max_ns"), max, histogram->Max()));
  }
  REPORT_ASSIGN_OR_RETURN(double mean, in.NonNegativeNumber("mean_ns"));
  if (mean > static_cast<double>(max)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s is %g, above max_ns (%d)", in.What("mean_ns"), mean, max));
  }
  int64_t previous = 0;
  for (const PercentileField& p : kPercentileFields) {
    REPORT_ASSIGN_OR_RETURN(int64_t value, in.Count(p.key));
    if (value < previous || value > max) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s is %d; percentiles must not decrease and must not exceed "
          "max_ns (%d)",
          in.What(p.key), value, max));
    }
    previous = value;
  }
  return histogram;
}

// --- Environment -----------------------------------------------------------

json EnvironmentToJson(const Environment& env) {
  json out = json::object();
  out["tool_version"] = env.tool_version;
  out["git_revision"] = env.git_revision;
  out["boringssl_api_version"] = env.boringssl_api_version;
  out["cpu_model"] = env.cpu_model;
  out["cores"] = env.cores;
  out["kernel"] = env.kernel;
  out["hostname"] = env.hostname;
  out["start"] =
      absl::FormatTime(kStartTimeFormat, env.start, absl::UTCTimeZone());
  return out;
}

absl::StatusOr<Environment> EnvironmentFromJson(const json& value) {
  REPORT_ASSIGN_OR_RETURN(ObjectReader in,
                          ObjectReader::Create(value, "environment"));
  Environment env;
  REPORT_ASSIGN_OR_RETURN(env.tool_version, in.String("tool_version"));
  REPORT_ASSIGN_OR_RETURN(env.git_revision, in.String("git_revision"));
  REPORT_ASSIGN_OR_RETURN(env.boringssl_api_version,
                          in.SmallCount("boringssl_api_version"));
  REPORT_ASSIGN_OR_RETURN(env.cpu_model, in.String("cpu_model"));
  REPORT_ASSIGN_OR_RETURN(env.cores, in.SmallCount("cores"));
  REPORT_ASSIGN_OR_RETURN(env.kernel, in.String("kernel"));
  REPORT_ASSIGN_OR_RETURN(env.hostname, in.String("hostname"));
  REPORT_ASSIGN_OR_RETURN(std::string start, in.String("start"));
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, start, &env.start, &error)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s is \"%s\", not an RFC 3339 time (%s)",
                        in.What("start"), start, error));
  }
  return env;
}

// --- Scenario --------------------------------------------------------------

// The keys a client's and a server's syscalls objects share: calls, their
// total and epoll_wait.
json SyscallsToJson(const Syscalls& calls) {
  json out = json::object();
  out["calls"] = calls.calls;
  out["total"] = calls.Total();
  out["epoll_wait"] = calls.epoll_wait;
  return out;
}

absl::StatusOr<Syscalls> SyscallsFromJson(const ObjectReader& in) {
  Syscalls calls;
  REPORT_ASSIGN_OR_RETURN(const json* by_call, in.Object("calls"));
  REPORT_ASSIGN_OR_RETURN(ObjectReader by_call_in,
                          ObjectReader::Create(*by_call, in.What("calls")));
  for (auto it = by_call->begin(); it != by_call->end(); ++it) {
    REPORT_ASSIGN_OR_RETURN(calls.calls[it.key()], by_call_in.Count(it.key()));
  }
  REPORT_ASSIGN_OR_RETURN(calls.epoll_wait, in.Count("epoll_wait"));
  REPORT_ASSIGN_OR_RETURN(int64_t total, in.Count("total"));
  if (total != calls.Total()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s is %d but the calls add up to %d", in.What("total"), total, calls.Total()));
  }
  return calls;
}

json ServerToJson(const ServerSide& server) {
  json out = json::object();
  out["connections"] = server.connections;
  out["handshakes"] = server.handshakes;
  out["resumed"] = server.resumed;
  out["cpu_seconds"] = server.cpu_seconds;
  out["cpu_user_seconds"] = server.cpu_user_seconds;
  out["cpu_system_seconds"] = server.cpu_system_seconds;
  out["seconds"] = server.seconds;
  out["handshake_rate"] = Optional(ServerHandshakeRate(server));
  out["cpu_us_per_handshake"] = Optional(
      server.handshakes > 0
          ? std::optional<double>(server.cpu_seconds * 1e6 /
                                  static_cast<double>(server.handshakes))
          : std::nullopt);
  if (server.syscalls.has_value()) {
    json sc = SyscallsToJson(server.syscalls->counted);
    sc["connections"] = server.syscalls->connections;
    sc["per_connection"] = Optional(ServerSyscallsPerConnection(*server.syscalls));
    sc["epoll_wait_per_connection"] = Optional(ServerEpollWaitsPerConnection(*server.syscalls));
    out["syscalls"] = std::move(sc);
  }
  return out;
}

absl::StatusOr<ServerSide> ServerFromJson(const json& value,
                                          const std::string& context) {
  REPORT_ASSIGN_OR_RETURN(ObjectReader in,
                          ObjectReader::Create(value, context));
  ServerSide server;
  REPORT_ASSIGN_OR_RETURN(server.connections, in.Count("connections"));
  REPORT_ASSIGN_OR_RETURN(server.handshakes, in.Count("handshakes"));
  REPORT_ASSIGN_OR_RETURN(server.resumed, in.Count("resumed"));
  REPORT_ASSIGN_OR_RETURN(server.cpu_seconds,
                          in.NonNegativeNumber("cpu_seconds"));
  REPORT_ASSIGN_OR_RETURN(server.cpu_user_seconds,
                          in.NonNegativeNumber("cpu_user_seconds"));
  REPORT_ASSIGN_OR_RETURN(server.cpu_system_seconds,
                          in.NonNegativeNumber("cpu_system_seconds"));
  // Added within v1: absent from older files.
  if (in.Has("seconds")) {
    REPORT_ASSIGN_OR_RETURN(server.seconds, in.NonNegativeNumber("seconds"));
  }
  if (in.Has("handshake_rate")) {
    REPORT_RETURN_IF_ERROR(in.CheckDerived("handshake_rate", ServerHandshakeRate(server),
                                           "handshakes / seconds"));
  }
  REPORT_RETURN_IF_ERROR(in.CheckDerived(
      "cpu_us_per_handshake",
      server.handshakes > 0
          ? std::optional<double>(server.cpu_seconds * 1e6 /
                                  static_cast<double>(server.handshakes))
          : std::nullopt,
      "cpu_seconds * 1e6 / handshakes"));
  // Added within v1: absent from older files.
  if (in.Has("syscalls")) {
    REPORT_ASSIGN_OR_RETURN(const json* sc, in.Object("syscalls"));
    REPORT_ASSIGN_OR_RETURN(ObjectReader sc_in, ObjectReader::Create(*sc, in.What("syscalls")));
    ServerSyscalls calls;
    REPORT_ASSIGN_OR_RETURN(calls.counted, SyscallsFromJson(sc_in));
    REPORT_ASSIGN_OR_RETURN(calls.connections, sc_in.Count("connections"));
    REPORT_RETURN_IF_ERROR(sc_in.CheckDerived(
        "per_connection", ServerSyscallsPerConnection(calls), "total / connections"));
    REPORT_RETURN_IF_ERROR(sc_in.CheckDerived("epoll_wait_per_connection",
                                              ServerEpollWaitsPerConnection(calls),
                                              "epoll_wait / connections"));
    server.syscalls = std::move(calls);
  }
  return server;
}

json ScenarioToJson(const Scenario& s) {
  json out = json::object();
  out["name"] = s.name;
  out["parameters"] = s.parameters;
  out["trial"] = s.trial;
  out["attempted"] = s.attempted;
  out["succeeded"] = s.succeeded;
  out["failed"] = s.failed;
  out["warmup_attempts"] = s.warmup_attempts;
  out["interrupted"] = s.interrupted;
  out["measured_seconds"] = s.measured_seconds;
  out["client_cpu_seconds"] = s.client_cpu_seconds;
  out["client_cpu_user_seconds"] = s.client_cpu_user_seconds;
  out["client_cpu_system_seconds"] = s.client_cpu_system_seconds;
  out["peak_rss_bytes"] = s.peak_rss_bytes;
  out["target_rate"] = s.target_rate;
  out["handshake_rate"] = Optional(HandshakeRate(s));
  out["attempt_rate"] = Optional(AttemptRate(s));
  out["handshakes_per_client_cpu_second"] =
      Optional(HandshakesPerClientCpuSecond(s));
  out["outcomes"] = s.outcomes.ToJson();
  // Derived: the RFC 8460 (TLS-RPT) result type of each failure category,
  // from the one mapping in src/outcome.
  json rfc8460 = json::object();
  for (const auto& [category, count] : s.outcomes.SortedByCount()) {
    if (category == kSuccessOutcome) continue;
    const absl::string_view type = outcome::Rfc8460ResultType(category);
    rfc8460[category] = type.empty() ? json(nullptr) : json(std::string(type));
  }
  out["outcome_rfc8460"] = std::move(rfc8460);
  out["deviations"] = s.deviations.ToJson();
  json phases = json::array();
  for (const PhaseLatency& phase : s.phases) {
    json entry = LatencyToJson(phase.latency);
    entry["name"] = phase.name;
    phases.push_back(std::move(entry));
  }
  out["phases"] = std::move(phases);
  out["series"] = s.series.ToJson();
  out["schedule_lag"] = LatencyToJson(s.schedule_lag);
  json negotiated = json::object();
  for (const auto& [category, counters] : s.negotiated) {
    negotiated[category] = counters.ToJson();
  }
  out["negotiated"] = std::move(negotiated);
  if (s.server.has_value()) out["server"] = ServerToJson(*s.server);
  if (s.syscalls.has_value()) {
    json sc = SyscallsToJson(*s.syscalls);
    sc["per_attempt"] = Optional(SyscallsPerAttempt(s));
    sc["epoll_wait_per_attempt"] = Optional(EpollWaitsPerAttempt(s));
    out["syscalls"] = std::move(sc);
  }
  if (s.disturbance.has_value()) {
    const Disturbance& d = *s.disturbance;
    json dj = json::object();
    dj["seconds"] = d.seconds;
    dj["cpus"] = d.cpus;
    dj["other_cpu_seconds"] = d.other_cpu_seconds;
    dj["steal_seconds"] = d.steal_seconds;
    dj["involuntary_switches"] = d.involuntary_switches;
    dj["other_share"] = Optional(OtherCpuShare(d));
    out["disturbance"] = std::move(dj);
  }
  if (s.cpu_canary.has_value()) {
    const CpuCanary& c = *s.cpu_canary;
    auto reading = [](const CanaryReading& r) {
      json rj = json::object();
      rj["cpus"] = r.cpus;
      rj["before_ns"] = r.before_ns;
      rj["after_ns"] = r.after_ns;
      return rj;
    };
    json cj = json::object();
    cj["workload"] = c.workload;
    cj["client"] = reading(c.client);
    if (c.server.has_value()) cj["server"] = reading(*c.server);
    out["cpu_canary"] = std::move(cj);
  }
  if (s.cpu_windows.has_value()) {
    json wj = json::object();
    wj["window_ns"] = s.cpu_windows->window_ns;
    wj["successes"] = s.cpu_windows->successes;
    wj["client_cpu_ns"] = s.cpu_windows->client_cpu_ns;
    out["cpu_windows"] = std::move(wj);
  }
  return out;
}

absl::StatusOr<stats::CounterMap> CountersFromJson(const ObjectReader& in,
                                                   absl::string_view key) {
  REPORT_ASSIGN_OR_RETURN(const json* value, in.Object(key));
  absl::StatusOr<stats::CounterMap> counters =
      stats::CounterMap::FromJson(*value);
  if (!counters.ok()) return Prefix(in.What(key), counters.status());
  return counters;
}

absl::StatusOr<Scenario> ScenarioFromJson(const json& value, size_t index) {
  // The name is read first so that every later message can carry it.
  std::string context = absl::StrFormat("scenarios[%d]", index);
  if (value.is_object() && value.contains("name") &&
      value["name"].is_string()) {
    context =
        absl::StrFormat("%s \"%s\"", context, value["name"].get<std::string>());
  }
  REPORT_ASSIGN_OR_RETURN(ObjectReader in,
                          ObjectReader::Create(value, context));
  Scenario s;
  REPORT_ASSIGN_OR_RETURN(s.name, in.String("name"));
  REPORT_ASSIGN_OR_RETURN(const json* parameters, in.Object("parameters"));
  for (auto it = parameters->begin(); it != parameters->end(); ++it) {
    if (!it.value().is_string()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: parameter \"%s\" must be a string, found %s",
                          context, it.key(), TypeName(it.value())));
    }
    s.parameters.emplace(it.key(), it.value().get<std::string>());
  }
  REPORT_ASSIGN_OR_RETURN(s.trial, in.SmallCount("trial"));
  REPORT_ASSIGN_OR_RETURN(s.attempted, in.Count("attempted"));
  REPORT_ASSIGN_OR_RETURN(s.succeeded, in.Count("succeeded"));
  REPORT_ASSIGN_OR_RETURN(s.failed, in.Count("failed"));
  REPORT_ASSIGN_OR_RETURN(s.warmup_attempts, in.Count("warmup_attempts"));
  REPORT_ASSIGN_OR_RETURN(s.interrupted, in.Bool("interrupted"));
  REPORT_ASSIGN_OR_RETURN(s.measured_seconds,
                          in.NonNegativeNumber("measured_seconds"));
  REPORT_ASSIGN_OR_RETURN(s.client_cpu_seconds,
                          in.NonNegativeNumber("client_cpu_seconds"));
  REPORT_ASSIGN_OR_RETURN(s.client_cpu_user_seconds,
                          in.NonNegativeNumber("client_cpu_user_seconds"));
  REPORT_ASSIGN_OR_RETURN(s.client_cpu_system_seconds,
                          in.NonNegativeNumber("client_cpu_system_seconds"));
  REPORT_ASSIGN_OR_RETURN(s.peak_rss_bytes, in.Count("peak_rss_bytes"));
  REPORT_ASSIGN_OR_RETURN(s.target_rate, in.NonNegativeNumber("target_rate"));
  REPORT_ASSIGN_OR_RETURN(s.outcomes, CountersFromJson(in, "outcomes"));
  if (in.Has("deviations")) {  // absent in files from before it existed
    REPORT_ASSIGN_OR_RETURN(s.deviations, CountersFromJson(in, "deviations"));
  }

  REPORT_ASSIGN_OR_RETURN(const json* phases, in.Array("phases"));
  for (size_t i = 0; i < phases->size(); ++i) {
    REPORT_ASSIGN_OR_RETURN(
        ObjectReader phase_in,
        ObjectReader::Create((*phases)[i],
                             absl::StrFormat("%s: phases[%d]", context, i)));
    PhaseLatency phase;
    REPORT_ASSIGN_OR_RETURN(phase.name, phase_in.String("name"));
    REPORT_ASSIGN_OR_RETURN(phase.latency, LatencyFromJson(phase_in));
    s.phases.push_back(std::move(phase));
  }

  REPORT_ASSIGN_OR_RETURN(const json* series, in.Object("series"));
  absl::StatusOr<stats::TimeSeries> parsed_series =
      stats::TimeSeries::FromJson(*series);
  if (!parsed_series.ok()) {
    return Prefix(in.What("series"), parsed_series.status());
  }
  s.series = *std::move(parsed_series);

  REPORT_ASSIGN_OR_RETURN(const json* lag, in.Field("schedule_lag"));
  REPORT_ASSIGN_OR_RETURN(
      ObjectReader lag_in,
      ObjectReader::Create(*lag, absl::StrCat(context, ": schedule_lag")));
  REPORT_ASSIGN_OR_RETURN(s.schedule_lag, LatencyFromJson(lag_in));

  REPORT_ASSIGN_OR_RETURN(const json* negotiated, in.Object("negotiated"));
  REPORT_ASSIGN_OR_RETURN(
      ObjectReader negotiated_in,
      ObjectReader::Create(*negotiated, absl::StrCat(context, ": negotiated")));
  for (auto it = negotiated->begin(); it != negotiated->end(); ++it) {
    REPORT_ASSIGN_OR_RETURN(s.negotiated[it.key()],
                            CountersFromJson(negotiated_in, it.key()));
  }

  if (in.Has("server")) {
    REPORT_ASSIGN_OR_RETURN(const json* server, in.Field("server"));
    REPORT_ASSIGN_OR_RETURN(
        s.server, ServerFromJson(*server, absl::StrCat(context, ": server")));
  }

  // Added within v1: absent from older files.
  std::optional<ObjectReader> syscalls_in;
  if (in.Has("syscalls")) {
    REPORT_ASSIGN_OR_RETURN(const json* sc, in.Object("syscalls"));
    REPORT_ASSIGN_OR_RETURN(ObjectReader sc_in,
                            ObjectReader::Create(*sc, absl::StrCat(context, ": syscalls")));
    REPORT_ASSIGN_OR_RETURN(s.syscalls, SyscallsFromJson(sc_in));
    syscalls_in.emplace(std::move(sc_in));
  }

  // Added within v1: absent from older files.
  if (in.Has("disturbance")) {
    REPORT_ASSIGN_OR_RETURN(const json* dj, in.Object("disturbance"));
    REPORT_ASSIGN_OR_RETURN(
        ObjectReader d_in, ObjectReader::Create(*dj, absl::StrCat(context, ": disturbance")));
    Disturbance d;
    REPORT_ASSIGN_OR_RETURN(d.seconds, d_in.NonNegativeNumber("seconds"));
    REPORT_ASSIGN_OR_RETURN(int64_t cpus, d_in.Count("cpus"));
    if (cpus > 1 << 20) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s is %d, more CPUs than any machine has", d_in.What("cpus"), cpus));
    }
    d.cpus = static_cast<int>(cpus);
    REPORT_ASSIGN_OR_RETURN(d.other_cpu_seconds, d_in.NonNegativeNumber("other_cpu_seconds"));
    REPORT_ASSIGN_OR_RETURN(d.steal_seconds, d_in.NonNegativeNumber("steal_seconds"));
    REPORT_ASSIGN_OR_RETURN(d.involuntary_switches, d_in.Count("involuntary_switches"));
    REPORT_RETURN_IF_ERROR(d_in.CheckDerived(
        "other_share", OtherCpuShare(d),
        "(other_cpu_seconds + steal_seconds) / (seconds * cpus)"));
    s.disturbance = d;
  }

  // Added within v1: absent from older files.
  if (in.Has("cpu_canary")) {
    REPORT_ASSIGN_OR_RETURN(const json* cj, in.Object("cpu_canary"));
    REPORT_ASSIGN_OR_RETURN(
        ObjectReader c_in, ObjectReader::Create(*cj, absl::StrCat(context, ": cpu_canary")));
    CpuCanary c;
    REPORT_ASSIGN_OR_RETURN(c.workload, c_in.String("workload"));
    auto reading = [&](absl::string_view side) -> absl::StatusOr<CanaryReading> {
      REPORT_ASSIGN_OR_RETURN(const json* rj, c_in.Object(side));
      REPORT_ASSIGN_OR_RETURN(ObjectReader r_in, ObjectReader::Create(*rj, c_in.What(side)));
      CanaryReading r;
      REPORT_ASSIGN_OR_RETURN(r.cpus, r_in.String("cpus"));
      REPORT_ASSIGN_OR_RETURN(r.before_ns, r_in.Count("before_ns"));
      REPORT_ASSIGN_OR_RETURN(r.after_ns, r_in.Count("after_ns"));
      return r;
    };
    REPORT_ASSIGN_OR_RETURN(c.client, reading("client"));
    if (c_in.Has("server")) {
      REPORT_ASSIGN_OR_RETURN(c.server, reading("server"));
    }
    s.cpu_canary = std::move(c);
  }
  if (in.Has("cpu_windows")) {
    REPORT_ASSIGN_OR_RETURN(const json* wj, in.Object("cpu_windows"));
    REPORT_ASSIGN_OR_RETURN(
        ObjectReader w_in, ObjectReader::Create(*wj, absl::StrCat(context, ": cpu_windows")));
    CpuWindows w;
    REPORT_ASSIGN_OR_RETURN(w.window_ns, w_in.Count("window_ns"));
    REPORT_ASSIGN_OR_RETURN(w.successes, w_in.Counts("successes", kMaxCpuWindows));
    REPORT_ASSIGN_OR_RETURN(w.client_cpu_ns, w_in.Counts("client_cpu_ns", kMaxCpuWindows));
    s.cpu_windows = std::move(w);
  }

  // The counts must reconcile before the figures derived from them are
  // worth checking.
  absl::Status valid = Validate(s);
  if (!valid.ok())
    return Prefix(absl::StrFormat("scenarios[%d]", index), valid);
  REPORT_RETURN_IF_ERROR(in.CheckDerived("handshake_rate", HandshakeRate(s),
                                         "succeeded / measured_seconds"));
  REPORT_RETURN_IF_ERROR(in.CheckDerived("attempt_rate", AttemptRate(s),
                                         "attempted / measured_seconds"));
  REPORT_RETURN_IF_ERROR(in.CheckDerived("handshakes_per_client_cpu_second",
                                         HandshakesPerClientCpuSecond(s),
                                         "succeeded / client_cpu_seconds"));
  if (syscalls_in.has_value()) {
    REPORT_RETURN_IF_ERROR(syscalls_in->CheckDerived("per_attempt", SyscallsPerAttempt(s),
                                                     "total / attempted"));
    REPORT_RETURN_IF_ERROR(syscalls_in->CheckDerived(
        "epoll_wait_per_attempt", EpollWaitsPerAttempt(s), "epoll_wait / attempted"));
  }
  return s;
}

// CheckSchema accepts "mailshake.result/v1" and "mailshake.result/v1.<n>".
absl::Status CheckSchema(const ObjectReader& in) {
  absl::StatusOr<std::string> schema = in.String("schema");
  if (!schema.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a mailshake result: ", schema.status().message()));
  }
  absl::string_view version(*schema);
  if (!absl::ConsumePrefix(&version, kSchemaPrefix)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "not a mailshake result: field \"schema\" is \"%s\", expected \"%s\"",
        absl::CHexEscape(*schema), kSchema));
  }
  absl::string_view major = version.substr(0, version.find('.'));
  absl::string_view minor = version.substr(major.size());
  const bool minor_ok =
      minor.empty() ||
      (minor.size() > 1 &&
       std::all_of(minor.begin() + 1, minor.end(), absl::ascii_isdigit));
  int major_number = 0;
  if (major.empty() ||
      !std::all_of(major.begin(), major.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(major, &major_number) || !minor_ok) {
    return absl::InvalidArgumentError(
        absl::StrFormat("malformed result schema \"%s\"; expected \"%s\"",
                        absl::CHexEscape(*schema), kSchema));
  }
  if (major_number != kSchemaMajor) {
    return absl::InvalidArgumentError(
        absl::StrFormat("unsupported result schema %s (this mailshake reads "
                        "v%d)",
                        *schema, kSchemaMajor));
  }
  return absl::OkStatus();
}

// --- Shards ------------------------------------------------------------------

json ShardToJson(const ShardSummary& shard) {
  json out = json::object();
  out["index"] = shard.index;
  out["count"] = shard.count;
  out["host"] = shard.host;
  out["sources"] = shard.sources;
  out["attempted"] = shard.attempted;
  out["succeeded"] = shard.succeeded;
  out["failed"] = shard.failed;
  out["measured_seconds"] = shard.measured_seconds;
  out["handshake_rate"] = Optional(
      shard.measured_seconds > 0
          ? std::optional<double>(static_cast<double>(shard.succeeded) /
                                  shard.measured_seconds)
          : std::nullopt);
  out["client_cpu_seconds"] = shard.client_cpu_seconds;
  out["interrupted"] = shard.interrupted;
  out["lost"] = shard.lost;
  return out;
}

absl::StatusOr<ShardSummary> ShardFromJson(const json& value, size_t i) {
  REPORT_ASSIGN_OR_RETURN(
      ObjectReader in, ObjectReader::Create(value, absl::StrCat("shards[", i, "]")));
  ShardSummary shard;
  REPORT_ASSIGN_OR_RETURN(shard.index, in.SmallCount("index"));
  REPORT_ASSIGN_OR_RETURN(shard.count, in.SmallCount("count"));
  if (shard.index >= shard.count) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: index %d is not below count %d", in.context(), shard.index, shard.count));
  }
  REPORT_ASSIGN_OR_RETURN(shard.host, in.String("host"));
  REPORT_ASSIGN_OR_RETURN(shard.sources, in.String("sources"));
  REPORT_ASSIGN_OR_RETURN(shard.attempted, in.Count("attempted"));
  REPORT_ASSIGN_OR_RETURN(shard.succeeded, in.Count("succeeded"));
  REPORT_ASSIGN_OR_RETURN(shard.failed, in.Count("failed"));
  if (shard.attempted != shard.succeeded + shard.failed) {
    return absl::InvalidArgumentError(absl::StrCat(
        in.context(), ": attempted is not succeeded + failed"));
  }
  REPORT_ASSIGN_OR_RETURN(shard.measured_seconds, in.NonNegativeNumber("measured_seconds"));
  REPORT_ASSIGN_OR_RETURN(shard.client_cpu_seconds,
                          in.NonNegativeNumber("client_cpu_seconds"));
  REPORT_RETURN_IF_ERROR(in.CheckDerived(
      "handshake_rate",
      shard.measured_seconds > 0
          ? std::optional<double>(static_cast<double>(shard.succeeded) / shard.measured_seconds)
          : std::nullopt,
      "succeeded / measured_seconds"));
  REPORT_ASSIGN_OR_RETURN(shard.interrupted, in.Bool("interrupted"));
  REPORT_ASSIGN_OR_RETURN(shard.lost, in.Bool("lost"));
  return shard;
}

}  // namespace

json ToJson(const Result& result) {
  json out = json::object();
  out["schema"] = std::string(kSchema);
  out["environment"] = EnvironmentToJson(result.environment);
  out["target"] = result.target;
  out["spec"] = result.spec;
  json scenarios = json::array();
  for (const Scenario& s : result.scenarios) {
    scenarios.push_back(ScenarioToJson(s));
  }
  out["scenarios"] = std::move(scenarios);
  json not_measured = json::array();
  for (const NotMeasured& n : result.not_measured) {
    not_measured.push_back({{"name", n.name},
                            {"parameters", n.parameters},
                            {"status", std::string(NotMeasuredStatusName(n.status))},
                            {"reason", n.reason},
                            {"trials_done", n.trials_done}});
  }
  out["not_measured"] = std::move(not_measured);
  if (!result.shards.empty()) {
    json shards = json::array();
    for (const ShardSummary& shard : result.shards) shards.push_back(ShardToJson(shard));
    out["shards"] = std::move(shards);
  }
  return out;
}

absl::StatusOr<Result> FromJson(const json& value) {
  REPORT_ASSIGN_OR_RETURN(ObjectReader in,
                          ObjectReader::Create(value, "result"));
  REPORT_RETURN_IF_ERROR(CheckSchema(in));
  Result result;
  REPORT_ASSIGN_OR_RETURN(const json* environment, in.Field("environment"));
  REPORT_ASSIGN_OR_RETURN(result.environment,
                          EnvironmentFromJson(*environment));
  REPORT_ASSIGN_OR_RETURN(result.target, in.String("target"));
  REPORT_ASSIGN_OR_RETURN(const json* spec, in.Object("spec"));
  result.spec = *spec;
  REPORT_ASSIGN_OR_RETURN(const json* scenarios, in.Array("scenarios"));
  using Key = std::tuple<std::string, std::map<std::string, std::string>, int>;
  std::map<Key, size_t> seen;
  for (size_t i = 0; i < scenarios->size(); ++i) {
    REPORT_ASSIGN_OR_RETURN(Scenario s, ScenarioFromJson((*scenarios)[i], i));
    auto [it, inserted] = seen.emplace(Key(s.name, s.parameters, s.trial), i);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "scenarios[%d] repeats scenarios[%d] (\"%s\" trial %d with the "
          "same parameters); merge them instead",
          i, it->second, s.name, s.trial));
    }
    result.scenarios.push_back(std::move(s));
  }
  // Added within v1: older files do not have it.
  if (in.Has("not_measured")) {
    REPORT_ASSIGN_OR_RETURN(const json* not_measured, in.Array("not_measured"));
    for (size_t i = 0; i < not_measured->size(); ++i) {
      REPORT_ASSIGN_OR_RETURN(
          ObjectReader entry,
          ObjectReader::Create((*not_measured)[i],
                               absl::StrFormat("not_measured[%d]", i)));
      NotMeasured n;
      REPORT_ASSIGN_OR_RETURN(n.name, entry.String("name"));
      REPORT_ASSIGN_OR_RETURN(const json* parameters, entry.Object("parameters"));
      for (const auto& [key, v] : parameters->items()) {
        if (!v.is_string()) {
          return absl::InvalidArgumentError(absl::StrCat(
              entry.What("parameters"), ": \"", key, "\" must be a string"));
        }
        n.parameters[key] = v.get<std::string>();
      }
      REPORT_ASSIGN_OR_RETURN(std::string status, entry.String("status"));
      if (status == "unsupported") {
        n.status = NotMeasured::Status::kUnsupported;
      } else if (status == "target_failed") {
        n.status = NotMeasured::Status::kTargetFailed;
      } else if (status == "interrupted") {
        n.status = NotMeasured::Status::kInterrupted;
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            entry.What("status"), " is \"", status,
            "\"; expected unsupported, target_failed or interrupted"));
      }
      REPORT_ASSIGN_OR_RETURN(n.reason, entry.String("reason"));
      REPORT_ASSIGN_OR_RETURN(n.trials_done, entry.SmallCount("trials_done"));
      result.not_measured.push_back(std::move(n));
    }
  }
  if (in.Has("shards")) {
    REPORT_ASSIGN_OR_RETURN(const json* shards, in.Array("shards"));
    std::set<int> indices;
    int64_t shard_attempted = 0, attempted = 0;
    for (size_t i = 0; i < shards->size(); ++i) {
      REPORT_ASSIGN_OR_RETURN(ShardSummary shard, ShardFromJson((*shards)[i], i));
      if (shard.count != ((*shards)[0].value("count", 0)) ||
          !indices.insert(shard.index).second) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "shards[%d]: index %d of %d repeats another entry or differs in count", i,
            shard.index, shard.count));
      }
      shard_attempted += shard.attempted;
      result.shards.push_back(std::move(shard));
    }
    for (const Scenario& s : result.scenarios) attempted += s.attempted;
    if (shard_attempted != attempted) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "shards: attempted sums to %d but the scenarios attempted %d", shard_attempted,
          attempted));
    }
  }
  return result;
}

absl::string_view NotMeasuredStatusName(NotMeasured::Status status) {
  switch (status) {
    case NotMeasured::Status::kUnsupported:
      return "unsupported";
    case NotMeasured::Status::kTargetFailed:
      return "target_failed";
    case NotMeasured::Status::kInterrupted:
      return "interrupted";
  }
  return "unsupported";
}

absl::Status WriteJsonFile(const Result& result, const std::string& path) {
  for (const Scenario& s : result.scenarios) {
    absl::Status valid = Validate(s);
    if (!valid.ok()) {
      return Prefix(absl::StrCat("not writing ", path), valid);
    }
  }
  if (!result.spec.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not writing ", path, ": the run spec must be a JSON object"));
  }
  // Compact: a file holds thousands of histogram buckets, and indenting
  // each [value, count] pair would triple its size (`jq .` pretty-prints).
  // Invalid UTF-8 in a string (a server's banner, say) is replaced rather
  // than aborting the write.
  const std::string text = ToJson(result).dump(-1, ' ', /*ensure_ascii=*/false,
                                               json::error_handler_t::replace) +
                           "\n";
  return io::WriteOutput(path, text);
}

absl::StatusOr<json> ReadJsonDocument(const std::string& path) {
  REPORT_ASSIGN_OR_RETURN(std::string text,
                          io::ReadFileBounded(path, kMaxFileBytes));
  bool too_deep = false;
  const json::parser_callback_t limit_depth =
      [&too_deep](int depth, json::parse_event_t event, json&) {
        if (depth > kMaxNestingDepth &&
            (event == json::parse_event_t::object_start ||
             event == json::parse_event_t::array_start)) {
          too_deep = true;
        }
        return !too_deep;
      };
  json value = json::parse(text, limit_depth, /*allow_exceptions=*/false);
  if (too_deep) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: JSON nested more than %d levels deep", path, kMaxNestingDepth));
  }
  if (value.is_discarded()) {
    // Parse again with exceptions for the position of the error.
    try {
      const json reparsed = json::parse(text);
      static_cast<void>(reparsed);
    } catch (const json::parse_error& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": not valid JSON: ", e.what()));
    }
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON"));
  }
  return value;
}

absl::StatusOr<Result> ReadJsonFile(const std::string& path) {
  REPORT_ASSIGN_OR_RETURN(json value, ReadJsonDocument(path));
  absl::StatusOr<Result> result = FromJson(value);
  if (!result.ok()) return Prefix(path, result.status());
  return result;
}

}  // namespace report
}  // namespace mailshake
