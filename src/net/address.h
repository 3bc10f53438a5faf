#ifndef MAILSHAKE_SRC_NET_ADDRESS_H_
#define MAILSHAKE_SRC_NET_ADDRESS_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mailshake::net {

// An IPv4 or IPv6 socket address. Plain value; no name resolution ever happens
// inside this type.
class SocketAddress {
 public:
  SocketAddress();

  // Parses "A.B.C.D:PORT", "[IPv6]:PORT" or "localhost:PORT" (which means
  // 127.0.0.1). Host names other than localhost are rejected: mailshake only
  // dials literal addresses unless the caller resolved a name first.
  static absl::StatusOr<SocketAddress> Parse(absl::string_view text);

  // Builds an address from a literal IP (no port) and |port|.
  static absl::StatusOr<SocketAddress> FromIp(absl::string_view ip, uint16_t port);

  // Builds an IPv4 address from |host_order| (e.g. 0x7f000001) and |port|.
  static SocketAddress FromIpv4(uint32_t host_order, uint16_t port);

  // Copies |len| bytes of |sa|; fails for families other than AF_INET/AF_INET6.
  static absl::StatusOr<SocketAddress> FromSockaddr(const sockaddr* sa, socklen_t len);

  int family() const { return storage_.ss_family; }
  uint16_t port() const;
  void set_port(uint16_t port);
  const sockaddr* sockaddr_ptr() const {
    return reinterpret_cast<const sockaddr*>(&storage_);
  }
  socklen_t length() const { return length_; }

  // True for 127.0.0.0/8 and ::1.
  bool IsLoopback() const;

  // "127.0.0.1:25" or "[::1]:25".
  std::string ToString() const;
  // The address alone, without port or brackets.
  std::string IpString() const;

 private:
  sockaddr_storage storage_;
  socklen_t length_;
};

// A target as users write it: smtp://HOST:PORT (STARTTLS), smtps://HOST:PORT
// (TLS from the first byte) or tls://HOST:PORT (a bare TLS handshake, no SMTP
// at all: any TLS terminator). The port defaults to 25 and 465; tls:// needs
// one. HOST keeps the text as written (for SNI and name checks) and |address|
// the resolved literal.
struct Target {
  bool implicit_tls = false;  // true for smtps:// and tls://
  bool tls_only = false;      // tls://: connect, handshake, close
  std::string host;
  SocketAddress address;

  std::string ToString() const;
};

// Parses a target URL. Host names are resolved with getaddrinfo (numeric
// literals need no lookup); the first address returned is used.
absl::StatusOr<Target> ParseTarget(absl::string_view url);

// Parses source addresses for a client to rotate over: a comma-separated list
// of literal addresses and inclusive IPv4 ranges ("127.0.0.2-127.0.0.250").
// Ports are 0. At most 65536 addresses; an empty or reversed range is an error.
absl::StatusOr<std::vector<SocketAddress>> ParseSourceAddresses(absl::string_view text);

}  // namespace mailshake::net

#endif  // MAILSHAKE_SRC_NET_ADDRESS_H_
