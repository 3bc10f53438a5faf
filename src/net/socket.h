#ifndef MAILSHAKE_SRC_NET_SOCKET_H_
#define MAILSHAKE_SRC_NET_SOCKET_H_

#include "absl/status/statusor.h"
#include "src/net/address.h"

namespace mailshake::net {

// Owns a file descriptor and closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Opens a non-blocking TCP listener on |address| (port 0 picks a free port;
// read it back with |LocalAddress|). With |reuse_port| several listeners, one
// per thread, can share the port and the kernel spreads connections over them.
absl::StatusOr<UniqueFd> Listen(const SocketAddress& address, int backlog, bool reuse_port);

// The address a socket is bound to.
absl::StatusOr<SocketAddress> LocalAddress(int fd);

// Accepts one connection as a non-blocking, close-on-exec socket with
// TCP_NODELAY set. Returns the descriptor, or -1 with errno set (EAGAIN when
// the queue is empty).
int AcceptNonBlocking(int listen_fd);

// Starts a non-blocking connect to |destination|, bound first to |source| when
// it is not null (port 0, with IP_BIND_ADDRESS_NO_PORT so the port is chosen
// at connect time per 4-tuple). Returns the socket, or an invalid one with
// |*error| set to the errno of the failed step (ECONNREFUSED, EADDRNOTAVAIL,
// EMFILE, ...). An EINPROGRESS connect is success (|*error| is 0): wait for
// writability, then read |TakeSocketError|.
UniqueFd StartConnect(const SocketAddress& destination, const SocketAddress* source,
                      int* error);

// Returns and clears the pending error of |fd| (SO_ERROR); 0 when none.
int TakeSocketError(int fd);

// Sets TCP_QUICKACK on |fd|: ACK at once instead of delaying. The kernel
// leaves quick-ACK mode by itself, so callers set it again after reads.
void SetQuickAck(int fd);

// Makes close() send RST instead of FIN (SO_LINGER 0), so the closing side
// leaves no TIME_WAIT entry behind.
void SetLingerZero(int fd);

}  // namespace mailshake::net

#endif  // MAILSHAKE_SRC_NET_SOCKET_H_
