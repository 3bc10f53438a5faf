// RenderReport: the page, its sections and their charts.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/html/escape.h"
#include "src/html/format.h"
#include "src/html/html.h"
#include "src/html/lab_view.h"
#include "src/html/parts.h"
#include "src/html/scale.h"
#include "src/html/shell.h"
#include "src/html/spectrum.h"
#include "src/html/svg.h"
#include "src/report/report.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace html {
namespace {

using internal::Escape;
using internal::FormatLatency;
using internal::Plot;
using internal::Scale;
using internal::Svg;
using internal::Tick;
using report::FormatSignificant;
using internal::Figure;
using internal::kLabelWidth;
using internal::kMaxOverlaid;
using internal::kRowHeight;
using internal::Legend;
using internal::RunLegend;
using internal::NoData;
using internal::SeriesClass;
using internal::Table;
using internal::TruncateLabel;

constexpr int kFailurePalette = 8;

std::string Count(int64_t n) { return absl::StrCat(n); }

std::string Percent(double part, double whole) {
  if (!(whole > 0)) return "-";
  return absl::StrFormat("%.1f%%", 100.0 * part / whole);
}

// ---------------------------------------------------------------------------
// Series: the trials of one scenario of one run, merged.

struct Series {
  std::string label;
  size_t run = 0;
  std::string scenario_name;
  std::vector<const report::Scenario*> trials;
  // Phases in order of first appearance, trials merged.
  std::vector<std::pair<std::string, stats::LatencyHistogram>> phases;
  int64_t attempted = 0, succeeded = 0, failed = 0;
  stats::CounterMap outcomes;
  std::map<std::string, stats::CounterMap> negotiated;
};

std::string ScenarioKey(const report::Scenario& s) {
  std::string key = s.name;
  for (const auto& [k, v] : s.parameters) absl::StrAppend(&key, "\x1f", k, "=", v);
  return key;
}

std::vector<Series> BuildSeries(const std::vector<Run>& runs,
                                std::vector<std::string>* notes) {
  std::vector<Series> out;
  for (size_t r = 0; r < runs.size(); ++r) {
    std::map<std::string, size_t> index;
    std::vector<Series> mine;
    for (const report::Scenario& s : runs[r].result.scenarios) {
      auto [it, fresh] = index.emplace(ScenarioKey(s), mine.size());
      if (fresh) {
        Series series;
        series.run = r;
        series.scenario_name = s.name;
        mine.push_back(std::move(series));
      }
      Series& series = mine[it->second];
      series.trials.push_back(&s);
      series.attempted += s.attempted;
      series.succeeded += s.succeeded;
      series.failed += s.failed;
      if (!series.outcomes.Merge(s.outcomes).ok()) {
        notes->push_back(absl::StrCat(runs[r].label, ": outcome counts of ", s.name,
                                      " overflow; shown without trial ", s.trial));
      }
      for (const auto& [category, counters] : s.negotiated) {
        (void)series.negotiated[category].Merge(counters);
      }
      for (const report::PhaseLatency& phase : s.phases) {
        auto p = std::find_if(series.phases.begin(), series.phases.end(),
                              [&](const auto& e) { return e.first == phase.name; });
        if (p == series.phases.end()) {
          series.phases.emplace_back(phase.name, phase.latency);
        } else if (!p->second.Merge(phase.latency).ok()) {
          notes->push_back(absl::StrCat(runs[r].label, ": the ", phase.name,
                                        " histograms of ", s.name,
                                        " do not merge across trials; trial ", s.trial,
                                        " is left out of that phase"));
        }
      }
    }
    const bool one_scenario = mine.size() == 1;
    for (Series& s : mine) {
      if (runs.size() == 1) {
        s.label = s.scenario_name;
      } else if (one_scenario) {
        s.label = runs[r].label;
      } else {
        s.label = absl::StrCat(runs[r].label, ": ", s.scenario_name);
      }
      out.push_back(std::move(s));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Header.

void Header(const std::vector<Run>& runs, std::string* out) {
  std::vector<std::string> labels;
  for (const Run& run : runs) labels.push_back(run.label);
  absl::StrAppend(out, "<header><h1>mailshake report</h1>\n<p class=\"note\">",
                  Escape(absl::StrJoin(labels, " · ")), "</p>\n");
  std::vector<std::vector<std::string>> rows;
  rows.push_back({""});
  for (const Run& run : runs) rows[0].push_back(run.label);
  const auto row = [&](std::string name, auto get) {
    std::vector<std::string> cells = {std::move(name)};
    for (const Run& run : runs) cells.push_back(get(run.result));
    rows.push_back(std::move(cells));
  };
  row("target", [](const report::Result& r) { return r.target; });
  row("scenarios", [](const report::Result& r) {
    std::set<std::string> keys;
    for (const auto& s : r.scenarios) keys.insert(ScenarioKey(s));
    return absl::StrCat(keys.size(), " (", r.scenarios.size(), " trial",
                        r.scenarios.size() == 1 ? "" : "s", ")");
  });
  row("started", [](const report::Result& r) {
    return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", r.environment.start,
                            absl::UTCTimeZone());
  });
  row("mailshake", [](const report::Result& r) {
    return r.environment.git_revision.empty()
               ? r.environment.tool_version
               : absl::StrCat(r.environment.tool_version, " (", r.environment.git_revision, ")");
  });
  row("BoringSSL API", [](const report::Result& r) {
    return absl::StrCat(r.environment.boringssl_api_version);
  });
  row("CPU", [](const report::Result& r) {
    return absl::StrCat(r.environment.cpu_model.empty() ? "unknown" : r.environment.cpu_model,
                        ", ", r.environment.cores, " cores");
  });
  row("kernel", [](const report::Result& r) { return r.environment.kernel; });
  row("host", [](const report::Result& r) { return r.environment.hostname; });
  out->append("<table class=\"env\">\n");
  for (size_t r = 0; r < rows.size(); ++r) {
    out->append("<tr>");
    for (size_t c = 0; c < rows[r].size(); ++c) {
      const char* tag = (r == 0 || c == 0) ? "th" : "td";
      absl::StrAppend(out, "<", tag, ">", Escape(rows[r][c]), "</", tag, ">");
    }
    out->append("</tr>\n");
  }
  out->append("</table>\n");
  for (const Run& run : runs) {
    absl::StrAppend(
        out, "<details><summary>spec of ", Escape(run.label), "</summary><pre>",
        Escape(run.result.spec.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)),
        "</pre></details>\n");
  }
  absl::StrAppend(out, "<pre id=\"", kErrorsId, "\" hidden></pre>\n</header>\n");
}

// ---------------------------------------------------------------------------
// Latency percentile spectrum.

constexpr int kChartWidth = 600;
constexpr int kChartHeight = 320;

Plot DefaultPlot(int width, int height) {
  return Plot{70, 26, static_cast<double>(width) - 16, static_cast<double>(height) - 44};
}

std::vector<Tick> LatencyTicks(const internal::Range& range) {
  std::vector<Tick> ticks;
  for (double v : internal::LogTicks(range)) ticks.push_back({v, internal::FormatLatencyTick(v)});
  return ticks;
}

std::string NinesLabel(int nines) {
  if (nines == 0) return "0%";
  if (nines == 1) return "90%";
  return absl::StrCat("99", nines > 2 ? "." : "", std::string(nines > 2 ? nines - 2 : 0, '9'),
                      "%");
}

void SpectrumSection(const std::vector<Series>& series, std::string* out) {
  absl::StrAppend(out, "<section id=\"latency\"><h2>Latency percentile spectrum</h2>\n",
                  "<p class=\"note\">Latency of successful attempts at each percentile, on "
                  "HdrHistogram's axis: equal steps are 90%, 99%, 99.9%, … so the tail gets "
                  "the room it needs. Drawn from every bucket of the recorded histograms "
                  "(trials of a scenario merged), not from the stored percentiles.</p>\n");
  std::vector<std::string> phase_names;
  for (const Series& s : series) {
    for (const auto& [name, h] : s.phases) {
      if (std::find(phase_names.begin(), phase_names.end(), name) == phase_names.end()) {
        phase_names.push_back(name);
      }
    }
  }
  if (phase_names.empty()) {
    NoData("No latency was recorded (no run has a successful attempt).", out);
    out->append("</section>\n");
    return;
  }
  std::vector<std::string> labels;
  for (const Series& s : series) labels.push_back(s.label);
  Legend(labels, out);
  for (const std::string& phase : phase_names) {
    absl::StrAppend(out, "<h3>", Escape(phase), "</h3>\n");
    std::vector<std::vector<internal::SpectrumStep>> steps(series.size());
    int64_t max_count = 0;
    double lo = 0, hi = 0;
    for (size_t i = 0; i < series.size(); ++i) {
      for (const auto& [name, h] : series[i].phases) {
        if (name != phase || h.Count() == 0) continue;
        steps[i] = internal::PercentileSpectrum(h);
        max_count = std::max(max_count, h.Count());
        const double first = std::max<double>(1, static_cast<double>(steps[i].front().value));
        lo = lo == 0 ? first : std::min(lo, first);
        hi = std::max(hi, static_cast<double>(steps[i].back().value));
      }
    }
    // Table rows: the percentile ladder up to the resolution of the largest
    // sample, then the maximum.
    const int max_nines = std::clamp(
        static_cast<int>(std::ceil(std::log10(static_cast<double>(std::max<int64_t>(max_count, 1))))),
        2, 9);
    std::vector<std::vector<std::string>> rows = {{"percentile"}};
    for (const Series& s : series) rows[0].push_back(s.label);
    std::vector<std::pair<double, std::string>> ladder = {
        {50, "p50"}, {75, "p75"}, {90, "p90"}, {95, "p95"}, {99, "p99"}};
    for (int k = 3; k <= max_nines; ++k) {
      std::string label = NinesLabel(k);
      label.pop_back();  // the '%'
      ladder.emplace_back(100 * internal::InverseTailFraction(k), absl::StrCat("p", label));
    }
    rows.push_back({"count"});
    for (size_t i = 0; i < series.size(); ++i) {
      int64_t n = 0;
      for (const auto& [name, h] : series[i].phases) {
        if (name == phase) n = h.Count();
      }
      rows.back().push_back(Count(n));
    }
    for (const auto& [p, label] : ladder) {
      std::vector<std::string> r = {label};
      for (size_t i = 0; i < series.size(); ++i) {
        r.push_back(steps[i].empty() ? "-"
                                     : FormatLatency(static_cast<double>(
                                           internal::SpectrumValueAt(steps[i], p / 100))));
      }
      rows.push_back(std::move(r));
    }
    rows.push_back({"max"});
    for (size_t i = 0; i < series.size(); ++i) {
      rows.back().push_back(steps[i].empty() ? "-" : FormatLatency(static_cast<double>(
                                                         steps[i].back().value)));
    }
    std::string table;
    Table(rows, 1, &table);
    if (max_count == 0) {
      NoData(absl::StrCat("No successful attempt recorded the ", phase, " phase."), out);
      out->append(table);
      continue;
    }
    Svg svg(kChartWidth, kChartHeight, absl::StrCat("latency percentile spectrum of ", phase));
    const Plot plot = DefaultPlot(kChartWidth, kChartHeight);
    const Scale x = Scale::Linear(0, max_nines, plot.left, plot.right);
    const internal::Range yr = internal::NiceLogRange(lo, hi);
    const Scale y = Scale::Log(yr.lo, yr.hi, plot.bottom, plot.top);
    std::vector<Tick> xt;
    for (int k = 0; k <= max_nines; ++k) xt.push_back({static_cast<double>(k), NinesLabel(k)});
    svg.XAxis(plot, x, xt, "percentile (log 1/(1-p))");
    svg.YAxis(plot, y, LatencyTicks(yr), absl::StrCat(phase, " latency"));
    svg.BeginMarks();
    for (size_t i = 0; i < series.size() && i < kMaxOverlaid; ++i) {
      if (steps[i].empty()) continue;
      std::vector<std::pair<double, double>> points;
      for (size_t k = 0; k < steps[i].size(); ++k) {
        const internal::SpectrumStep& st = steps[i][k];
        const double yv = y.Map(std::max<double>(static_cast<double>(st.value), yr.lo));
        const double from = std::min<double>(internal::InverseTailPosition(st.from), max_nines);
        const double to = k + 1 == steps[i].size()
                              ? max_nines
                              : std::min<double>(internal::InverseTailPosition(st.to), max_nines);
        points.emplace_back(x.Map(from), yv);
        points.emplace_back(x.Map(to), yv);
      }
      svg.Polyline(points, absl::StrCat("line ", SeriesClass(i)), series[i].label);
    }
    Figure(svg.Finish(),
           absl::StrCat(phase, ": latency at each percentile; a step is one histogram bucket ",
                        "(its upper bound, capped at the exact maximum)."),
           table, out);
  }
  out->append("</section>\n");
}

// ---------------------------------------------------------------------------
// Over time: handshakes per second and percentiles per second.

struct RunTimeline {
  std::optional<stats::TimeSeries> series;
  // Unix second -> summed open-loop target of the scenarios running then.
  std::map<int64_t, double> target;
};

RunTimeline Timeline(const Run& run, std::vector<std::string>* notes) {
  RunTimeline t;
  for (const report::Scenario& s : run.result.scenarios) {
    if (s.series.seconds().empty()) continue;
    if (!t.series.has_value()) {
      t.series = s.series;
    } else if (!t.series->Merge(s.series).ok()) {
      notes->push_back(absl::StrCat(run.label, ": the time series of ", s.name, " (trial ",
                                    s.trial, ") does not merge with the others; left out"));
      continue;
    }
    if (s.target_rate > 0) {
      const int64_t first = s.series.seconds().begin()->first;
      const int64_t last = s.series.seconds().rbegin()->first;
      for (int64_t sec = first; sec <= last && sec - first < 1'000'000; ++sec) {
        t.target[sec] += s.target_rate;
      }
    }
  }
  return t;
}

void ThroughputSection(const std::vector<Run>& runs, std::vector<std::string>* notes,
                       std::string* out) {
  absl::StrAppend(out, "<section id=\"throughput\"><h2>Handshakes per second over time</h2>\n",
                  "<p class=\"note\">Per wall-clock second after warm-up: successful sessions, "
                  "failures stacked on top, and for open loop the target rate (dashed). Every "
                  "scenario and trial of a run is summed by second.</p>\n");
  std::vector<RunTimeline> timelines;
  for (const Run& run : runs) timelines.push_back(Timeline(run, notes));
  for (size_t r = 0; r < runs.size(); ++r) {
    absl::StrAppend(out, "<h3>", Escape(runs[r].label), "</h3>\n");
    const RunTimeline& t = timelines[r];
    if (!t.series.has_value()) {
      NoData("No attempt was recorded in this run's time series.", out);
      continue;
    }
    const auto& seconds = t.series->seconds();
    const int64_t first = seconds.begin()->first;
    const int64_t last = seconds.rbegin()->first;
    double top = 1;
    for (const auto& [sec, st] : seconds) {
      top = std::max(top, static_cast<double>(st.successes + st.failures));
    }
    for (const auto& [sec, rate] : t.target) top = std::max(top, rate);
    const internal::Range yr = internal::NiceLinearRange(0, top);
    Svg svg(kChartWidth, kChartHeight, absl::StrCat("handshakes per second of ", runs[r].label));
    const Plot plot = DefaultPlot(kChartWidth, kChartHeight);
    const double span = static_cast<double>(last - first + 1);
    const Scale x = Scale::Linear(0, span, plot.left, plot.right);
    const Scale y = Scale::Linear(yr.lo, yr.hi, plot.bottom, plot.top);
    std::vector<Tick> xt, yt;
    for (double v : internal::NiceLinearTicks(internal::NiceLinearRange(0, span, 6), 6)) {
      if (v <= span) xt.push_back({v, absl::StrCat(internal::FormatTick(v), " s")});
    }
    for (double v : internal::NiceLinearTicks(yr)) yt.push_back({v, internal::FormatTick(v)});
    svg.XAxis(plot, x, xt, "seconds since the first recorded second");
    svg.YAxis(plot, y, yt, "attempts per second");
    svg.BeginMarks();
    const double bar = std::max(0.5, x.Map(1) - x.Map(0) - (span <= 120 ? 1 : 0));
    std::vector<std::vector<std::string>> rows = {
        {"second", "successes", "failures", t.target.empty() ? "" : "target"}};
    if (t.target.empty()) rows[0].pop_back();
    for (const auto& [sec, st] : seconds) {
      const double x0 = x.Map(static_cast<double>(sec - first));
      const double ok = static_cast<double>(st.successes);
      const double bad = static_cast<double>(st.failures);
      const std::string tip =
          absl::StrCat("second ", sec - first, ": ", st.successes, " ok, ", st.failures, " failed");
      if (ok > 0) svg.Rect(x0, y.Map(ok), bar, y.Map(0) - y.Map(ok), "ok", tip);
      if (bad > 0) svg.Rect(x0, y.Map(ok + bad), bar, y.Map(ok) - y.Map(ok + bad), "fail", tip);
      std::vector<std::string> row = {absl::StrCat(sec - first), Count(st.successes),
                                      Count(st.failures)};
      if (!t.target.empty()) {
        auto it = t.target.find(sec);
        row.push_back(it == t.target.end() ? "0" : FormatSignificant(it->second));
      }
      rows.push_back(std::move(row));
    }
    if (!t.target.empty()) {
      std::vector<std::pair<double, double>> points;
      for (int64_t sec = first; sec <= last; ++sec) {
        auto it = t.target.find(sec);
        const double rate = it == t.target.end() ? 0 : it->second;
        points.emplace_back(x.Map(static_cast<double>(sec - first)), y.Map(rate));
        points.emplace_back(x.Map(static_cast<double>(sec - first + 1)), y.Map(rate));
      }
      svg.Polyline(points, "target", "open-loop target");
    }
    Figure(svg.Finish(),
           "Green: successful sessions; red: failures (stacked); dashed: open-loop target.",
           [&] {
             std::string table;
             Table(rows, 1, &table);
             return table;
           }(),
           out);
  }
  out->append("</section>\n");

  absl::StrAppend(out, "<section id=\"percentiles\"><h2>Latency percentiles over time</h2>\n",
                  "<p class=\"note\">Per second: p50, p90, p99 and the maximum of the total "
                  "session latency of that second's successes, from the series' per-second "
                  "histograms (coarser than the phase histograms: ");
  absl::StrAppend(out, "one significant digit by default, within 1/16 of the value). Only "
                       "the total phase has a per-second series.</p>\n");
  const std::vector<std::pair<double, std::string>> lines = {
      {50, "p50"}, {90, "p90"}, {99, "p99"}, {100, "max"}};
  for (size_t r = 0; r < runs.size(); ++r) {
    absl::StrAppend(out, "<h3>", Escape(runs[r].label), "</h3>\n");
    const RunTimeline& t = timelines[r];
    double lo = 0, hi = 0;
    if (t.series.has_value()) {
      for (const auto& [sec, st] : t.series->seconds()) {
        if (st.latency.Count() == 0) continue;
        const double a = std::max<double>(1, static_cast<double>(st.latency.ValueAtPercentile(50)));
        lo = lo == 0 ? a : std::min(lo, a);
        hi = std::max(hi, static_cast<double>(st.latency.Max()));
      }
    }
    if (hi == 0) {
      NoData("No second of this run has a successful attempt.", out);
      continue;
    }
    const auto& seconds = t.series->seconds();
    const int64_t first = seconds.begin()->first;
    const int64_t last = seconds.rbegin()->first;
    const double span = static_cast<double>(last - first + 1);
    Svg svg(kChartWidth, kChartHeight, absl::StrCat("latency percentiles over time of ", runs[r].label));
    const Plot plot = DefaultPlot(kChartWidth, kChartHeight);
    const Scale x = Scale::Linear(0, span, plot.left, plot.right);
    const internal::Range yr = internal::NiceLogRange(lo, hi);
    const Scale y = Scale::Log(yr.lo, yr.hi, plot.bottom, plot.top);
    std::vector<Tick> xt;
    for (double v : internal::NiceLinearTicks(internal::NiceLinearRange(0, span, 6), 6)) {
      if (v <= span) xt.push_back({v, absl::StrCat(internal::FormatTick(v), " s")});
    }
    svg.XAxis(plot, x, xt, "seconds since the first recorded second");
    svg.YAxis(plot, y, LatencyTicks(yr), "total latency");
    svg.BeginMarks();
    std::vector<std::vector<std::string>> rows = {{"second", "successes", "p50", "p90", "p99", "max"}};
    for (const auto& [sec, st] : seconds) {
      std::vector<std::string> row = {absl::StrCat(sec - first), Count(st.latency.Count())};
      for (const auto& [p, name] : lines) {
        row.push_back(st.latency.Count() == 0
                          ? "-"
                          : FormatLatency(static_cast<double>(st.latency.ValueAtPercentile(p))));
      }
      rows.push_back(std::move(row));
    }
    for (size_t l = 0; l < lines.size(); ++l) {
      std::vector<std::pair<double, double>> points;
      for (const auto& [sec, st] : seconds) {
        if (st.latency.Count() == 0) continue;
        const double v = std::max<double>(yr.lo, static_cast<double>(st.latency.ValueAtPercentile(lines[l].first)));
        points.emplace_back(x.Map(static_cast<double>(sec - first) + 0.5), y.Map(v));
      }
      svg.Polyline(points, absl::StrCat("line thin ", SeriesClass(l)), lines[l].second);
    }
    std::string legend;
    std::vector<std::string> names;
    for (const auto& l : lines) names.push_back(l.second);
    Legend(names, &legend);
    out->append(legend);
    std::string table;
    Table(rows, 1, &table);
    Figure(svg.Finish(), "Per-second percentiles of the total latency of successes.", table, out);
  }
  out->append("</section>\n");
}

// ---------------------------------------------------------------------------
// Outcomes and negotiated parameters: horizontal bars, one row per label.


void OutcomeSection(const std::vector<Series>& series, std::string* out) {
  absl::StrAppend(out, "<section id=\"outcomes\"><h2>Outcomes</h2>\n",
                  "<p class=\"note\">Every attempt ends in exactly one outcome: <code>ok</code> "
                  "or a failure category. Bars show each outcome's share of the attempts.</p>\n");
  if (series.empty()) {
    NoData("No scenario in any run.", out);
    out->append("</section>\n");
    return;
  }
  // Categories: ok first, then failures by descending total count.
  stats::CounterMap all;
  for (const Series& s : series) (void)all.Merge(s.outcomes);
  std::vector<std::string> categories = {std::string(report::kSuccessOutcome)};
  for (const auto& [category, n] : all.SortedByCount()) {
    if (category != report::kSuccessOutcome) categories.push_back(category);
  }
  const auto cls = [&](size_t c) {
    return c == 0 ? std::string("ok") : absl::StrCat("f", (c - 1) % kFailurePalette);
  };
  absl::StrAppend(out, "<ul class=\"legend\">");
  for (size_t c = 0; c < categories.size(); ++c) {
    absl::StrAppend(out, "<li><svg width=\"14\" height=\"10\" aria-hidden=\"true\"><rect class=\"",
                    cls(c), "\" x=\"0\" y=\"0\" width=\"14\" height=\"10\"/></svg>",
                    Escape(categories[c]), "</li>");
  }
  out->append("</ul>\n");
  const int width = 720;
  const int height = static_cast<int>(40 + kRowHeight * series.size() + 44);
  Svg svg(width, height, "outcomes by scenario");
  const Plot plot{kLabelWidth, 30, width - 16.0, height - 44.0};
  const Scale x = Scale::Linear(0, 100, plot.left, plot.right);
  std::vector<Tick> xt;
  for (double v : {0, 25, 50, 75, 100}) xt.push_back({v, absl::StrCat(v, "%")});
  svg.XAxis(plot, x, xt, "share of attempts");
  std::vector<std::vector<std::string>> rows = {{"series", "attempted"}};
  for (const std::string& c : categories) rows[0].push_back(c);
  for (size_t i = 0; i < series.size(); ++i) {
    const double y0 = plot.top + kRowHeight * i;
    svg.Text(plot.left - 6, y0 + kRowHeight * 0.7, TruncateLabel(series[i].label, 40), "row", "end");
    std::vector<std::string> row = {series[i].label, Count(series[i].attempted)};
    for (const std::string& c : categories) row.push_back(Count(series[i].outcomes.Get(c)));
    rows.push_back(std::move(row));
  }
  svg.BeginMarks();
  for (size_t i = 0; i < series.size(); ++i) {
    const double y0 = plot.top + kRowHeight * i;
    const double total = static_cast<double>(series[i].attempted);
    if (total <= 0) continue;
    double acc = 0;
    for (size_t c = 0; c < categories.size(); ++c) {
      const int64_t n = series[i].outcomes.Get(categories[c]);
      if (n == 0) continue;
      const double share = 100.0 * static_cast<double>(n) / total;
      svg.Rect(x.Map(acc), y0 + 3, x.Map(acc + share) - x.Map(acc), kRowHeight - 6, cls(c),
               absl::StrCat(series[i].label, ": ", categories[c], " ", n, " (",
                            Percent(static_cast<double>(n), total), ")"));
      acc += share;
    }
  }
  std::string table;
  Table(rows, 1, &table);
  Figure(svg.Finish(), "Outcomes by scenario (trials summed).", table, out);
  out->append("</section>\n");
}

void NegotiatedSection(const std::vector<Run>& runs, std::string* out) {
  absl::StrAppend(out, "<section id=\"negotiated\"><h2>Negotiated parameters</h2>\n",
                  "<p class=\"note\">What the successful handshakes negotiated, as a share of "
                  "each run's successes (every scenario and trial of a run summed).</p>\n");
  std::vector<std::map<std::string, stats::CounterMap>> per_run(runs.size());
  std::vector<int64_t> successes(runs.size(), 0);
  std::vector<std::string> categories;
  for (size_t r = 0; r < runs.size(); ++r) {
    for (const report::Scenario& s : runs[r].result.scenarios) {
      successes[r] += s.succeeded;
      for (const auto& [category, counters] : s.negotiated) {
        (void)per_run[r][category].Merge(counters);
        if (counters.size() > 0 &&
            std::find(categories.begin(), categories.end(), category) == categories.end()) {
          categories.push_back(category);
        }
      }
    }
  }
  if (categories.empty()) {
    NoData("No successful handshake, so nothing was negotiated.", out);
    out->append("</section>\n");
    return;
  }
  RunLegend(runs, out);
  for (const std::string& category : categories) {
    absl::StrAppend(out, "<h3>", Escape(category), "</h3>\n");
    stats::CounterMap all;
    for (const auto& m : per_run) {
      auto it = m.find(category);
      if (it != m.end()) (void)all.Merge(it->second);
    }
    std::vector<std::string> values;
    for (const auto& [value, n] : all.SortedByCount()) values.push_back(value);
    const size_t shown_runs = std::min(runs.size(), kMaxOverlaid);
    const double group = std::max(kRowHeight, 8.0 * shown_runs + 6);
    const int width = 720;
    const int height = static_cast<int>(30 + group * values.size() + 44);
    Svg svg(width, height, absl::StrCat("negotiated ", category));
    const Plot plot{kLabelWidth, 30, width - 16.0, height - 44.0};
    const Scale x = Scale::Linear(0, 100, plot.left, plot.right);
    std::vector<Tick> xt;
    for (double v : {0, 25, 50, 75, 100}) xt.push_back({v, absl::StrCat(v, "%")});
    svg.XAxis(plot, x, xt, "share of successful handshakes");
    std::vector<std::vector<std::string>> rows = {{"value"}};
    for (const Run& run : runs) rows[0].push_back(run.label);
    for (size_t v = 0; v < values.size(); ++v) {
      svg.Text(plot.left - 6, plot.top + group * v + group / 2 + 4, TruncateLabel(values[v], 40),
               "row", "end");
    }
    svg.BeginMarks();
    for (size_t v = 0; v < values.size(); ++v) {
      std::vector<std::string> row = {values[v]};
      for (size_t r = 0; r < runs.size(); ++r) {
        auto it = per_run[r].find(category);
        const int64_t n = it == per_run[r].end() ? 0 : it->second.Get(values[v]);
        row.push_back(absl::StrCat(n, " (", Percent(static_cast<double>(n),
                                                    static_cast<double>(successes[r])), ")"));
        if (r >= shown_runs || n == 0 || successes[r] == 0) continue;
        const double share = 100.0 * static_cast<double>(n) / static_cast<double>(successes[r]);
        const double bar_h = (group - 6) / static_cast<double>(shown_runs);
        svg.Rect(x.Map(0), plot.top + group * v + 3 + bar_h * r, x.Map(share) - x.Map(0),
                 std::max(1.0, bar_h - 1), SeriesClass(r),
                 absl::StrCat(runs[r].label, ": ", values[v], " ", n, " (",
                              Percent(static_cast<double>(n), static_cast<double>(successes[r])),
                              ")"));
      }
      rows.push_back(std::move(row));
    }
    std::string table;
    Table(rows, 1, &table);
    Figure(svg.Finish(), absl::StrCat(category, " as a share of successes."), table, out);
  }
  out->append("</section>\n");
}

}  // namespace

std::string RenderReport(const std::vector<Run>& runs, const CompareView& compare) {
  std::vector<std::string> notes;
  const std::vector<Series> series = BuildSeries(runs, &notes);
  const bool compared = compare.comparison.has_value() || !compare.not_compared.empty();
  const bool matrix = internal::HasMatrix(runs);
  std::string body;
  Header(runs, &body);
  absl::StrAppend(
      &body, "<nav>", compared ? "<a href=\"#compare\">comparison</a>" : "",
      matrix ? "<a href=\"#matrix\">scenarios × metrics</a>" : "",
      "<a href=\"#latency\">latency spectrum</a><a href=\"#throughput\">handshakes/s</a>"
      "<a href=\"#percentiles\">percentiles over time</a><a href=\"#outcomes\">outcomes</a>"
      "<a href=\"#negotiated\">negotiated</a></nav>\n");
  if (runs.empty()) NoData("No result file was given.", &body);
  internal::CompareSection(compare, &body);
  if (matrix) internal::MatrixSection(runs, &notes, &body);
  SpectrumSection(series, &body);
  ThroughputSection(runs, &notes, &body);
  OutcomeSection(series, &body);
  NegotiatedSection(runs, &body);
  if (!notes.empty()) {
    body.append("<section id=\"notes\"><h2>Notes</h2><ul>\n");
    for (const std::string& n : notes) absl::StrAppend(&body, "<li>", Escape(n), "</li>\n");
    body.append("</ul></section>\n");
  }
  body.append(
      "<footer><p class=\"note\">Written by mailshake report. The page is self-contained: "
      "its charts are SVG written by mailshake, its style and script are inline, and its "
      "policy forbids every network request.</p></footer>\n");

  std::vector<std::string> labels;
  for (const Run& run : runs) labels.push_back(run.label);
  return internal::Page(absl::StrCat("mailshake report: ", absl::StrJoin(labels, ", ")), body);
}

}  // namespace html
}  // namespace mailshake
