// The matrix and compare views, and CompareRuns.

#include "src/html/lab_view.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/html/escape.h"
#include "src/html/format.h"
#include "src/html/parts.h"
#include "src/html/scale.h"
#include "src/html/svg.h"
#include "src/lab/compare.h"
#include "src/report/report.h"

namespace mailshake {
namespace html {
namespace internal {

void RunLegend(const std::vector<Run>& runs, std::string* out) {
  if (runs.size() < 2) return;
  std::vector<std::string> labels;
  for (const Run& run : runs) labels.push_back(run.label);
  Legend(labels, out);
}

namespace {

using report::FormatSignificant;

// The matrix view's metrics: those of `mailshake matrix`'s summary table.
constexpr const char* kMatrixMetrics[] = {"hs_per_cpu", "hs_rate", "server_cpu_us", "p50(tls)",
                                          "p99(tls)"};
// Scenario names are long ("TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256 P-256
// default off p256") and differ at their ends: the row charts give them more
// room than the page's other row charts.
constexpr int kRowChartWidth = 860;
constexpr double kRowLabelWidth = 360;
constexpr size_t kRowLabelChars = 56;

std::string MetricHeading(const lab::MetricInfo& info) {
  return absl::StrCat(info.title, info.unit.empty() ? "" : absl::StrCat(" (", info.unit, ")"));
}

std::string Interval(const stats::ConfidenceInterval& ci) {
  return absl::StrCat("[", FormatSignificant(ci.lower), ", ", FormatSignificant(ci.upper), "]");
}

// Ticks of a linear axis over |range|, labelled with round values.
std::vector<Tick> LinearTicks(const Range& range, absl::string_view suffix = "") {
  std::vector<Tick> ticks;
  for (double v : NiceLinearTicks(range)) ticks.push_back({v, absl::StrCat(FormatTick(v), suffix)});
  return ticks;
}

}  // namespace

bool HasMatrix(const std::vector<Run>& runs) {
  for (const Run& run : runs) {
    std::map<std::pair<std::string, std::map<std::string, std::string>>, int> trials;
    for (const report::Scenario& s : run.result.scenarios) {
      if (++trials[{s.name, s.parameters}] > 1 || trials.size() > 1) return true;
    }
  }
  return false;
}

void MatrixSection(const std::vector<Run>& runs, std::vector<std::string>* notes,
                   std::string* out) {
  absl::StrAppend(
      out, "<section id=\"matrix\"><h2>Scenarios × metrics</h2>\n",
      "<p class=\"note\">Per scenario, the median over its trials (dot) and the median's 95% "
      "distribution-free interval (whisker; with fewer than 6 trials it cannot reach 95% and "
      "is the full range of the trials, its coverage is in the table). Trials are the unit: "
      "one value per trial, never per handshake. Rows are sorted by cost: fewest handshakes "
      "per client CPU-second first.</p>\n");
  std::vector<std::optional<lab::SampleSet>> sets(runs.size());
  for (size_t r = 0; r < runs.size(); ++r) {
    absl::StatusOr<lab::SampleSet> set =
        lab::SampleSetFromResults(runs[r].label, {runs[r].result}, {runs[r].label});
    if (!set.ok()) {
      notes->push_back(absl::StrCat(runs[r].label, ": not in the matrix view: ",
                                    set.status().message()));
      continue;
    }
    sets[r] = *std::move(set);
  }
  // Rows: every scenario key of every run, the costliest first.
  struct Row {
    std::string key, name;
    double cost = std::numeric_limits<double>::infinity();
  };
  std::vector<Row> rows;
  std::map<std::string, size_t> index;
  for (const auto& set : sets) {
    if (!set.has_value()) continue;
    for (const lab::ScenarioSamples& s : set->scenarios) {
      auto [it, fresh] = index.emplace(s.key, rows.size());
      if (fresh) rows.push_back(Row{s.key, s.name});
      Row& row = rows[it->second];
      auto m = s.metrics.find("hs_per_cpu");
      if (std::isinf(row.cost) && m != s.metrics.end() && !m->second.empty()) {
        row.cost = lab::Summarize(m->second, 0.95).median;
      }
    }
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.cost < b.cost; });
  if (rows.empty()) {
    NoData("No run has a scenario to show.", out);
    out->append("</section>\n");
    return;
  }
  RunLegend(runs, out);

  const auto samples = [&](size_t r, const std::string& key,
                           const std::string& metric) -> const std::vector<double>* {
    if (!sets[r].has_value()) return nullptr;
    for (const lab::ScenarioSamples& s : sets[r]->scenarios) {
      if (s.key != key) continue;
      auto it = s.metrics.find(metric);
      return it == s.metrics.end() || it->second.empty() ? nullptr : &it->second;
    }
    return nullptr;
  };
  const size_t shown_runs = std::min(runs.size(), kMaxOverlaid);
  const double group = std::max(kRowHeight, 8.0 * static_cast<double>(shown_runs) + 6);
  for (const char* metric : kMatrixMetrics) {
    const lab::MetricInfo info = *lab::MetricInfoFor(metric);
    absl::StrAppend(out, "<h3>", Escape(MetricHeading(info)), "</h3>\n");
    std::vector<std::vector<std::string>> table = {{"scenario"}};
    if (runs.size() > 1) table[0].push_back("run");
    for (const char* h : {"trials", "median", "95% interval", "coverage"}) table[0].push_back(h);
    // summaries[row][run]
    std::vector<std::vector<std::optional<lab::SideSummary>>> summaries(rows.size());
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (size_t i = 0; i < rows.size(); ++i) {
      summaries[i].resize(runs.size());
      for (size_t r = 0; r < runs.size(); ++r) {
        const std::vector<double>* v = samples(r, rows[i].key, metric);
        if (v == nullptr) continue;
        const lab::SideSummary s = lab::Summarize(*v, 0.95);
        summaries[i][r] = s;
        std::vector<std::string> cells = {rows[i].name};
        if (runs.size() > 1) cells.push_back(runs[r].label);
        cells.push_back(absl::StrCat(s.n));
        cells.push_back(FormatSignificant(s.median));
        cells.push_back(Interval(s.interval));
        cells.push_back(absl::StrFormat("%.1f%%", 100 * s.interval.confidence));
        table.push_back(std::move(cells));
        if (r < shown_runs) {
          lo = std::min({lo, s.interval.lower, s.median});
          hi = std::max({hi, s.interval.upper, s.median});
        }
      }
    }
    if (table.size() == 1) {
      NoData(absl::StrCat("No scenario measured ", info.title,
                          info.id == "server_cpu_us" ? " (only the embedded server reports it)."
                                                     : "."),
             out);
      continue;
    }
    const int height = static_cast<int>(30 + group * static_cast<double>(rows.size()) + 44);
    Svg svg(kRowChartWidth, height, absl::StrCat("matrix: ", info.title, " by scenario"));
    const Plot plot{kRowLabelWidth, 30, kRowChartWidth - 16.0, height - 44.0};
    const Range xr = NiceLinearRange(lo, hi);
    const Scale x = Scale::Linear(xr.lo, xr.hi, plot.left, plot.right);
    std::vector<Tick> ticks = LinearTicks(xr);
    if (info.unit == "µs") {
      for (Tick& t : ticks) t.label = FormatLatencyTick(t.value * 1e3);
    }
    svg.XAxis(plot, x, ticks, MetricHeading(info));
    for (size_t i = 0; i < rows.size(); ++i) {
      svg.Text(plot.left - 6, plot.top + group * static_cast<double>(i) + group / 2 + 4,
               TruncateLabel(rows[i].name, kRowLabelChars), "row", "end");
    }
    svg.BeginMarks();
    const double bar_h = (group - 6) / static_cast<double>(shown_runs);
    for (size_t i = 0; i < rows.size(); ++i) {
      for (size_t r = 0; r < shown_runs; ++r) {
        if (!summaries[i][r].has_value()) continue;
        const lab::SideSummary& s = *summaries[i][r];
        const double y =
            plot.top + group * static_cast<double>(i) + 3 + bar_h * static_cast<double>(r) +
            bar_h / 2;
        const std::string cls = SeriesClass(r);
        const std::string tip = absl::StrCat(
            runs.size() > 1 ? absl::StrCat(runs[r].label, ": ") : "", rows[i].name, ": ",
            FormatSignificant(s.median), " ", info.unit, " ", Interval(s.interval), ", ", s.n,
            " trial", s.n == 1 ? "" : "s");
        svg.Line(x.Map(s.interval.lower), y, x.Map(s.interval.upper), y,
                 absl::StrCat("whisker ", cls));
        svg.Circle(x.Map(s.median), y, 3.5, cls, tip);
      }
    }
    std::string data;
    Table(table, runs.size() > 1 ? 2 : 1, &data);
    Figure(svg.Finish(),
           absl::StrCat(info.title, ": median over trials with its 95% interval; ",
                        info.higher_is_better ? "higher" : "lower", " is better."),
           data, out);
  }
  out->append("</section>\n");
}

namespace {

std::string SideCell(const lab::SideSummary& s) {
  if (s.n == 0) return "-";
  return absl::StrCat(FormatSignificant(s.median), " ", Interval(s.interval), " n=", s.n);
}

std::string Verdict(const lab::MetricComparison& m) {
  if (!m.p_value.has_value()) return "no test";
  if (m.regression) return "regression";
  if (m.improvement) return "improvement";
  if (m.significant) return "significant, within the limit";
  return "~ (not significant)";
}

std::string VerdictClass(const lab::MetricComparison& m) {
  if (m.regression) return "worse";
  if (m.improvement) return "better";
  return "same";
}

// A shift in the metric's units as shown on the chart: percent of the old
// median, or itself for metrics changed in points. nullopt when the old
// median is 0 for a relative metric.
std::optional<double> AsChange(double shift, const lab::MetricComparison& m, bool absolute) {
  if (absolute) return shift;
  if (m.old_side.median == 0) return std::nullopt;
  return 100 * shift / std::fabs(m.old_side.median);
}

}  // namespace

void CompareSection(const CompareView& view, std::string* out) {
  if (!view.comparison.has_value()) {
    if (view.not_compared.empty()) return;
    absl::StrAppend(out, "<section id=\"compare\"><h2>Comparison</h2>\n");
    NoData(view.not_compared, out);
    out->append("</section>\n");
    return;
  }
  const lab::Comparison& c = *view.comparison;
  absl::StrAppend(
      out, "<section id=\"compare\"><h2>Comparison: ", Escape(c.new_label), " against ",
      Escape(c.old_label), "</h2>\n<p class=\"note\">",
      Escape(absl::StrCat("new: ", absl::StrJoin(c.new_sources, ", "),
                          "; old: ", absl::StrJoin(c.old_sources, ", "), ". Alpha ",
                          FormatSignificant(c.options.alpha), ", threshold ",
                          FormatSignificant(c.options.threshold_percent),
                          "%. Computed by mailshake's compare (the same figures as "
                          "`mailshake compare`).")),
      "</p>\n");
  if (c.regressions.empty()) {
    out->append(
        "<p class=\"verdict\">No significant regression past the limits: "
        "<code>mailshake compare</code> exits 0.</p>\n");
  } else {
    absl::StrAppend(out, "<p class=\"verdict\"><strong>", c.regressions.size(), " regression",
                    c.regressions.size() == 1 ? "" : "s",
                    "</strong>: <code>mailshake compare</code> exits 1.</p>\n<ul>");
    for (const std::string& r : c.regressions) absl::StrAppend(out, "<li>", Escape(r), "</li>");
    out->append("</ul>\n");
  }
  if (!c.warnings.empty()) {
    out->append("<p class=\"nodata\">Compared although not comparable (--force):</p><ul>");
    for (const std::string& w : c.warnings) absl::StrAppend(out, "<li>", Escape(w), "</li>");
    out->append("</ul>\n");
  }
  out->append(
      "<ul class=\"legend\"><li><svg width=\"14\" height=\"10\" aria-hidden=\"true\"><rect "
      "class=\"worse\" x=\"0\" y=\"0\" width=\"14\" height=\"10\"/></svg>significant regression "
      "past the limit</li><li><svg width=\"14\" height=\"10\" aria-hidden=\"true\"><rect "
      "class=\"better\" x=\"0\" y=\"0\" width=\"14\" height=\"10\"/></svg>significant "
      "improvement past the threshold</li><li><svg width=\"14\" height=\"10\" "
      "aria-hidden=\"true\"><rect class=\"same\" x=\"0\" y=\"0\" width=\"14\" "
      "height=\"10\"/></svg>neither</li></ul>\n");

  // Metrics in the order compare lists them: headline ones and any other
  // that changed significantly past the threshold.
  std::vector<std::string> metrics;
  for (const lab::ScenarioComparison& sc : c.scenarios) {
    for (const lab::MetricComparison& m : sc.metrics) {
      absl::StatusOr<lab::MetricInfo> info = lab::MetricInfoFor(m.metric);
      if (!info.ok() || !(info->headline || m.regression || m.improvement)) continue;
      if (std::find(metrics.begin(), metrics.end(), m.metric) == metrics.end()) {
        metrics.push_back(m.metric);
      }
    }
  }
  const double threshold = c.options.threshold_percent;
  for (const std::string& metric : metrics) {
    const lab::MetricInfo info = *lab::MetricInfoFor(metric);
    const std::string unit = info.absolute_change ? " pt" : "%";
    absl::StrAppend(out, "<h3>", Escape(MetricHeading(info)), " — ",
                    info.higher_is_better ? "higher" : "lower", " is better</h3>\n");
    struct Mark {
      std::string name;
      double center = 0, lo = 0, hi = 0;
      std::string cls, tip;
    };
    std::vector<Mark> marks;
    std::vector<std::vector<std::string>> table = {
        {"scenario", absl::StrCat("old median [95%]"), "new median [95%]", "change",
         "HL shift [95%]", "p", "Holm p", "gate p", "verdict"}};
    double lo = -threshold, hi = threshold;
    for (const lab::ScenarioComparison& sc : c.scenarios) {
      for (const lab::MetricComparison& m : sc.metrics) {
        if (m.metric != metric) continue;
        std::string change = "-", shift_cell = "-";
        if (m.change.has_value()) change = absl::StrFormat("%+.2f%s", *m.change, unit);
        if (m.shift.has_value()) {
          const std::optional<double> center = AsChange(m.shift->estimate, m, info.absolute_change);
          const std::optional<double> low =
              AsChange(m.shift->interval.lower, m, info.absolute_change);
          const std::optional<double> high =
              AsChange(m.shift->interval.upper, m, info.absolute_change);
          if (center.has_value() && low.has_value() && high.has_value()) {
            shift_cell = absl::StrFormat("%+.2f%s [%+.2f, %+.2f]", *center, unit, *low, *high);
            marks.push_back(Mark{sc.name, *center, *low, *high, VerdictClass(m),
                                 absl::StrCat(sc.name, ": ", shift_cell, ", ", Verdict(m))});
            lo = std::min({lo, *low, *center});
            hi = std::max({hi, *high, *center});
          }
        }
        table.push_back({sc.name, SideCell(m.old_side), SideCell(m.new_side), change, shift_cell,
                         m.p_value.has_value() ? absl::StrFormat("%.3g", *m.p_value) : "-",
                         m.adjusted_p.has_value() ? absl::StrFormat("%.3g", *m.adjusted_p) : "-",
                         m.gate_adjusted_p.has_value()
                             ? absl::StrFormat("%.3g", *m.gate_adjusted_p)
                             : "-",
                         Verdict(m)});
      }
    }
    std::string data;
    Table(table, 1, &data);
    if (marks.empty()) {
      NoData(absl::StrCat("No scenario has a shift estimate of ", info.title, "."), out);
      out->append(data);
      continue;
    }
    const int height =
        static_cast<int>(30 + kRowHeight * static_cast<double>(marks.size()) + 44);
    Svg svg(kRowChartWidth, height, absl::StrCat("compare: change of ", info.title));
    const Plot plot{kRowLabelWidth, 30, kRowChartWidth - 16.0, height - 44.0};
    const Range xr = NiceLinearRange(lo, hi);
    const Scale x = Scale::Linear(xr.lo, xr.hi, plot.left, plot.right);
    svg.Rect(x.Map(-threshold), plot.top, x.Map(threshold) - x.Map(-threshold),
             plot.bottom - plot.top, "band", absl::StrCat("±", FormatSignificant(threshold), unit,
                                                          ": noise by --threshold"));
    svg.XAxis(plot, x, LinearTicks(xr, unit),
              absl::StrCat("change of ", c.new_label, " against ", c.old_label,
                           info.absolute_change ? " (percentage points)" : " (% of old median)"));
    svg.Line(x.Map(0), plot.top, x.Map(0), plot.bottom, "zero");
    for (size_t i = 0; i < marks.size(); ++i) {
      svg.Text(plot.left - 6, plot.top + kRowHeight * static_cast<double>(i) + kRowHeight * 0.7,
               TruncateLabel(marks[i].name, kRowLabelChars), "row", "end");
    }
    svg.BeginMarks();
    for (size_t i = 0; i < marks.size(); ++i) {
      const double y = plot.top + kRowHeight * static_cast<double>(i) + kRowHeight / 2;
      svg.Line(x.Map(marks[i].lo), y, x.Map(marks[i].hi), y,
               absl::StrCat("whisker ", marks[i].cls));
      svg.Circle(x.Map(marks[i].center), y, 4, marks[i].cls, marks[i].tip);
    }
    Figure(svg.Finish(),
           absl::StrCat(info.title,
                        ": dot, the Hodges-Lehmann shift of new against old (the median of all "
                        "trial-to-trial differences) as a change of the old median; whisker, "
                        "its 95% interval; grey band, the ±threshold within which a change is "
                        "noise. \"change\" in the table is the change of the medians."),
           data, out);
  }

  if (!c.geomean.empty()) {
    out->append("<h3>Geometric mean over scenarios</h3>\n");
    std::vector<std::vector<std::string>> rows = {{"metric", "change of new/old", "scenarios"}};
    for (const lab::GeomeanRow& g : c.geomean) {
      rows.push_back({g.metric, absl::StrFormat("%+.2f%%", g.change), absl::StrCat(g.scenarios)});
    }
    Table(rows, 1, out);
  }
  const auto list = [&](absl::string_view title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    absl::StrAppend(out, "<h3>", Escape(title), "</h3><ul>");
    for (const std::string& s : items) absl::StrAppend(out, "<li>", Escape(s), "</li>");
    out->append("</ul>\n");
  };
  list(absl::StrCat("Only in ", c.old_label), c.only_old);
  list(absl::StrCat("Only in ", c.new_label), c.only_new);
  list("Not measured", c.not_measured);
  list("Disturbed trials (the rest of the machine took CPU while they ran; their figures may "
       "be shifted)",
       c.disturbed);
  list("Slowed CPUs (trials whose CPU speed canary ran slower than their run's fastest or "
       "changed during the trial, and sides whose canaries differ; CPU figures may be shifted)",
       c.slowed);
  absl::StrAppend(out, "<p class=\"note\">", Escape(c.footer), "</p>\n</section>\n");
}

}  // namespace internal

CompareView CompareRuns(const Run& old_run, const Run& new_run) {
  CompareView view;
  absl::StatusOr<lab::SampleSet> old_side =
      lab::SampleSetFromResults(old_run.label, {old_run.result}, {old_run.label});
  absl::StatusOr<lab::SampleSet> new_side =
      lab::SampleSetFromResults(new_run.label, {new_run.result}, {new_run.label});
  absl::StatusOr<lab::Comparison> comparison =
      !old_side.ok()   ? old_side.status()
      : !new_side.ok() ? new_side.status()
                       : lab::Compare(*old_side, *new_side, lab::CompareOptions());
  if (comparison.ok()) {
    view.comparison = *std::move(comparison);
    return view;
  }
  view.not_compared = absl::StrCat(
      new_run.label, " is not compared with ", old_run.label, ": ",
      comparison.status().message(),
      comparison.status().code() == absl::StatusCode::kFailedPrecondition
          ? " (`mailshake compare --force OLD NEW --html FILE` compares them anyway)"
          : "");
  return view;
}

}  // namespace html
}  // namespace mailshake
