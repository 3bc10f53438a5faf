#include "src/report/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mailshake {
namespace report {
namespace internal {
namespace {

// SysError returns the status for errno |error| of |call| on |path|.
absl::Status SysError(int error, absl::string_view call,
                      const std::string& path) {
  return absl::ErrnoToStatus(error, absl::StrCat(call, " ", path));
}

// FdCloser closes a file descriptor when it goes out of scope.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  // Release closes the descriptor now and returns close(2)'s errno, or 0.
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return close(fd) == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

absl::Status WriteAll(int fd, absl::string_view contents,
                      const std::string& path) {
  while (!contents.empty()) {
    const ssize_t n = write(fd, contents.data(), contents.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return SysError(errno, "write", path);
    }
    contents.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents) {
  // O_EXCL on a name unique to this process and call: never follows or
  // clobbers a file someone else created.
  static std::atomic<int> counter{0};
  std::string temp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    temp = absl::StrFormat("%s.tmp.%d.%d", path, getpid(), counter++);
    fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) return SysError(errno, "create", temp);
  }
  if (fd < 0) return SysError(EEXIST, "create", temp);

  FdCloser closer(fd);
  absl::Status status = WriteAll(fd, contents, temp);
  if (status.ok() && fsync(fd) != 0) status = SysError(errno, "fsync", temp);
  if (const int error = closer.Release(); status.ok() && error != 0) {
    status = SysError(error, "close", temp);
  }
  if (status.ok() && rename(temp.c_str(), path.c_str()) != 0) {
    status = SysError(errno, absl::StrCat("rename ", temp, " to"), path);
  }
  if (!status.ok()) unlink(temp.c_str());
  return status;
}

absl::StatusOr<std::string> ReadFileBounded(const std::string& path,
                                            size_t max_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return SysError(errno, "open", path);
  FdCloser closer(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return SysError(errno, "stat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "%s is %d bytes; the limit is %d", path, st.st_size, max_bytes));
  }
  std::string contents;
  contents.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  // The file may change size while it is read; never go past the bound.
  while (true) {
    if (done == contents.size()) {
      if (contents.size() >= max_bytes) break;
      contents.resize(std::min(max_bytes, contents.size() + 4096));
    }
    const ssize_t n = read(fd, &contents[done], contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return SysError(errno, "read", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  if (done == max_bytes) {
    char extra;
    ssize_t n;
    do {
      n = read(fd, &extra, 1);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "%s grew beyond the limit of %d bytes while being read", path,
          max_bytes));
    }
  }
  contents.resize(done);
  return contents;
}

}  // namespace internal
}  // namespace report
}  // namespace mailshake
