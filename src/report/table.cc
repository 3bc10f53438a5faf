// The terminal summary.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/report/report.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace report {

// FormatSignificant (report.h) formats |v| with three significant digits in fixed notation
// ("0.0512", "1.23", "45.6", "789"); values of 1000 and more keep all their
// integer digits ("12346"), since an exponent is hard to read in a table.
std::string FormatSignificant(double v) {
  if (!std::isfinite(v)) return "-";
  if (v == 0) return "0";
  const double magnitude = std::abs(v);
  int exponent = static_cast<int>(std::floor(std::log10(magnitude)));
  // Rounding may carry into the next decade (0.09996 -> 0.100).
  const double scale = std::pow(10.0, 2 - exponent);
  if (std::round(magnitude * scale) >= 1000) ++exponent;
  const int decimals = std::max(0, 2 - exponent);
  return absl::StrFormat("%.*f", decimals, v);
}

namespace {

std::string Milliseconds(int64_t ns) {
  return FormatSignificant(static_cast<double>(ns) / 1e6);
}

std::string Percent(int64_t part, int64_t whole) {
  if (whole <= 0) return "-";
  return absl::StrFormat(
      "%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string OrDash(std::optional<double> v) {
  return v.has_value() ? FormatSignificant(*v) : "-";
}

// "5 recv, 4 send, ...": each call of |calls| that was made, per one of
// |per| (attempts or connections, more than 0).
std::string CallsPer(const Syscalls& calls, int64_t per) {
  std::string out;
  for (const auto& [name, count] : calls.calls) {
    if (count == 0) continue;
    absl::StrAppend(&out, out.empty() ? "" : ", ",
                    FormatSignificant(static_cast<double>(count) / static_cast<double>(per)),
                    " ", name);
  }
  return out;
}

// TextTable lays out rows of cells in aligned columns: the first
// |text_columns| left-aligned, the others right-aligned (they hold numbers).
class TextTable {
 public:
  explicit TextTable(size_t text_columns) : text_columns_(text_columns) {}

  void AddRow(std::vector<std::string> cells) {
    rows_.push_back(std::move(cells));
  }

  void AppendTo(absl::string_view indent, std::string* out) const {
    std::vector<size_t> widths;
    for (const auto& row : rows_) {
      if (widths.size() < row.size()) widths.resize(row.size(), 0);
      for (size_t c = 0; c < row.size(); ++c) {
        widths[c] = std::max(widths[c], row[c].size());
      }
    }
    for (const auto& row : rows_) {
      std::string line(indent);
      for (size_t c = 0; c < row.size(); ++c) {
        if (c > 0) line.append("  ");
        const std::string padding(widths[c] - row[c].size(), ' ');
        if (c < text_columns_) {
          absl::StrAppend(&line, row[c], padding);
        } else {
          absl::StrAppend(&line, padding, row[c]);
        }
      }
      line.erase(line.find_last_not_of(' ') + 1);
      absl::StrAppend(out, line, "\n");
    }
  }

 private:
  size_t text_columns_;
  std::vector<std::vector<std::string>> rows_;
};

void AppendHeader(const Result& result, std::string* out) {
  const Environment& env = result.environment;
  absl::StrAppend(out, "mailshake ", env.tool_version);
  if (!env.git_revision.empty()) {
    absl::StrAppend(out, " (", env.git_revision, ")");
  }
  absl::StrAppend(out, ", BoringSSL API ", env.boringssl_api_version, "\n");
  absl::StrAppend(out, "host ", env.hostname.empty() ? "?" : env.hostname, ": ",
                  env.cpu_model.empty() ? "unknown CPU" : env.cpu_model, ", ",
                  env.cores, " cores, Linux ", env.kernel, "\n");
  absl::StrAppend(
      out, "target ", result.target, ", started ",
      absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", env.start, absl::UTCTimeZone()),
      "\n");
}

// Linux delays an ACK by at least 40 ms (TCP_DELACK_MIN), so a server whose
// second small segment waits for the ACK of its first (Nagle) shows a phase
// whose median sits just above 40 ms, whatever the server's real work costs.
constexpr int64_t kDelayedAckLowNs = 38'000'000;
constexpr int64_t kDelayedAckHighNs = 48'000'000;

// Names each phase (other than the total) whose middle half (p25 to p75)
// lies in the delayed-ACK band, with what it likely means and how to check.
// A loaded machine spreads a phase widely; this stall holds it at one value.
void AppendDelayedAckNotes(const Scenario& s, std::string* out) {
  for (const PhaseLatency& phase : s.phases) {
    if (phase.name == "total" || phase.latency.Count() == 0) continue;
    const int64_t p50 = phase.latency.ValueAtPercentile(50);
    if (phase.latency.ValueAtPercentile(25) < kDelayedAckLowNs ||
        phase.latency.ValueAtPercentile(75) > kDelayedAckHighNs) {
      continue;
    }
    absl::StrAppend(out, "  note: phase ", phase.name, " sits at ~", Milliseconds(p50),
                    " ms, the signature of a delayed ACK (the server's small second segment "
                    "waits for the client's ACK: Nagle meets delayed ACK), not of the "
                    "server's work; --quickack separates the two\n");
  }
}

void AppendScenario(const Scenario& s, std::string* out) {
  absl::StrAppend(out, "\n", s.name, " (trial ", s.trial, ")",
                  s.interrupted ? " [interrupted]" : "", "\n");
  if (!s.parameters.empty()) {
    absl::StrAppend(out, "  ",
                    absl::StrJoin(s.parameters, "  ", absl::PairFormatter("=")),
                    "\n");
  }

  TextTable summary(2);
  summary.AddRow(
      {"attempted", absl::StrFormat("%d = succeeded %d + failed %d",
                                    s.attempted, s.succeeded, s.failed)});
  if (s.warmup_attempts > 0) {
    summary.AddRow(
        {"warm-up",
         absl::StrFormat("%d attempt%s, not counted", s.warmup_attempts,
                         s.warmup_attempts == 1 ? "" : "s")});
  }
  summary.AddRow(
      {"rate", absl::StrCat(OrDash(HandshakeRate(s)), " handshakes/s over ",
                            FormatSignificant(s.measured_seconds), " s")});
  summary.AddRow(
      {"client CPU",
       absl::StrCat(OrDash(HandshakesPerClientCpuSecond(s)),
                    " handshakes per CPU-second (",
                    FormatSignificant(s.client_cpu_seconds), " CPU-seconds",
                    s.client_cpu_user_seconds + s.client_cpu_system_seconds > 0
                        ? absl::StrCat(": ", FormatSignificant(s.client_cpu_user_seconds), " user, ",
                                       FormatSignificant(s.client_cpu_system_seconds), " system")
                        : "",
                    ")")});
  if (s.succeeded > 0 && s.client_cpu_seconds > 0) {
    summary.AddRow({"client cost",
                    absl::StrCat(FormatSignificant(s.client_cpu_seconds * 1e6 /
                                             static_cast<double>(s.succeeded)),
                                 " us CPU per handshake at ", OrDash(HandshakeRate(s)),
                                 " handshakes/s")});
  }
  if (std::optional<double> per = SyscallsPerAttempt(s); per.has_value()) {
    summary.AddRow({"syscalls", absl::StrCat(FormatSignificant(*per), " per attempt (",
                                             CallsPer(*s.syscalls, s.attempted), ") + ",
                                             OrDash(EpollWaitsPerAttempt(s)), " epoll_wait")});
  }
  if (s.peak_rss_bytes > 0) {
    summary.AddRow({"peak RSS", absl::StrCat(FormatSignificant(s.peak_rss_bytes / 1048576.0), " MiB")});
  }
  if (s.target_rate > 0) {
    summary.AddRow(
        {"open loop",
         absl::StrCat("target ", FormatSignificant(s.target_rate),
                      " attempts/s, achieved ", OrDash(AttemptRate(s)), "/s")});
    const stats::LatencyHistogram& lag = s.schedule_lag;
    summary.AddRow(
        {"schedule lag",
         absl::StrCat("p50 ", Milliseconds(lag.ValueAtPercentile(50)),
                      " ms  p99 ", Milliseconds(lag.ValueAtPercentile(99)),
                      " ms  max ", Milliseconds(lag.Max()), " ms")});
  }
  if (s.server.has_value()) {
    const ServerSide& server = *s.server;
    std::string line = absl::StrFormat(
        "%d handshakes (%d resumed), %s CPU-seconds", server.handshakes,
        server.resumed, FormatSignificant(server.cpu_seconds));
    if (server.handshakes > 0) {
      absl::StrAppend(&line, ", ",
                      FormatSignificant(server.cpu_seconds * 1e6 /
                                  static_cast<double>(server.handshakes)),
                      " us CPU per handshake");
      if (server.cpu_user_seconds > 0) {
        absl::StrAppend(&line, " (",
                        FormatSignificant(server.cpu_user_seconds * 1e6 /
                                    static_cast<double>(server.handshakes)),
                        " us user)");
      }
      if (std::optional<double> rate = ServerHandshakeRate(server); rate.has_value()) {
        absl::StrAppend(&line, " at ", FormatSignificant(*rate), " handshakes/s");
      }
    }
    summary.AddRow({"server", std::move(line)});
    if (server.syscalls.has_value()) {
      if (std::optional<double> per = ServerSyscallsPerConnection(*server.syscalls);
          per.has_value()) {
        summary.AddRow(
            {"server syscalls",
             absl::StrCat(FormatSignificant(*per), " per connection (",
                          CallsPer(server.syscalls->counted, server.syscalls->connections),
                          ") + ", OrDash(ServerEpollWaitsPerConnection(*server.syscalls)),
                          " epoll_wait")});
      }
    }
  }
  summary.AppendTo("  ", out);

  if (!s.phases.empty()) {
    out->append("\n");
    TextTable phases(1);
    phases.AddRow(
        {"phase", "count", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"});
    for (const PhaseLatency& phase : s.phases) {
      const stats::LatencyHistogram& h = phase.latency;
      if (h.Count() == 0) {
        phases.AddRow({phase.name, "0", "-", "-", "-", "-", "-"});
        continue;
      }
      phases.AddRow({phase.name, absl::StrCat(h.Count()),
                     Milliseconds(h.ValueAtPercentile(50)),
                     Milliseconds(h.ValueAtPercentile(90)),
                     Milliseconds(h.ValueAtPercentile(99)),
                     Milliseconds(h.ValueAtPercentile(99.9)),
                     Milliseconds(h.Max())});
    }
    phases.AppendTo("  ", out);
    AppendDelayedAckNotes(s, out);
  }

  if (s.failed > 0) {
    out->append("\n");
    TextTable failures(1);
    failures.AddRow({"failure", "count", "of attempts"});
    for (const auto& [category, count] : s.outcomes.SortedByCount()) {
      if (category == kSuccessOutcome) continue;
      failures.AddRow(
          {category, absl::StrCat(count), Percent(count, s.attempted)});
    }
    failures.AppendTo("  ", out);
  }

  bool any_negotiated = false;
  for (const auto& entry : s.negotiated) {
    any_negotiated = any_negotiated || entry.second.size() > 0;
  }
  if (any_negotiated) {
    out->append("\n");
    TextTable negotiated(2);
    negotiated.AddRow({"negotiated", "value", "count", "of successes"});
    for (const auto& [category, counters] : s.negotiated) {
      bool first = true;
      for (const auto& [value, count] : counters.SortedByCount()) {
        negotiated.AddRow({first ? category : "", value, absl::StrCat(count),
                           Percent(count, s.succeeded)});
        first = false;
      }
    }
    negotiated.AppendTo("  ", out);
  }
}

}  // namespace

std::string FormatTable(const Result& result) {
  std::string out;
  AppendHeader(result, &out);
  for (const Scenario& s : result.scenarios) AppendScenario(s, &out);
  return out;
}

}  // namespace report
}  // namespace mailshake
