// The HTML report: one self-contained page that draws what one or more
// `mailshake.result/v1` files measured (what `mailshake report`,
// `bench --html` and `matrix --html` write).
//
// The page works offline and makes no request: its style and its one small
// script are inline and allowed by hash in a Content-Security-Policy that
// forbids every network source, and the charts are SVG written here (no
// charting library). Every string that comes from a result file is escaped,
// since result files may come from anywhere.
//
// Charts, each with its data as a table beside it: the per-phase latency
// percentile spectrum on HdrHistogram's log 1/(1-p) axis (from the
// histograms' buckets, every run overlaid), handshakes per second over time
// with failures stacked and the open-loop target, latency percentiles over
// time (from the per-second histograms of the `total` phase), outcomes,
// negotiated parameters; for several scenarios or trials, the matrix view
// (scenario × metric, median with its 95% interval over trials, sorted by
// cost); and, given a comparison, the compare view (per scenario and metric
// the change with its interval and significance, as src/lab computed it).
// Environment and spec head the page.
//
// Example:
//
//   std::vector<html::Run> runs = {{"before", *old_result},
//                                  {"after", *new_result}};
//   html::CompareView compare = html::CompareRuns(runs[0], runs[1]);
//   std::string page = html::RenderReport(runs, compare);

#ifndef MAILSHAKE_SRC_HTML_HTML_H_
#define MAILSHAKE_SRC_HTML_HTML_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "src/lab/compare.h"
#include "src/report/report.h"

namespace mailshake {
namespace html {

// Run is one result file to draw, under the label legends and tables use.
struct Run {
  std::string label;
  report::Result result;
};

// ReadRun reads the `mailshake.result/v1` file at |path| (bounded in size and
// validated by report::ReadJsonFile) as a Run labelled |label|. Every error
// names the file: unreadable, not a result (a Google Benchmark file, any
// other JSON), truncated, of another major version, inconsistent, or holding
// no scenario (InvalidArgument).
absl::StatusOr<Run> ReadRun(std::string label, const std::string& path);

// CompareView is what the page's compare section shows: a comparison
// computed by lab::Compare, or why there is none.
struct CompareView {
  std::optional<lab::Comparison> comparison;
  // Shown instead when |comparison| is unset and this is not empty.
  std::string not_compared;
};

// CompareRuns compares |new_run| against |old_run| with lab::Compare's
// default options (alpha 0.05, threshold 3%, the default gate), as
// `mailshake report OLD NEW` does. When they cannot be compared (not the same
// target, CPU, BoringSSL API or work; no scenario in common) the view says
// why instead.
CompareView CompareRuns(const Run& old_run, const Run& new_run);

// RenderReport returns the page for |runs| (drawn in this order, overlaid
// where a chart holds several) and, if |compare| holds a comparison or a
// reason, the compare view. Runs without scenarios, scenarios without
// successes and empty histograms are shown as such ("no data"), never as an
// empty chart. It never fails.
std::string RenderReport(const std::vector<Run>& runs, const CompareView& compare = {});

// WriteReport writes |page| to |path|: to standard output for "-", otherwise
// atomically (a temporary file in the same directory renamed over |path|).
// Errors name the path.
absl::Status WriteReport(const std::string& path, absl::string_view page);

// kChartsDrawnAttribute is the attribute the page's script sets on <body>
// once loaded: how many charts have marks with a non-empty bounding box.
// kChartsAttribute holds how many charts the page has, and kErrorsId is the
// id of the element where the script lists script errors and
// Content-Security-Policy violations (hidden while there are none).
inline constexpr char kChartsDrawnAttribute[] = "data-charts-drawn";
inline constexpr char kChartsAttribute[] = "data-charts";
inline constexpr char kErrorsId[] = "page-errors";

}  // namespace html
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_HTML_HTML_H_
