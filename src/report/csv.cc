// The per-second CSV writer.

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "src/io/file_io.h"
#include "src/report/report.h"
#include "src/stats/stats.h"

namespace mailshake {
namespace report {
namespace {

// AppendField appends |field|, quoted as RFC 4180 requires when it holds a
// comma, a quote or a line break.
void AppendField(absl::string_view field, std::string* out) {
  if (field.find_first_of(",\"\r\n") == absl::string_view::npos) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// Microseconds formats |ns| as microseconds with three decimals, exactly.
std::string Microseconds(int64_t ns) {
  return absl::StrFormat("%d.%03d", ns / 1000, ns % 1000);
}

}  // namespace

std::string FormatCsv(const Result& result) {
  std::string out = absl::StrCat(kCsvHeader, "\r\n");
  for (const Scenario& s : result.scenarios) {
    for (const auto& [second, stats] : s.series.seconds()) {
      AppendField(s.name, &out);
      absl::StrAppend(&out, ",", s.trial, ",", second, ",", stats.successes,
                      ",", stats.failures);
      const stats::LatencyHistogram& h = stats.latency;
      if (h.Count() > 0) {
        absl::StrAppend(&out, ",", Microseconds(h.ValueAtPercentile(50)), ",",
                        Microseconds(h.ValueAtPercentile(90)), ",",
                        Microseconds(h.ValueAtPercentile(99)), ",",
                        Microseconds(h.Max()));
      } else {
        out.append(",,,,");
      }
      out.append("\r\n");
    }
  }
  return out;
}

absl::Status WriteCsvFile(const Result& result, const std::string& path) {
  return io::WriteOutput(path, FormatCsv(result));
}

}  // namespace report
}  // namespace mailshake
