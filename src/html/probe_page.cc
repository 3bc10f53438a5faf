#include "src/html/probe_page.h"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "src/html/escape.h"
#include "src/html/parts.h"
#include "src/html/scale.h"
#include "src/html/shell.h"
#include "src/html/svg.h"
#include "src/probe/policy.h"
#include "src/wire/catalog.h"

namespace mailshake {
namespace html {
namespace {

using internal::Escape;
using internal::Figure;
using internal::kLabelWidth;
using internal::kRowHeight;
using internal::NoData;
using internal::Plot;
using internal::Scale;
using internal::Svg;
using internal::Table;
using internal::Tick;

constexpr std::array<probe::Level, 4> kLevels = {probe::Level::kGood, probe::Level::kSufficient,
                                                 probe::Level::kPhaseOut,
                                                 probe::Level::kInsufficient};
constexpr std::array<probe::Severity, 5> kSeverities = {
    probe::Severity::kProblem, probe::Severity::kWarning, probe::Severity::kUnknown,
    probe::Severity::kOk, probe::Severity::kInfo};

std::string LevelClass(probe::Level level) {
  return absl::StrCat("lv-", probe::LevelName(level));
}

// The bar colour of a severity (the page's level palette, blue for info).
const char* SeverityFill(probe::Severity s) {
  switch (s) {
    case probe::Severity::kOk:
      return "lv-good";
    case probe::Severity::kWarning:
      return "lv-phase-out";
    case probe::Severity::kProblem:
      return "lv-insufficient";
    case probe::Severity::kUnknown:
      return "s3";
    case probe::Severity::kInfo:
      return "s0";
  }
  return "s0";
}

// StackedBars draws one stacked bar per row: |values[row][segment]| in
// |classes[segment]|, with its table.
void StackedBars(const std::string& label, const std::vector<std::string>& rows,
                 const std::vector<std::string>& segments,
                 const std::vector<std::string>& classes,
                 const std::vector<std::vector<int>>& values, const std::string& axis_title,
                 const std::string& caption, std::string* out) {
  int most = 1;
  for (const std::vector<int>& v : values) {
    int sum = 0;
    for (int x : v) sum += x;
    most = std::max(most, sum);
  }
  const int width = 720;
  const int height = static_cast<int>(30 + kRowHeight * rows.size() + 44);
  Svg svg(width, height, label);
  const Plot plot{kLabelWidth, 30, width - 16.0, height - 44.0};
  const internal::Range range = internal::NiceLinearRange(0, most);
  const Scale x = Scale::Linear(range.lo, range.hi, plot.left, plot.right);
  std::vector<Tick> ticks;
  for (double t : internal::NiceLinearTicks(range)) ticks.push_back({t, absl::StrCat(t)});
  svg.XAxis(plot, x, ticks, axis_title);
  for (size_t r = 0; r < rows.size(); ++r) {
    svg.Text(plot.left - 6, plot.top + kRowHeight * r + kRowHeight / 2 + 4, rows[r], "row", "end");
  }
  svg.BeginMarks();
  std::vector<std::vector<std::string>> table = {{""}};
  for (const std::string& s : segments) table[0].push_back(s);
  for (size_t r = 0; r < rows.size(); ++r) {
    double at = 0;
    std::vector<std::string> row = {rows[r]};
    for (size_t s = 0; s < segments.size(); ++s) {
      const int n = values[r][s];
      row.push_back(absl::StrCat(n));
      if (n == 0) continue;
      svg.Rect(x.Map(at), plot.top + kRowHeight * r + 3, x.Map(at + n) - x.Map(at),
               kRowHeight - 6, classes[s], absl::StrCat(rows[r], ": ", n, " ", segments[s]));
      at += n;
    }
    table.push_back(std::move(row));
  }
  std::string data;
  Table(table, 1, &data);
  Figure(svg.Finish(), caption, data, out);
}

void Header(const probe::Outputs& o, std::string* out) {
  const probe::ProbeReport& r = o.report;
  std::string verdict = "not probed", cls = "unknown";
  std::string policy;
  if (!o.policies.empty()) {
    policy = o.policies[0].name;
    cls = probe::VerdictName(o.policies[0].verdict);
    verdict = cls == "pass" ? "PASS" : cls == "fail" ? "FAIL" : "UNKNOWN";
  }
  if (!probe::Probed(r)) verdict = "NOT PROBED", cls = "fail";
  absl::StrAppend(out, "<header><h1>mailshake probe: ", Escape(r.target), "</h1>\n",
                  "<p><span class=\"verdict ", cls, "\">", verdict, "</span> under ",
                  Escape(policy), "</p>\n");
  std::vector<std::vector<std::string>> rows = {
      {"fact", "value"},
      {"target", r.target},
      {"started", absl::FormatTime(absl::RFC3339_sec, r.start, absl::UTCTimeZone())},
      {"wall time", absl::StrCat(absl::ToInt64Milliseconds(r.elapsed), " ms")},
      {"connections (SMTP and certificate checks)", absl::StrCat(r.connections)},
      {"TLS scan", r.scan_status},
      {"tool", absl::StrCat("mailshake ", o.tool_version)}};
  Table(rows, 99, out);
  out->append("<pre id=\"page-errors\" hidden></pre>\n</header>\n");
}

void PolicySection(const probe::Outputs& o, std::string* out) {
  out->append("<section id=\"policies\"><h2>Policies</h2>\n"
              "<p class=\"note\">Each policy's checks, the chosen policy first. Only "
              "\"insufficient\" fails an NCSC-NL check; a failing check names the TLS-RPT "
              "(RFC 8460) result type a sender would report.</p>\n");
  for (const probe::PolicyResult& p : o.policies) {
    absl::StrAppend(out, "<h3>", Escape(p.name), " (", Escape(p.version), "): <span class=\"verdict ",
                    probe::VerdictName(p.verdict), "\">", probe::VerdictName(p.verdict),
                    "</span></h3>\n");
    std::vector<std::vector<std::string>> rows = {
        {"check", "verdict", "level", "TLS-RPT", "what", "evidence"}};
    for (const probe::Check& c : p.checks) {
      rows.push_back({c.id, probe::VerdictName(c.verdict),
                      c.level.has_value() ? probe::LevelName(*c.level) : "",
                      c.rfc8460, c.title, absl::StrJoin(c.evidence, "; ")});
    }
    Table(rows, 99, out);
  }
  out->append("</section>\n");
}

void SuiteLevelSection(const probe::Outputs& o, std::string* out) {
  out->append("<section id=\"levels\"><h2>Accepted cipher suites by NCSC-NL level</h2>\n");
  const probe::ProbeReport& r = o.report;
  if (!r.scan.has_value() || r.scan->suites.empty()) {
    NoData(absl::StrCat("No cipher suites were scanned (", r.scan_status, ")."), out);
    out->append("</section>\n");
    return;
  }
  std::vector<std::string> rows, segments, classes;
  for (probe::Level l : kLevels) {
    segments.push_back(probe::LevelName(l));
    classes.push_back(LevelClass(l));
  }
  std::vector<std::vector<int>> values;
  std::vector<std::vector<std::string>> suites = {{"version", "suite", "level"}};
  for (const wire::SuiteFinding& f : r.scan->suites) {
    rows.push_back(wire::VersionName(f.version));
    std::vector<int> counts(kLevels.size(), 0);
    for (uint16_t id : f.accepted) {
      const probe::Level l = probe::NcscSuiteLevel(id);
      ++counts[static_cast<size_t>(l)];
      suites.push_back({wire::VersionName(f.version), wire::SuiteName(id), probe::LevelName(l)});
    }
    values.push_back(std::move(counts));
  }
  StackedBars("accepted suites by NCSC-NL level", rows, segments, classes, values,
              "accepted cipher suites",
              "Accepted suites per version, coloured by their NCSC-NL 2025-05 level "
              "(as internet.nl grades them).",
              out);
  Table(suites, 99, out);
  out->append("</section>\n");
}

void SeveritySection(const probe::Outputs& o, std::string* out) {
  out->append("<section id=\"severity\"><h2>Findings by severity</h2>\n");
  std::vector<std::string> rows;
  std::vector<std::vector<int>> values;
  for (probe::Severity s : kSeverities) {
    int n = 0;
    for (const probe::Finding& f : o.findings) n += f.severity == s ? 1 : 0;
    rows.push_back(probe::SeverityName(s));
    values.push_back({n});
  }
  // One bar per row, coloured by the row's severity.
  int most = 1;
  for (const std::vector<int>& v : values) most = std::max(most, v[0]);
  const int width = 720;
  const int height = static_cast<int>(30 + kRowHeight * rows.size() + 44);
  Svg svg(width, height, "findings by severity");
  const Plot plot{kLabelWidth, 30, width - 16.0, height - 44.0};
  const internal::Range range = internal::NiceLinearRange(0, most);
  const Scale x = Scale::Linear(range.lo, range.hi, plot.left, plot.right);
  std::vector<Tick> ticks;
  for (double t : internal::NiceLinearTicks(range)) ticks.push_back({t, absl::StrCat(t)});
  svg.XAxis(plot, x, ticks, "findings");
  std::vector<std::vector<std::string>> table = {{"severity", "findings"}};
  for (size_t r = 0; r < rows.size(); ++r) {
    svg.Text(plot.left - 6, plot.top + kRowHeight * r + kRowHeight / 2 + 4, rows[r], "row", "end");
    table.push_back({rows[r], absl::StrCat(values[r][0])});
  }
  svg.BeginMarks();
  for (size_t r = 0; r < rows.size(); ++r) {
    if (values[r][0] == 0) continue;
    svg.Rect(x.Map(0), plot.top + kRowHeight * r + 3, x.Map(values[r][0]) - x.Map(0),
             kRowHeight - 6, SeverityFill(kSeverities[r]),
             absl::StrCat(rows[r], ": ", values[r][0]));
  }
  std::string data;
  Table(table, 1, &data);
  Figure(svg.Finish(), "How many findings the probe made, by severity.", data, out);
  out->append("</section>\n");
}

void FindingsSection(const probe::Outputs& o, std::string* out) {
  out->append("<section id=\"findings\"><h2>Findings</h2>\n"
              "<p class=\"note\">Ids are stable (mailshake.probe/v1); the evidence is what was "
              "said on the wire.</p>\n<div class=\"data\"><table>\n"
              "<thead><tr><th>severity</th><th>id</th><th>finding</th><th>outcome</th>"
              "<th>evidence</th></tr></thead><tbody>\n");
  for (const probe::Finding& f : o.findings) {
    const char* sev = probe::SeverityName(f.severity);
    absl::StrAppend(out, "<tr><td class=\"sev-", sev, "\">", sev, "</td><td>", Escape(f.id),
                    "</td><td>", Escape(f.title), "</td><td>", Escape(f.outcome), "</td><td>");
    if (!f.evidence.empty()) {
      absl::StrAppend(out, "<details><summary>", f.evidence.size(), " line",
                      f.evidence.size() == 1 ? "" : "s", "</summary><pre>",
                      Escape(absl::StrJoin(f.evidence, "\n")), "</pre></details>");
    }
    out->append("</td></tr>\n");
  }
  out->append("</tbody></table></div></section>\n");
}

}  // namespace

std::string RenderProbePage(const probe::Outputs& outputs) {
  std::string body;
  Header(outputs, &body);
  body.append(
      "<nav><a href=\"#policies\">policies</a><a href=\"#levels\">suites by level</a>"
      "<a href=\"#severity\">findings by severity</a><a href=\"#findings\">findings</a></nav>\n");
  PolicySection(outputs, &body);
  SuiteLevelSection(outputs, &body);
  SeveritySection(outputs, &body);
  FindingsSection(outputs, &body);
  body.append(
      "<footer><p class=\"note\">Written by mailshake probe. The page is self-contained: its "
      "charts are SVG written by mailshake, its style and script are inline, and its policy "
      "forbids every network request.</p></footer>\n");
  return internal::Page(absl::StrCat("mailshake probe: ", outputs.report.target), body);
}

}  // namespace html
}  // namespace mailshake
