// mailshake merge: the parts of a sharded run (bench --shard I/N) as one
// exact result.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "src/cli/cli.h"
#include "src/dist/merge.h"
#include "src/report/report.h"

ABSL_FLAG(std::string, o, "", "write the merged result (mailshake.result/v1 JSON) to this file");

namespace mailshake::cli {

int RunMerge(const std::vector<std::string>& args) {
  constexpr char kName[] = "merge";
  std::string out = absl::GetFlag(FLAGS_o);
  if (args.empty()) return UsageError(kName, "give the part files: merge PART.json... -o RUN.json");
  if (out.empty()) return UsageError(kName, "-o RUN.json: where to write the merged result");
  std::vector<dist::Part> parts;
  for (const std::string& path : args) {
    if (path == out) {
      return UsageError(kName, absl::StrCat("-o ", out, " is also a part to merge"));
    }
    absl::StatusOr<report::Result> part = report::ReadJsonFile(path);
    if (!part.ok()) return UsageError(kName, part.status().message());
    parts.push_back({path, std::move(*part)});
  }
  absl::StatusOr<report::Result> merged = dist::MergeShards(parts, {});
  if (!merged.ok()) return UsageError(kName, merged.status().message());
  std::fputs(report::FormatTable(*merged).c_str(), stdout);
  absl::Status written = report::WriteJsonFile(*merged, out);
  if (!written.ok()) {
    std::fprintf(stderr, "mailshake merge: %s\n", std::string(written.message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace mailshake::cli
