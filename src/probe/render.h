// The probe's outputs: the mailshake.probe/v1 JSON document (SCHEMA.md) and
// the terminal report (verdict first, then sections).

#ifndef MAILSHAKE_SRC_PROBE_RENDER_H_
#define MAILSHAKE_SRC_PROBE_RENDER_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/probe/policy.h"
#include "src/probe/probe.h"

namespace mailshake::probe {

// kSchema names the JSON document's format and major version.
inline constexpr char kSchema[] = "mailshake.probe/v1";

// Outputs holds everything one probe produced: the facts, the findings, and
// every policy's result, the chosen one first.
struct Outputs {
  ProbeReport report;
  std::vector<Finding> findings;
  std::vector<PolicyResult> policies;
  std::string tool_version;
};

// ToJson returns the mailshake.probe/v1 document for |outputs|.
nlohmann::json ToJson(const Outputs& outputs);

// FormatText returns the terminal report: the chosen policy's verdict first,
// then SMTP, TLS, certificate and policy sections, one finding per line.
// With |color|, severities and verdicts are coloured with ANSI escapes.
// Text from the server is escaped (no control characters reach the terminal).
std::string FormatText(const Outputs& outputs, bool color);

}  // namespace mailshake::probe

#endif  // MAILSHAKE_SRC_PROBE_RENDER_H_
