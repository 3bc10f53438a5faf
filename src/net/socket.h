#ifndef MAILSHAKE_SRC_NET_SOCKET_H_
#define MAILSHAKE_SRC_NET_SOCKET_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/net/address.h"

namespace mailshake::net {

// SyscallCounts counts system calls by call, for callers that report what
// their connections cost (the engine's per-session figures, the server's per
// connection). recv and send stand for every call of their family (recv,
// recvfrom, read; send, sendto, write); epoll_ctl counts the calls for one
// connection's descriptor; accept counts accept4 (a server's).
struct SyscallCounts {
  int64_t accept = 0;
  int64_t socket = 0;
  int64_t bind = 0;
  int64_t connect = 0;
  int64_t setsockopt = 0;
  int64_t getsockopt = 0;
  int64_t recv = 0;
  int64_t send = 0;
  int64_t close = 0;
  int64_t epoll_ctl = 0;

  int64_t Total() const {
    return accept + socket + bind + connect + setsockopt + getsockopt + recv + send + close + epoll_ctl;
  }
  void Add(const SyscallCounts& o) {
    accept += o.accept;
    socket += o.socket;
    bind += o.bind;
    connect += o.connect;
    setsockopt += o.setsockopt;
    getsockopt += o.getsockopt;
    recv += o.recv;
    send += o.send;
    close += o.close;
    epoll_ctl += o.epoll_ctl;
  }
};

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

// Opens a non-blocking TCP listener with TCP_NODELAY on |address| (port 0 picks a free port;
// read it back with |LocalAddress|). With |reuse_port| several listeners, one
// per thread, can share the port and the kernel spreads connections over them.
absl::StatusOr<UniqueFd> Listen(const SocketAddress& address, int backlog, bool reuse_port);

// The address a socket is bound to.
absl::StatusOr<SocketAddress> LocalAddress(int fd);

// Accepts one connection as a non-blocking, close-on-exec socket, with one
// accept4 call. It has TCP_NODELAY set, as every listener |Listen| opens
// does (Linux copies it to the accepted socket, so no setsockopt per
// connection). Returns the descriptor, or -1 with errno set (EAGAIN when the
// queue is empty).
int AcceptNonBlocking(int listen_fd);

// Starts a non-blocking connect to |destination|, bound first to |source| when
// it is not null (port 0, with IP_BIND_ADDRESS_NO_PORT so the port is chosen
// at connect time per 4-tuple). Returns the socket, or an invalid one with
// |*error| set to the errno of the failed step (ECONNREFUSED, EADDRNOTAVAIL,
// EMFILE, ...). An EINPROGRESS connect is success (|*error| is 0): wait for
// writability, then read |TakeSocketError|. TCP_NODELAY is set unless
// |no_delay| is false (for callers that send each flight with one call, so
// that Nagle's algorithm never holds anything back). The system calls made
// are added to |*counts| when it is not null.
UniqueFd StartConnect(const SocketAddress& destination, const SocketAddress* source,
                      int* error, bool no_delay = true, SyscallCounts* counts = nullptr);

// SendFrom sends |data| from |*offset| on with send(MSG_NOSIGNAL), again
// while the kernel takes a part (one call when it takes all), advancing
// |*offset| over what was sent and counting each call in |counts->send|.
// Returns 0 once everything was sent, EAGAIN when the socket's buffer is
// full (wait for writability), or the errno of a failed send (EPIPE,
// ECONNRESET, ...).
int SendFrom(int fd, absl::string_view data, size_t* offset, SyscallCounts* counts);

// Returns and clears the pending error of |fd| (SO_ERROR); 0 when none.
int TakeSocketError(int fd);

// Sets TCP_QUICKACK on |fd|: ACK at once instead of delaying. The kernel
// leaves quick-ACK mode by itself, so callers set it again after reads.
void SetQuickAck(int fd);

// Sets TCP_NODELAY on |fd|.
void SetNoDelay(int fd);

// Makes close() send RST instead of FIN (SO_LINGER 0), so the closing side
// leaves no TIME_WAIT entry behind.
void SetLingerZero(int fd);

}  // namespace mailshake::net

#endif  // MAILSHAKE_SRC_NET_SOCKET_H_
