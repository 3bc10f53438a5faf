// mailshake compare: judges NEW runs against OLD ones (src/lab/compare.h)
// and exits 1 on a significant regression, so CI can gate on it.

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/cli/cli.h"
#include "src/cli/flags.h"
#include "src/html/html.h"
#include "src/lab/compare.h"

namespace mailshake::cli {
namespace {

constexpr char kName[] = "compare";

// Splits one side's argument, "a.json,label=b.json", into its files.
std::vector<lab::LabeledPath> SideFiles(const std::string& arg) {
  std::vector<lab::LabeledPath> files;
  for (absl::string_view part : absl::StrSplit(arg, ',', absl::SkipEmpty())) {
    files.push_back(lab::ParseLabeledPath(part));
  }
  return files;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "mailshake compare: %s\n", std::string(status.message()).c_str());
  return lab::ExitStatusFor(status);
}

int RunCompare(const std::vector<std::string>& argv) {
  double alpha = 0.05;
  double threshold = 3;
  std::string fail_on;
  std::string format = "text";
  bool force = false;
  std::vector<std::string> ignore;
  std::string html_path;
  FlagSet flags(kName, "OLD[,OLD...] NEW[,NEW...]",
                "Compares runs: per scenario and metric the median and 95% CI over trials, "
                "the change, Hodges-Lehmann shift and Mann-Whitney p (Holm-adjusted). Each "
                "side is one or more files, comma-separated, each FILE or LABEL=FILE: "
                "mailshake.result/v1 results or Google Benchmark JSON (scripts/microbench). "
                "Exit 0: no significant regression past the limits; 1: regression; 2: bad "
                "usage or input; 4: not comparable.");
  flags.Double("alpha", &alpha, 1e-6, 0.5,
               "significance level: of the tables (two-sided, Holm over the scenarios of each "
               "metric) and of the gate (one-sided against each limit, Holm over every gated "
               "metric of every scenario: the chance of any false regression)");
  flags.Double("threshold", &threshold, 0, 1000,
               "changes smaller than this many percent are noise (percentage points for "
               "failure rates)",
               /*zero_too=*/true);
  flags.String("fail-on", &fail_on, "GATES",
               "metrics and limits that fail the comparison, e.g. 'cpu>+3%,p99(tls)>+10%' "
               "(a limit is a change in the metric's bad direction); default: every "
               "headline metric (hs_per_cpu, hs_rate, server_cpu_us, p50/p99 of tls and "
               "total, failure_rate) at --threshold",
               [](absl::string_view v) { return lab::ParseFailOn(v).status(); });
  flags.Choice("format", &format, {"text", "markdown", "csv", "json"},
               "output format (markdown for a pull-request comment)");
  flags.Bool("force", &force,
             "compare even when the CPU model, BoringSSL API, target or work-changing spec "
             "fields differ (the differences are listed)");
  flags.List("ignore-params", &ignore, "NAMES",
             "scenario parameters left out of the pairing key, so that scenarios differing "
             "only in them pair up (e.g. group, to compare P-256 against P-384)");
  flags.String("html", &html_path, "FILE",
               "also write the report page with this comparison drawn (and the result files "
               "of both sides) to FILE", CheckPath);
  flags.Positional(2, 2);
  std::vector<std::string> args;
  if (std::optional<int> exit = flags.Parse(argv, &args)) return *exit;

  if (html_path == "-" || html_path == "/dev/stdout") {
    return Fail(absl::InvalidArgumentError(
        "--html: standard output holds the comparison; write the page to a file"));
  }
  lab::CompareOptions options;
  options.alpha = alpha;
  options.threshold_percent = threshold;
  options.force = force;
  if (!fail_on.empty()) options.gates = *lab::ParseFailOn(fail_on);
  absl::StatusOr<lab::SampleSet> old_side = lab::ReadSide("old", SideFiles(args[0]), ignore);
  if (!old_side.ok()) return Fail(old_side.status());
  absl::StatusOr<lab::SampleSet> new_side = lab::ReadSide("new", SideFiles(args[1]), ignore);
  if (!new_side.ok()) return Fail(new_side.status());
  absl::StatusOr<lab::Comparison> comparison = lab::Compare(*old_side, *new_side, options);
  if (!comparison.ok()) return Fail(comparison.status());
  std::fputs(lab::FormatComparison(*comparison, *lab::ParseOutputFormat(format)).c_str(),
             stdout);
  if (!html_path.empty()) {
    // The page draws the result files of both sides too (Google Benchmark
    // sides have none).
    std::vector<html::Run> runs;
    for (const auto& [side, arg] : {std::pair{"old", args[0]}, std::pair{"new", args[1]}}) {
      for (const lab::LabeledPath& file : SideFiles(arg)) {
        absl::StatusOr<html::Run> run =
            html::ReadRun(absl::StrCat(side, ": ", file.label), file.path);
        if (run.ok()) runs.push_back(*std::move(run));
      }
    }
    html::CompareView view;
    view.comparison = *comparison;
    if (absl::Status s = html::WriteReport(html_path, html::RenderReport(runs, view)); !s.ok()) {
      std::fprintf(stderr, "mailshake compare: --html: %s\n", std::string(s.message()).c_str());
      return 2;
    }
  }
  return lab::ExitStatus(*comparison);
}

}  // namespace

MAILSHAKE_SUBCOMMAND("compare",
                     "compare runs (result files or Google Benchmark JSON) and gate on "
                     "significant regressions",
                     RunCompare);

}  // namespace mailshake::cli
