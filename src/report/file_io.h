// Private to //src/report: whole-file reads with a size bound and atomic
// whole-file writes.

#ifndef MAILSHAKE_SRC_REPORT_FILE_IO_H_
#define MAILSHAKE_SRC_REPORT_FILE_IO_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mailshake {
namespace report {
namespace internal {

// WriteFileAtomically writes |contents| to a new temporary file next to
// |path| (created with mode 0666 less the umask), flushes it to disk and
// renames it over |path|, so that readers see either the old file or the
// complete new one. On error the temporary file is removed and |path| is
// untouched; the message names the path and the failing system call.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents);

// ReadFileBounded returns the contents of the regular file at |path|, or
// NotFound / PermissionDenied / InvalidArgument (not a regular file) /
// ResourceExhausted (larger than |max_bytes|) / Internal naming the path.
absl::StatusOr<std::string> ReadFileBounded(const std::string& path,
                                            size_t max_bytes);

}  // namespace internal
}  // namespace report
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_REPORT_FILE_IO_H_
