#include "src/wire/scan.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mailshake::wire {

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kServerHello: return "server_hello";
    case Outcome::kHelloRetryRequest: return "hello_retry_request";
    case Outcome::kAlert: return "alert";
    case Outcome::kClosed: return "closed";
    case Outcome::kReset: return "reset";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kConnectFailed: return "connect_failed";
    case Outcome::kSslv2: return "sslv2";
    case Outcome::kNotTls: return "not_tls";
    case Outcome::kMalformed: return "malformed";
    case Outcome::kOversized: return "oversized";
    case Outcome::kWriteFailed: return "write_failed";
  }
  return "unknown";
}

const char* TriName(Tri tri) {
  switch (tri) {
    case Tri::kYes: return "yes";
    case Tri::kNo: return "no";
    case Tri::kUnknown: return "unknown";
  }
  return "unknown";
}

const char* PreferenceName(Preference preference) {
  switch (preference) {
    case Preference::kServer: return "server";
    case Preference::kClient: return "client";
    case Preference::kUnknown: return "unknown";
  }
  return "unknown";
}

namespace {

// Milliseconds until |deadline| for poll(), at least 0.
int PollMillis(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(absl::ToInt64Milliseconds(left + absl::Milliseconds(1)));
}

}  // namespace

Outcome ExchangeHello(int fd, absl::string_view hello, absl::Time deadline,
                      const FlightLimits& limits, ServerFlight* flight, std::string* detail) {
  detail->clear();
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  size_t written = 0;
  while (written < hello.size()) {
    ssize_t n = send(fd, hello.data() + written, hello.size() - written, MSG_NOSIGNAL);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd pfd{fd, POLLOUT, 0};
      int ms = PollMillis(deadline);
      if (ms == 0 || poll(&pfd, 1, ms) == 0) {
        *detail = "deadline passed while writing the ClientHello";
        *flight = ServerFlight{};
        return Outcome::kTimeout;
      }
      continue;
    }
    *detail = absl::StrCat("write: ", strerror(errno));
    *flight = ServerFlight{};
    return errno == ECONNRESET || errno == EPIPE ? Outcome::kReset : Outcome::kWriteFailed;
  }
  FlightReader reader(limits);
  char buf[16384];
  bool reset = false, eof = false, timeout = false;
  while (!reader.done()) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      reader.Add(absl::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n == 0) {
      eof = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd pfd{fd, POLLIN, 0};
      int ms = PollMillis(deadline);
      if (ms == 0 || poll(&pfd, 1, ms) == 0) {
        timeout = true;
        break;
      }
      continue;
    }
    reset = true;
    *detail = absl::StrCat("read: ", strerror(errno));
    break;
  }
  reader.Finish();
  *flight = reader.flight();
  switch (flight->kind) {
    case ReplyKind::kServerHello:
      if (flight->truncated && detail->empty()) {
        *detail = flight->problem.empty()
                      ? std::string(timeout ? "flight incomplete at the deadline"
                                            : "connection ended inside the flight")
                      : flight->problem;
      }
      return Outcome::kServerHello;
    case ReplyKind::kHelloRetryRequest:
      return Outcome::kHelloRetryRequest;
    case ReplyKind::kAlert:
      *detail = AlertName(flight->alert->description);
      return Outcome::kAlert;
    case ReplyKind::kSslv2:
      *detail = flight->problem;
      return Outcome::kSslv2;
    case ReplyKind::kNotTls:
      *detail = flight->problem;
      return Outcome::kNotTls;
    case ReplyKind::kMalformed:
      if (detail->empty()) *detail = flight->problem;
      if (reset && flight->bytes > 0) return Outcome::kMalformed;
      if (timeout) return Outcome::kTimeout;
      return Outcome::kMalformed;
    case ReplyKind::kOversized:
      *detail = flight->problem;
      return Outcome::kOversized;
    case ReplyKind::kIncomplete:
      break;
  }
  if (reset) return Outcome::kReset;
  if (eof) {
    *detail = "connection closed without a reply";
    return Outcome::kClosed;
  }
  *detail = "no reply before the deadline";
  return Outcome::kTimeout;
}

absl::StatusOr<ScanResult> Scan(const ScanOptions& options) {
  return absl::UnimplementedError("wire::Scan is not implemented yet");
}

}  // namespace mailshake::wire
