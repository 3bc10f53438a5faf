#include "src/dist/merge.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mailshake::dist {
namespace {

using ScenarioKey = std::tuple<std::string, std::map<std::string, std::string>, int>;

ScenarioKey KeyOf(const report::Scenario& s) { return {s.name, s.parameters, s.trial}; }

// The first top-level key in which |a| and |b| differ, for messages.
std::string FirstDifference(const nlohmann::json& a, const nlohmann::json& b) {
  for (const auto& item : a.items()) {
    if (!b.contains(item.key()) || b[item.key()] != item.value()) return item.key();
  }
  for (const auto& item : b.items()) {
    if (!a.contains(item.key())) return item.key();
  }
  return "?";
}

}  // namespace

nlohmann::json ShardSpec(const nlohmann::json& spec) {
  nlohmann::json common = spec;
  if (common.is_object()) common.erase("shard");
  return common;
}

report::ShardSummary SummarizeShare(const report::Result& result, int index, int count,
                                    const std::string& host) {
  report::ShardSummary s;
  s.index = index;
  s.count = count;
  s.host = host;
  for (const report::Scenario& sc : result.scenarios) {
    s.attempted += sc.attempted;
    s.succeeded += sc.succeeded;
    s.failed += sc.failed;
    s.measured_seconds = std::max(s.measured_seconds, sc.measured_seconds);
    s.client_cpu_seconds += sc.client_cpu_seconds;
    s.interrupted = s.interrupted || sc.interrupted;
  }
  return s;
}

absl::StatusOr<report::Result> MergeShards(const std::vector<Part>& parts,
                                           const MergeOptions& options) {
  if (parts.empty()) return absl::InvalidArgumentError("nothing to merge");
  const Part& first = parts[0];
  const nlohmann::json spec = ShardSpec(first.result.spec);
  int count = 0;
  std::map<int, std::string> covered;  // share index -> part name
  std::vector<report::ShardSummary> shards;
  for (const Part& part : parts) {
    const report::Result& r = part.result;
    if (r.shards.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          part.name, " is not the result of a share (no \"shards\"; run bench with --shard I/N)"));
    }
    if (ShardSpec(r.spec) != spec) {
      return absl::InvalidArgumentError(absl::StrCat(
          part.name, " and ", first.name, " are shares of different runs (spec \"",
          FirstDifference(ShardSpec(r.spec), spec), "\" differs)"));
    }
    if (r.target != first.result.target) {
      return absl::InvalidArgumentError(absl::StrCat(part.name, " targets ", r.target, ", ",
                                                     first.name, " ", first.result.target));
    }
    for (const report::ShardSummary& s : r.shards) {
      if (count == 0) count = s.count;
      if (s.count != count) {
        return absl::InvalidArgumentError(absl::StrCat(
            part.name, " is a share of ", s.count, ", ", first.name, " of ", count));
      }
      auto [it, inserted] = covered.emplace(s.index, part.name);
      if (!inserted) {
        return absl::InvalidArgumentError(absl::StrCat(
            it->second, " and ", part.name, " both hold share ", s.index, "/", count,
            " (overlapping shards)"));
      }
      shards.push_back(s);
    }
  }
  std::vector<std::string> missing;
  for (int i = 0; i < count; ++i) {
    if (covered.count(i)) continue;
    missing.push_back(absl::StrCat(i));
    report::ShardSummary lost;
    lost.index = i;
    lost.count = count;
    lost.lost = true;
    lost.interrupted = true;
    shards.push_back(lost);
  }
  if (!missing.empty() && !options.allow_missing) {
    return absl::InvalidArgumentError(absl::StrCat("missing share", missing.size() > 1 ? "s " : " ",
                                                   absl::StrJoin(missing, ", "), " of ", count));
  }
  std::sort(shards.begin(), shards.end(),
            [](const report::ShardSummary& a, const report::ShardSummary& b) {
              return a.index < b.index;
            });

  report::Result merged;
  // The lowest share's environment, started when the first share started.
  const Part* lowest = &first;
  for (const Part& part : parts) {
    if (part.result.shards.front().index < lowest->result.shards.front().index) lowest = &part;
  }
  merged.environment = lowest->result.environment;
  for (const Part& part : parts) {
    merged.environment.start = std::min(merged.environment.start, part.result.environment.start);
  }
  merged.target = first.result.target;
  merged.spec = spec;
  merged.scenarios = first.result.scenarios;
  std::map<ScenarioKey, size_t> index;
  for (size_t i = 0; i < merged.scenarios.size(); ++i) index[KeyOf(merged.scenarios[i])] = i;
  for (size_t p = 1; p < parts.size(); ++p) {
    const report::Result& r = parts[p].result;
    if (r.scenarios.size() != merged.scenarios.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          parts[p].name, " has ", r.scenarios.size(), " scenarios, ", first.name, " ",
          merged.scenarios.size()));
    }
    for (const report::Scenario& s : r.scenarios) {
      auto it = index.find(KeyOf(s));
      if (it == index.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            parts[p].name, " has scenario \"", s.name, "\" that ", first.name, " lacks"));
      }
      absl::StatusOr<report::Scenario> m = report::MergeScenarios(merged.scenarios[it->second], s);
      if (!m.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("merging ", parts[p].name, ": ", m.status().message()));
      }
      merged.scenarios[it->second] = std::move(*m);
    }
  }
  if (!missing.empty()) {
    for (report::Scenario& s : merged.scenarios) s.interrupted = true;
  }
  merged.shards = std::move(shards);
  return merged;
}

}  // namespace mailshake::dist
