#include "src/io/file_io.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include <cstring>

namespace mailshake::io {
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
      if (errno == EPIPE) {
        return absl::FailedPreconditionError(
            absl::StrCat("write ", path, ": the reader closed the pipe"));
      }
      return SysError(errno, "write", path);
    }
    contents.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents,
                                 int mode) {
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
  absl::Status status = absl::OkStatus();
  if (mode != -1 && fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    status = SysError(errno, "chmod", temp);
  }
  if (status.ok()) status = WriteAll(fd, contents, temp);
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

namespace {

constexpr int kMaxLinks = 40;
constexpr int kFifoWaitMs = 10000;

// The descriptor a path names directly ("-", /dev/stdout, /dev/fd/N,
// /proc/self/fd/N), or -1. Writing there goes to the open descriptor
// itself, wherever it points, never to a new file.
int StandardDescriptor(absl::string_view path) {
  if (path == "-" || path == "/dev/stdout") return 1;
  if (path == "/dev/stderr") return 2;
  for (absl::string_view prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    if (absl::StartsWith(path, prefix)) {
      int fd = 0;
      if (absl::SimpleAtoi(path.substr(prefix.size()), &fd) && fd >= 0 &&
          fcntl(fd, F_GETFD) != -1) {
        return fd;
      }
    }
  }
  return -1;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Follows symbolic links from |path| until a path that is not a link (or
// does not exist yet): the file an atomic replace must replace.
absl::StatusOr<std::string> ResolveLinks(const std::string& path) {
  std::string p = path;
  for (int i = 0; i < kMaxLinks; ++i) {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) {
      if (errno == ENOENT) return p;
      return SysError(errno, "stat", p);
    }
    if (!S_ISLNK(st.st_mode)) return p;
    char buf[PATH_MAX];
    ssize_t n = readlink(p.c_str(), buf, sizeof(buf));
    if (n < 0) return SysError(errno, "readlink", p);
    std::string target(buf, static_cast<size_t>(n));
    if (target.empty() || target[0] != '/') target = absl::StrCat(DirName(p), "/", target);
    p = std::move(target);
  }
  return SysError(ELOOP, "resolve", path);
}

// Opens a FIFO for writing, waiting up to kFifoWaitMs for a reader.
absl::StatusOr<int> OpenFifo(const std::string& path) {
  for (int waited = 0;; waited += 10) {
    int fd = open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      return fd;
    }
    if (errno != ENXIO) return SysError(errno, "open", path);
    if (waited >= kFifoWaitMs) {
      return absl::UnavailableError(
          absl::StrCat(path, " is a FIFO with no reader (waited ", kFifoWaitMs / 1000, " s)"));
    }
    poll(nullptr, 0, 10);
  }
}

absl::Status WriteDirect(const std::string& path, bool fifo, absl::string_view contents) {
  int fd = -1;
  if (fifo) {
    absl::StatusOr<int> f = OpenFifo(path);
    if (!f.ok()) return f.status();
    fd = *f;
  } else {
    fd = open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return SysError(errno, "open", path);
  }
  FdCloser closer(fd);
  absl::Status status = WriteAll(fd, contents, path);
  if (const int error = closer.Release(); status.ok() && error != 0) {
    status = SysError(error, "close", path);
  }
  return status;
}

absl::Status NotWritableKind(const std::string& path, const struct stat& st) {
  if (S_ISDIR(st.st_mode)) return absl::InvalidArgumentError(absl::StrCat(path, " is a directory"));
  return absl::InvalidArgumentError(absl::StrCat(
      path, " is not a regular file, character device or FIFO"));
}

}  // namespace

bool IsStandardOutput(absl::string_view path) { return StandardDescriptor(path) == 1; }

absl::Status WriteOutput(const std::string& path, absl::string_view contents) {
  if (path.empty()) return absl::InvalidArgumentError("empty output path");
  int standard = StandardDescriptor(path);
  if (standard >= 0) {
    return WriteAll(standard, contents,
                    standard == 1 ? "standard output"
                    : standard == 2 ? "standard error"
                                    : absl::StrCat("descriptor ", standard));
  }
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
      return WriteDirect(path, S_ISFIFO(st.st_mode), contents);
    }
    if (!S_ISREG(st.st_mode)) return NotWritableKind(path, st);
  } else if (errno != ENOENT) {
    return SysError(errno, "stat", path);
  }
  absl::StatusOr<std::string> target = ResolveLinks(path);
  if (!target.ok()) return target.status();
  struct stat existing;
  bool exists = stat(target->c_str(), &existing) == 0;
  absl::Status s = WriteFileAtomically(
      *target, contents, exists ? static_cast<int>(existing.st_mode & 07777) : -1);
  if (s.ok() && exists) {
    // Keep the owner too where allowed (root replacing someone's file).
    if (chown(target->c_str(), existing.st_uid, existing.st_gid) != 0) {
      // Not allowed: the file now belongs to us, as any rewrite would.
    }
  }
  return s;
}

absl::Status CheckOutputPaths(const std::vector<std::pair<std::string, std::string>>& outputs) {
  std::vector<std::pair<std::string, std::string>> seen;  // identity, flag
  for (const auto& [flag, path] : outputs) {
    if (path.empty()) continue;
    std::string identity;
    int standard = StandardDescriptor(path);
    struct stat st;
    if (standard >= 0) {
      if (fstat(standard, &st) == 0) {
        identity = absl::StrCat("inode ", st.st_dev, ":", st.st_ino);
      } else {
        identity = absl::StrCat("fd ", standard);
      }
      if (standard <= 2) identity = absl::StrCat("fd ", standard);
    } else if (stat(path.c_str(), &st) == 0) {
      if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        absl::Status s = NotWritableKind(path, st);
        return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", s.message()));
      }
      identity = absl::StrCat("inode ", st.st_dev, ":", st.st_ino);
      if (S_ISREG(st.st_mode)) {
        absl::StatusOr<std::string> target = ResolveLinks(path);
        if (target.ok() && access(DirName(*target).c_str(), W_OK) != 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--", flag, ": cannot replace ", path, ": its directory is not writable (",
              strerror(errno), ")"));
        }
      }
    } else if (errno == ENOENT) {
      absl::StatusOr<std::string> target = ResolveLinks(path);
      if (!target.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", target.status().message()));
      }
      std::string dir = DirName(*target);
      struct stat dst;
      if (stat(dir.c_str(), &dst) != 0 || !S_ISDIR(dst.st_mode)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", flag, ": cannot create ", path, ": no directory ", dir));
      }
      if (access(dir.c_str(), W_OK) != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", flag, ": cannot create ", path, ": ", dir, " is not writable"));
      }
      std::string base = target->substr(target->rfind('/') == std::string::npos
                                            ? 0
                                            : target->rfind('/') + 1);
      identity = absl::StrCat("new ", dst.st_dev, ":", dst.st_ino, "/", base);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": ", path, ": ", strerror(errno)));
    }
    for (const auto& [other_identity, other_flag] : seen) {
      if (other_identity == identity) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", other_flag, " and --", flag, " name the same output (", path,
            "); each output needs its own file"));
      }
    }
    seen.emplace_back(identity, flag);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFileBounded(const std::string& path,
                                            size_t max_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return SysError(errno, "open", path);
  FdCloser closer(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return SysError(errno, "stat", path);
  if (S_ISDIR(st.st_mode)) return absl::InvalidArgumentError(absl::StrCat(path, " is a directory"));
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

}  // namespace mailshake::io
