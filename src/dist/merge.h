#ifndef MAILSHAKE_SRC_DIST_MERGE_H_
#define MAILSHAKE_SRC_DIST_MERGE_H_

// Exact merge of the results of the shares of one run: the parts written by
// `mailshake bench --shard I/N` (or gathered from MPI ranks) become one
// `mailshake.result/v1` result whose scenarios equal what one recorder that
// saw every sample would hold (report::MergeScenarios), with a `shards`
// section that keeps each share's own counts.
//
//   std::vector<dist::Part> parts = ...;  // read with report::ReadJsonFile
//   absl::StatusOr<report::Result> run = dist::MergeShards(parts, {});

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include <nlohmann/json.hpp>
#include "src/report/report.h"

namespace mailshake::dist {

// Part is one share's result and what to call it in messages (its file).
struct Part {
  std::string name;
  report::Result result;
};

struct MergeOptions {
  // Shares no part covers are recorded as lost (counts 0) and every merged
  // scenario is marked interrupted, instead of failing (an MPI rank that
  // died). A merge of `mailshake merge` never allows this.
  bool allow_missing = false;
};

// ShardSpec returns |spec| with the "shard" member a share adds to it
// removed: the spec every share of one run has in common.
nlohmann::json ShardSpec(const nlohmann::json& spec);

// MergeShards merges |parts|, the results of shares of one run. Each part
// covers the shares its `shards` entries name (one for a `bench --shard`
// part, several for an earlier merge). It returns InvalidArgument, naming
// the parts, when a part is no shard result, when specs (apart from
// "shard"), targets or scenario lists differ, when share counts differ,
// when two parts cover one share, or when a share is missing (unless
// |options.allow_missing|). The merged spec is the common one; the
// environment is the first share's, started at the earliest start.
absl::StatusOr<report::Result> MergeShards(const std::vector<Part>& parts,
                                           const MergeOptions& options);

// SummarizeShare returns the shards entry of |result| as share |index| of
// |count| run on |host| (counts summed over its scenarios).
report::ShardSummary SummarizeShare(const report::Result& result, int index, int count,
                                    const std::string& host);

}  // namespace mailshake::dist

#endif  // MAILSHAKE_SRC_DIST_MERGE_H_
