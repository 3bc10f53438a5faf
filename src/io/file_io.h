#ifndef MAILSHAKE_SRC_IO_FILE_IO_H_
#define MAILSHAKE_SRC_IO_FILE_IO_H_

// One writer for every output file mailshake produces, and bounded reads.
//
// Every subcommand that writes a result, a summary or a series passes the
// paths it was given to |CheckOutputPaths| before it starts work (a usage
// error, exit 2, when it fails) and writes each output with |WriteOutput|:
//
//   if (absl::Status s = io::CheckOutputPaths({{"json", json}, {"csv", csv}}); !s.ok())
//     return UsageError(...);
//   ...
//   if (absl::Status s = io::WriteOutput(json, text); !s.ok()) ...  // exit 1
//
// The process should ignore SIGPIPE (main does), so that a closed pipe is an
// EPIPE error from |WriteOutput| rather than the end of the process.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mailshake::io {

// WriteOutput writes |contents| to the output named |path|, by what |path|
// is once symbolic links are followed:
//  - "-": standard output, written directly;
//  - a character device (/dev/null, /dev/stdout's terminal) or a FIFO:
//    opened without truncation or creation and written directly (a FIFO
//    waits up to 10 s for a reader);
//  - a regular file, or nothing yet: written to a new temporary file in the
//    target's directory, flushed to disk and renamed over the target, so
//    readers see the old file or the complete new one. An existing file's
//    permission bits (and owner, where allowed) are kept; a symbolic link
//    stays a link and its target is replaced;
//  - anything else (a directory, a socket, a block device): InvalidArgument,
//    nothing written.
// Errors name the path and the failing call; a closed pipe says so.
absl::Status WriteOutput(const std::string& path, absl::string_view contents);

// IsStandardOutput says whether |path| names standard output ("-",
// /dev/stdout, /dev/fd/1, /proc/self/fd/1): a command writing a
// machine-readable output there sends everything human to standard error.
bool IsStandardOutput(absl::string_view path);

// CheckOutputPaths checks, before any work, the outputs a command was given
// as (flag name, path) pairs; empty paths are skipped. It returns
// InvalidArgument naming the flags when two of them name the same file or
// both name standard output, when a path is a directory or another kind
// WriteOutput refuses, or when a new file's directory does not exist or is
// not writable.
absl::Status CheckOutputPaths(const std::vector<std::pair<std::string, std::string>>& outputs);

// WriteFileAtomically writes |contents| to a new temporary file next to
// |path| (mode 0666 less the umask, or |mode| when it is not -1), flushes it
// and renames it over |path|. On error the temporary file is removed and
// |path| is untouched; the message names the path and the failing call.
// Prefer WriteOutput, which decides when an atomic replace is right.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 int mode = -1);

// ReadFileBounded returns the contents of the regular file at |path|, or
// NotFound / PermissionDenied / InvalidArgument (not a regular file, "is a
// directory" for one) / ResourceExhausted (larger than |max_bytes|) /
// Internal naming the path.
absl::StatusOr<std::string> ReadFileBounded(const std::string& path, size_t max_bytes);

}  // namespace mailshake::io

#endif  // MAILSHAKE_SRC_IO_FILE_IO_H_
