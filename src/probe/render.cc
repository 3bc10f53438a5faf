#include "src/probe/render.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace mailshake::probe {
namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// Clean escapes what a terminal must not interpret.
std::string Clean(absl::string_view text) {
  std::string out;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", u);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

const char* SeverityColor(Severity s) {
  switch (s) {
    case Severity::kOk:
      return "\x1b[32m";
    case Severity::kWarning:
      return "\x1b[33m";
    case Severity::kProblem:
      return "\x1b[31m";
    case Severity::kUnknown:
      return "\x1b[35m";
    case Severity::kInfo:
      return "";
  }
  return "";
}

const char* VerdictColor(Verdict v) {
  return v == Verdict::kPass ? "\x1b[1;32m" : v == Verdict::kFail ? "\x1b[1;31m" : "\x1b[1;35m";
}

std::string Paint(bool color, const char* code, absl::string_view text) {
  if (!color || code[0] == '\0') return std::string(text);
  return absl::StrCat(code, text, "\x1b[0m");
}

nlohmann::json CheckJson(const Check& c) {
  return {{"id", c.id},
          {"title", c.title},
          {"verdict", VerdictName(c.verdict)},
          {"level", c.level.has_value() ? nlohmann::json(LevelName(*c.level)) : nlohmann::json(nullptr)},
          {"rfc8460", c.rfc8460.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.rfc8460)},
          {"evidence", c.evidence}};
}

}  // namespace

nlohmann::json ToJson(const Outputs& o) {
  const ProbeReport& r = o.report;
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : o.findings) {
    findings.push_back({{"id", f.id},
                        {"severity", SeverityName(f.severity)},
                        {"title", f.title},
                        {"value", f.value},
                        {"evidence", f.evidence},
                        {"outcome", f.outcome.empty() ? nlohmann::json(nullptr)
                                                      : nlohmann::json(f.outcome)}});
  }
  nlohmann::json policies = nlohmann::json::array();
  for (const PolicyResult& p : o.policies) {
    nlohmann::json checks = nlohmann::json::array();
    for (const Check& c : p.checks) checks.push_back(CheckJson(c));
    policies.push_back({{"name", p.name},
                        {"version", p.version},
                        {"verdict", VerdictName(p.verdict)},
                        {"checks", checks}});
  }
  return {{"schema", kSchema},
          {"tool", {{"name", "mailshake"}, {"version", o.tool_version}}},
          {"target",
           {{"url", r.target}, {"host", r.host}, {"implicit_tls", r.implicit_tls}}},
          {"start", Rfc3339(r.start)},
          {"elapsed_ms", absl::ToDoubleMilliseconds(r.elapsed)},
          {"probed", Probed(r)},
          {"connections", r.connections},
          {"scan_status", r.scan_status},
          {"verdict", o.policies.empty() ? nlohmann::json(nullptr)
                                         : nlohmann::json({{"policy", o.policies[0].name},
                                                           {"result", VerdictName(o.policies[0].verdict)}})},
          {"findings", findings},
          {"policies", policies}};
}

std::string FormatText(const Outputs& o, bool color) {
  const ProbeReport& r = o.report;
  std::string out;
  if (!Probed(r)) {
    absl::StrAppend(&out, Paint(color, "\x1b[1;35m", "NOT PROBED"), "  ", Clean(r.target), ": ",
                    Clean(r.smtp.outcome), r.smtp.outcome_detail.empty() ? "" : " (",
                    Clean(r.smtp.outcome_detail), r.smtp.outcome_detail.empty() ? "" : ")", "\n");
  } else if (!o.policies.empty()) {
    const PolicyResult& p = o.policies[0];
    absl::StrAppend(&out,
                    Paint(color, VerdictColor(p.verdict), absl::AsciiStrToUpper(VerdictName(p.verdict))),
                    "  ", Clean(r.target), " under ", p.name, "\n");
    for (const Check& c : p.checks) {
      if (c.verdict == Verdict::kPass) continue;
      absl::StrAppend(&out, "  ", Paint(color, VerdictColor(c.verdict), VerdictName(c.verdict)),
                      " ", c.id, ": ", Clean(c.title),
                      c.rfc8460.empty() ? "" : absl::StrCat(" [", c.rfc8460, "]"), "\n");
    }
  }
  absl::StrAppendFormat(&out, "probed in %.0f ms over %d connections", absl::ToDoubleMilliseconds(r.elapsed),
                        r.connections);
  if (r.scan.has_value()) absl::StrAppend(&out, " + ", r.scan->exchanges.size(), " ClientHellos");
  absl::StrAppend(&out, "\n");
  const struct {
    const char* prefix;
    const char* title;
  } sections[] = {{"smtp.", "SMTP"}, {"tls.", "TLS"}, {"cert.", "Certificate"}};
  for (const auto& section : sections) {
    std::string body;
    for (const Finding& f : o.findings) {
      if (!absl::StartsWith(f.id, section.prefix)) continue;
      absl::StrAppend(&body, "  ", Paint(color, SeverityColor(f.severity),
                                         absl::StrFormat("%-7s", SeverityName(f.severity))),
                      " ", Clean(f.title), "\n");
      if (f.severity == Severity::kProblem || f.severity == Severity::kUnknown) {
        size_t shown = 0;
        for (const std::string& e : f.evidence) {
          if (e.empty()) continue;
          if (++shown > 6) break;
          absl::StrAppend(&body, "          ", Clean(e), "\n");
        }
      }
    }
    if (!body.empty()) absl::StrAppend(&out, "\n", Paint(color, "\x1b[1m", section.title), "\n", body);
  }
  if (!o.policies.empty()) {
    absl::StrAppend(&out, "\n", Paint(color, "\x1b[1m", "Policies"), "\n");
    for (const PolicyResult& p : o.policies) {
      absl::StrAppend(&out, "  ", Paint(color, VerdictColor(p.verdict), absl::StrFormat("%-7s", VerdictName(p.verdict))),
                      " ", p.name, "\n");
    }
  }
  return out;
}

}  // namespace mailshake::probe
