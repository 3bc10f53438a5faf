#include "src/net/address.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mailshake::net {
namespace {

absl::StatusOr<uint16_t> ParsePort(absl::string_view text, absl::string_view whole) {
  uint32_t port = 0;
  if (text.empty() || !absl::SimpleAtoi(text, &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad port in '", whole, "': expected a number from 0 to 65535"));
  }
  return static_cast<uint16_t>(port);
}

// Splits "host:port" / "[v6]:port" into host and port text.
absl::Status SplitHostPort(absl::string_view text, absl::string_view* host,
                           absl::string_view* port) {
  if (absl::StartsWith(text, "[")) {
    size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() ||
        text[close + 1] != ':') {
      return absl::InvalidArgumentError(
          absl::StrCat("bad address '", text, "': expected [IPv6]:PORT"));
    }
    *host = text.substr(1, close - 1);
    *port = text.substr(close + 2);
    return absl::OkStatus();
  }
  size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos ||
      text.find(':') != colon) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad address '", text, "': expected HOST:PORT (IPv6 as [ADDR]:PORT)"));
  }
  *host = text.substr(0, colon);
  *port = text.substr(colon + 1);
  return absl::OkStatus();
}

}  // namespace

SocketAddress::SocketAddress() : length_(0) {
  std::memset(&storage_, 0, sizeof(storage_));
}

absl::StatusOr<SocketAddress> SocketAddress::FromIp(absl::string_view ip, uint16_t port) {
  SocketAddress out;
  std::string ip_str(ip);
  if (ip_str == "localhost") ip_str = "127.0.0.1";
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage_);
  if (inet_pton(AF_INET, ip_str.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out.length_ = sizeof(sockaddr_in);
    return out;
  }
  std::memset(&out.storage_, 0, sizeof(out.storage_));
  if (inet_pton(AF_INET6, ip_str.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out.length_ = sizeof(sockaddr_in6);
    return out;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", ip, "' is not an IPv4 or IPv6 address literal"));
}

SocketAddress SocketAddress::FromIpv4(uint32_t host_order, uint16_t port) {
  SocketAddress out;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage_);
  v4->sin_family = AF_INET;
  v4->sin_port = htons(port);
  v4->sin_addr.s_addr = htonl(host_order);
  out.length_ = sizeof(sockaddr_in);
  return out;
}

absl::StatusOr<SocketAddress> SocketAddress::Parse(absl::string_view text) {
  absl::string_view host, port_text;
  if (absl::Status s = SplitHostPort(text, &host, &port_text); !s.ok()) return s;
  absl::StatusOr<uint16_t> port = ParsePort(port_text, text);
  if (!port.ok()) return port.status();
  return FromIp(host, *port);
}

absl::StatusOr<SocketAddress> SocketAddress::FromSockaddr(const sockaddr* sa,
                                                          socklen_t len) {
  SocketAddress out;
  if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
      len > sizeof(out.storage_)) {
    return absl::InvalidArgumentError("unsupported socket address family");
  }
  std::memcpy(&out.storage_, sa, len);
  out.length_ = len;
  return out;
}

uint16_t SocketAddress::port() const {
  if (family() == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  }
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

void SocketAddress::set_port(uint16_t port) {
  if (family() == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  } else if (family() == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
  }
}

bool SocketAddress::IsLoopback() const {
  if (family() == AF_INET) {
    uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr);
    return (a >> 24) == 127;
  }
  if (family() == AF_INET6) {
    return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
  }
  return false;
}

std::string SocketAddress::IpString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf,
              sizeof(buf));
  } else if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
              sizeof(buf));
  } else {
    return "(none)";
  }
  return buf;
}

std::string SocketAddress::ToString() const {
  if (family() == AF_INET6) return absl::StrCat("[", IpString(), "]:", port());
  return absl::StrCat(IpString(), ":", port());
}

std::string Target::ToString() const {
  bool v6 = address.family() == AF_INET6 && host.find(':') != std::string::npos;
  return absl::StrCat(tls_only ? "tls://" : implicit_tls ? "smtps://" : "smtp://", v6 ? "[" : "", host,
                      v6 ? "]" : "", ":", address.port());
}

absl::StatusOr<Target> ParseTarget(absl::string_view url) {
  Target target;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "smtp://")) {
    target.implicit_tls = false;
  } else if (absl::ConsumePrefix(&rest, "smtps://")) {
    target.implicit_tls = true;
  } else if (absl::ConsumePrefix(&rest, "tls://")) {
    target.implicit_tls = true;
    target.tls_only = true;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("bad target '", url,
                     "': expected smtp://HOST[:PORT], smtps://HOST[:PORT] or tls://HOST:PORT"));
  }
  absl::ConsumeSuffix(&rest, "/");
  uint16_t port = target.implicit_tls ? 465 : 25;
  absl::string_view host = rest;
  bool has_port = absl::StartsWith(rest, "[") ? rest.find("]:") != absl::string_view::npos
                                              : rest.find(':') != absl::string_view::npos;
  if (has_port) {
    absl::string_view port_text;
    if (absl::Status s = SplitHostPort(rest, &host, &port_text); !s.ok()) return s;
    absl::StatusOr<uint16_t> p = ParsePort(port_text, url);
    if (!p.ok()) return p.status();
    port = *p;
  } else if (target.tls_only) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad target '", url, "': tls:// needs a port (tls://HOST:PORT)"));
  } else if (absl::StartsWith(rest, "[") && absl::EndsWith(rest, "]")) {
    host = rest.substr(1, rest.size() - 2);
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("bad target '", url, "': no host"));
  }
  target.host = std::string(host);
  absl::StatusOr<SocketAddress> literal = SocketAddress::FromIp(host, port);
  if (literal.ok()) {
    target.address = *literal;
    return target;
  }
  addrinfo hints;
  std::memset(&hints, 0, sizeof(hints));
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(target.host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve '", host,
                                                   "': ", gai_strerror(rc)));
  }
  absl::StatusOr<SocketAddress> resolved =
      SocketAddress::FromSockaddr(res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (!resolved.ok()) return resolved.status();
  target.address = *resolved;
  target.address.set_port(port);
  return target;
}

absl::StatusOr<std::vector<SocketAddress>> ParseSourceAddresses(absl::string_view text) {
  constexpr size_t kMaxAddresses = 65536;
  std::vector<SocketAddress> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    size_t dash = item.find('-');
    if (dash == absl::string_view::npos) {
      absl::StatusOr<SocketAddress> a = SocketAddress::FromIp(item, 0);
      if (!a.ok()) return a.status();
      out.push_back(*a);
    } else {
      absl::StatusOr<SocketAddress> first = SocketAddress::FromIp(item.substr(0, dash), 0);
      absl::StatusOr<SocketAddress> last = SocketAddress::FromIp(item.substr(dash + 1), 0);
      if (!first.ok()) return first.status();
      if (!last.ok()) return last.status();
      if (first->family() != AF_INET || last->family() != AF_INET) {
        return absl::InvalidArgumentError(
            absl::StrCat("source range '", item, "': ranges are IPv4 only"));
      }
      uint32_t lo = ntohl(reinterpret_cast<const sockaddr_in*>(first->sockaddr_ptr())->sin_addr.s_addr);
      uint32_t hi = ntohl(reinterpret_cast<const sockaddr_in*>(last->sockaddr_ptr())->sin_addr.s_addr);
      if (lo > hi) {
        return absl::InvalidArgumentError(
            absl::StrCat("source range '", item, "': first address is after the last"));
      }
      if (hi - lo >= kMaxAddresses) {
        return absl::InvalidArgumentError(
            absl::StrCat("source range '", item, "': more than 65536 addresses"));
      }
      for (uint64_t a = lo; a <= hi; ++a) {
        out.push_back(SocketAddress::FromIpv4(static_cast<uint32_t>(a), 0));
      }
    }
    if (out.size() > kMaxAddresses) {
      return absl::InvalidArgumentError("more than 65536 source addresses");
    }
  }
  if (out.empty()) return absl::InvalidArgumentError("no source address given");
  return out;
}

}  // namespace mailshake::net
