// mailshake merge: the parts of a sharded run (bench --shard I/N) as one
// exact result (src/dist/merge.h).

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/cli/cli.h"
#include "src/cli/flags.h"
#include "src/dist/merge.h"
#include "src/report/report.h"

namespace mailshake::cli {
namespace {

constexpr char kName[] = "merge";

int RunMerge(const std::vector<std::string>& argv) {
  std::string out;
  FlagSet flags(kName, "PART.json... -o RUN.json",
                "Merges the results of the shares of one run (bench --shard I/N) into one "
                "exact result; refuses parts of different specs, overlapping or missing shares.");
  flags.String("output", &out, "FILE", "where to write the merged result (also -o FILE)",
               CheckPath);
  flags.Positional(1, 100000);
  // "-o FILE" is the usual spelling of --output.
  std::vector<std::string> words = argv;
  for (std::string& w : words) {
    if (w == "-o") w = "--output";
  }
  std::vector<std::string> args;
  if (std::optional<int> exit = flags.Parse(words, &args)) return *exit;
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

}  // namespace

MAILSHAKE_SUBCOMMAND("merge",
                     "merge the results of the shares of one run (bench --shard I/N) exactly",
                     RunMerge);

}  // namespace mailshake::cli
