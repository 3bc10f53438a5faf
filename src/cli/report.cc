// mailshake report: one self-contained HTML page from result files.

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/cli/cli.h"
#include "src/cli/flags.h"
#include "src/html/html.h"

namespace mailshake::cli {
namespace {

constexpr char kName[] = "report";

// Label returns the name a file gets in legends: its base name, or the
// whole path when two inputs share a base name.
std::vector<std::string> Labels(const std::vector<std::string>& paths) {
  std::vector<std::string> labels;
  std::set<std::string> seen, clash;
  for (const std::string& p : paths) {
    const size_t slash = p.find_last_of('/');
    labels.push_back(slash == std::string::npos ? p : p.substr(slash + 1));
    if (!seen.insert(labels.back()).second) clash.insert(labels.back());
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    if (clash.count(labels[i]) > 0) labels[i] = paths[i];
  }
  return labels;
}

int RunReport(const std::vector<std::string>& argv) {
  std::string output = "report.html";
  FlagSet flags(kName, "FILE...",
                "draw mailshake.result/v1 files as one self-contained HTML page (several files "
                "are overlaid; with two, the page also compares NEW (the second) against OLD "
                "(the first) at compare's defaults: `mailshake compare OLD NEW --html FILE` "
                "chooses the options)");
  flags.String("output", &output, "FILE",
               "write the page to FILE ('-': standard output); -o FILE is the same", CheckPath);
  flags.Positional(1, 64);
  // -o is the short form of --output.
  std::vector<std::string> args;
  for (const std::string& a : argv) {
    if (a == "-o") {
      args.push_back("--output");
    } else if (a.rfind("-o", 0) == 0 && a.size() > 2 && a[2] != '-') {
      args.push_back(absl::StrCat("--output=", a.substr(2)));
    } else {
      args.push_back(a);
    }
  }
  std::vector<std::string> paths;
  if (std::optional<int> exit = flags.Parse(args, &paths)) return *exit;
  const std::vector<std::string> labels = Labels(paths);
  std::vector<html::Run> runs;
  for (size_t i = 0; i < paths.size(); ++i) {
    absl::StatusOr<html::Run> run = html::ReadRun(labels[i], paths[i]);
    if (!run.ok()) return UsageError(kName, run.status().message());
    runs.push_back(*std::move(run));
  }
  // Two files: the second is compared against the first.
  html::CompareView compare;
  if (runs.size() == 2) compare = html::CompareRuns(runs[0], runs[1]);
  if (absl::Status s = html::WriteReport(output, html::RenderReport(runs, compare)); !s.ok()) {
    std::fprintf(stderr, "mailshake report: --output: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (output != "-") std::fprintf(stderr, "mailshake report: wrote %s\n", output.c_str());
  return 0;
}

}  // namespace

MAILSHAKE_SUBCOMMAND(kName, "draw result files as one self-contained HTML page", RunReport);

}  // namespace mailshake::cli
