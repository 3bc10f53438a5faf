#include "src/net/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace mailshake::net {
namespace {

absl::Status Errno(absl::string_view what, const SocketAddress& address) {
  return absl::UnavailableError(
      absl::StrCat(what, " ", address.ToString(), ": ", strerror(errno)));
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

int UniqueFd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

absl::StatusOr<UniqueFd> Listen(const SocketAddress& address, int backlog, bool reuse_port) {
  UniqueFd fd(socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Errno("socket for", address);
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (reuse_port &&
      setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    return Errno("SO_REUSEPORT on", address);
  }
  if (address.family() == AF_INET6) {
    setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  // Inherited by every accepted socket.
  if (setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
    return Errno("TCP_NODELAY on", address);
  }
  if (bind(fd.get(), address.sockaddr_ptr(), address.length()) != 0) {
    return Errno("bind", address);
  }
  if (listen(fd.get(), backlog) != 0) return Errno("listen", address);
  return fd;
}

absl::StatusOr<SocketAddress> LocalAddress(int fd) {
  sockaddr_storage storage;
  socklen_t len = sizeof(storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &len) != 0) {
    return absl::InternalError(absl::StrCat("getsockname: ", strerror(errno)));
  }
  return SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&storage), len);
}

int AcceptNonBlocking(int listen_fd) {
  return accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

UniqueFd StartConnect(const SocketAddress& destination, const SocketAddress* source,
                      int* error, bool no_delay, SyscallCounts* counts) {
  SyscallCounts local;
  SyscallCounts& c = counts != nullptr ? *counts : local;
  *error = 0;
  ++c.socket;
  UniqueFd fd(socket(destination.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    *error = errno;
    return fd;
  }
  int one = 1;
  if (no_delay) {
    ++c.setsockopt;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  if (source != nullptr) {
    if (source->family() == AF_INET) {
      ++c.setsockopt;
      setsockopt(fd.get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    }
    ++c.bind;
    if (bind(fd.get(), source->sockaddr_ptr(), source->length()) != 0) {
      *error = errno;
      ++c.close;  // the UniqueFd closes it
      return UniqueFd();
    }
  }
  ++c.connect;
  if (connect(fd.get(), destination.sockaddr_ptr(), destination.length()) != 0 &&
      errno != EINPROGRESS) {
    *error = errno;
    ++c.close;
    return UniqueFd();
  }
  return fd;
}

int SendFrom(int fd, absl::string_view data, size_t* offset, SyscallCounts* counts) {
  while (*offset < data.size()) {
    ++counts->send;
    ssize_t n = send(fd, data.data() + *offset, data.size() - *offset, MSG_NOSIGNAL);
    if (n > 0) {
      *offset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EWOULDBLOCK) return EAGAIN;
    return n < 0 ? errno : EPIPE;
  }
  return 0;
}

int TakeSocketError(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

void SetQuickAck(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

void SetLingerZero(int fd) {
  linger lg;
  lg.l_onoff = 1;
  lg.l_linger = 0;
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

}  // namespace mailshake::net

namespace mailshake::net {

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

}  // namespace mailshake::net
