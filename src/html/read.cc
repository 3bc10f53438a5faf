// ReadRun and WriteReport: the page's input and output files.

#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "src/html/html.h"
#include "src/io/file_io.h"
#include "src/report/report.h"

namespace mailshake {
namespace html {

absl::StatusOr<Run> ReadRun(std::string label, const std::string& path) {
  absl::StatusOr<report::Result> result = report::ReadJsonFile(path);
  if (!result.ok()) return result.status();
  if (result->scenarios.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the result holds no scenario (nothing was measured)"));
  }
  return Run{std::move(label), *std::move(result)};
}

absl::Status WriteReport(const std::string& path, absl::string_view page) {
  if (path == "-") {
    if (std::fwrite(page.data(), 1, page.size(), stdout) != page.size() || std::fflush(stdout) != 0) {
      return absl::InternalError("cannot write the page to standard output");
    }
    return absl::OkStatus();
  }
  return io::WriteOutput(path, page);
}

}  // namespace html
}  // namespace mailshake
