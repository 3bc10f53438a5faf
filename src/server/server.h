#ifndef MAILSHAKE_SRC_SERVER_SERVER_H_
#define MAILSHAKE_SRC_SERVER_SERVER_H_

// The embedded SMTP server: STARTTLS (and implicit TLS) on an epoll loop per
// thread, built to be a fast, hostile-input-proof benchmark target.
//
//   ServerOptions options;
//   options.listen.push_back(*net::SocketAddress::Parse("127.0.0.1:0"));
//   options.tls.credentials.push_back(*tls::GenerateSelfSigned(...));
//   absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(std::move(options));
//   ... (*server)->starttls_addresses()[0] ...
//   (*server)->Stop();

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/net/address.h"
#include "src/net/socket.h"
#include "src/tls/tls.h"

namespace mailshake::server {

// Limits Server::Start enforces on its options: the host name goes into the
// banner and EHLO reply (a reply line holds 512 octets), and a chain larger
// than this makes clients (OpenSSL's limit is 100 KiB) refuse every
// handshake.
inline constexpr size_t kMaxHostnameOctets = 255;
inline constexpr size_t kMaxChainCertificates = 16;
inline constexpr size_t kMaxChainOctets = 64 * 1024;

// CheckServedChain returns InvalidArgument when |credential|'s chain is over
// kMaxChainCertificates or kMaxChainOctets (Server::Start refuses it).
absl::Status CheckServedChain(const tls::Credential& credential);

struct ServerOptions {
  // Listeners that speak plaintext SMTP and offer STARTTLS (ports 25, 587).
  std::vector<net::SocketAddress> listen;
  // Listeners that start with a TLS handshake (port 465).
  std::vector<net::SocketAddress> listen_implicit;
  // The TLS side: credentials, versions, suites, groups.
  tls::ServerConfig tls;
  // The name in the banner and the EHLO reply.
  std::string hostname = "mailshake.localhost";
  // Worker threads, each with its own epoll loop, listeners (SO_REUSEPORT)
  // and SSL_CTX. 0 means one per core.
  int threads = 0;
  // Connections open at once, over all threads. One more is answered with
  // "421" and closed.
  int max_connections = 20000;
  // Deadlines: the TLS handshake, each command (from the end of the previous
  // reply to the end of the next command line), and a whole DATA body.
  absl::Duration tls_timeout = absl::Seconds(10);
  absl::Duration command_timeout = absl::Seconds(60);
  absl::Duration data_timeout = absl::Seconds(120);
  // After a successful handshake: run the SMTP dialogue (kAccept: messages
  // are accepted and thrown away) or close at once (kClose).
  enum class AfterTls { kAccept, kClose };
  AfterTls after_tls = AfterTls::kAccept;
  size_t max_message_size = 10 << 20;
  // Test aid for open-loop measurements: connections accepted from
  // |stall_after| to |stall_after| + |stall_for| after the start get their
  // banner |stall_delay| late (0: never). Implicit-TLS listeners are exempt.
  absl::Duration stall_after = absl::ZeroDuration();
  absl::Duration stall_for = absl::ZeroDuration();
  absl::Duration stall_delay = absl::ZeroDuration();
};

// Counts since start. Every accepted connection ends in exactly one of the
// closed_* buckets, so connections = sum(closed_*) + open.
struct ServerStats {
  uint64_t connections = 0;            // accepted
  uint64_t rejected_over_capacity = 0; // answered 421 and closed (not in |connections|)
  uint64_t open = 0;                   // currently open
  uint64_t handshakes = 0;             // successful TLS handshakes
  uint64_t resumed = 0;                // of which resumed
  uint64_t messages = 0;               // accepted and discarded
  uint64_t starttls_discarded_bytes = 0;  // pipelined plaintext thrown away
  double cpu_seconds = 0;              // CPU time of the worker threads
  // The same split into user and system time; known once the server stopped
  // (0 before).
  double cpu_user_seconds = 0;
  double cpu_system_seconds = 0;
  // Wall-clock seconds from the start to the stop (or to now while running):
  // the window the counts and CPU cover, so CPU per handshake comes with its
  // rate. Merging keeps the longer window (threads run side by side).
  double seconds = 0;
  // How connections ended: "quit", "after_tls_close", "client_closed",
  // "reset", "timeout_tls", "timeout_command", "timeout_data",
  // "tls_failed", "too_many_errors", "io_error", "shutdown".
  std::map<std::string, uint64_t> closed;
  // Handshake failures by reason ("alert handshake_failure", "NO_SHARED_CIPHER",
  // "client closed", ...).
  std::map<std::string, uint64_t> tls_failures;
  std::map<std::string, uint64_t> versions;
  std::map<std::string, uint64_t> cipher_suites;
  std::map<std::string, uint64_t> groups;
  std::map<std::string, uint64_t> signature_algorithms;
  // System calls on the connections' descriptors, from accept4 to close
  // (net::SyscallCounts), added when a connection closes; accept also counts
  // the listeners' accept4 calls that found no connection, and the calls of
  // connections rejected over capacity are included. BoringSSL makes none:
  // it reads and writes the connection's buffers.
  net::SyscallCounts syscalls;
  // epoll_wait calls of the worker loops (each serves every connection of
  // its thread, so they are not per connection; an idle loop wakes 5 times a
  // second).
  uint64_t epoll_waits = 0;

  // Connections whose system calls are counted in |syscalls|: the closed
  // ones and the rejected ones.
  uint64_t FinishedConnections() const;

  void Merge(const ServerStats& other);
  // A multi-line human-readable report.
  std::string ToString() const;
};

class SteppedWorker;  // testing.h

class Server {
 public:
  // Validates |options|, binds every listener on every thread and starts the
  // threads. Fails without leaving threads or sockets behind.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options);

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound addresses (ports filled in when 0 was asked for), in the order
  // of |ServerOptions::listen| and |listen_implicit|.
  const std::vector<net::SocketAddress>& starttls_addresses() const { return starttls_; }
  const std::vector<net::SocketAddress>& implicit_tls_addresses() const { return implicit_; }

  // A consistent-enough snapshot, merged over threads. Thread-safe.
  ServerStats Stats() const;

  // Stops accepting, closes every connection and joins the threads.
  // Idempotent; the destructor calls it.
  void Stop();

  // Number of worker threads.
  int threads() const;

 private:
  friend class SteppedWorker;
  class Worker;
  Server() = default;

  ServerOptions options_;
  int64_t start_ns_ = 0;
  std::atomic<int64_t> stop_ns_{0};  // 0 while running
  std::atomic<int> open_total_{0};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<net::SocketAddress> starttls_;
  std::vector<net::SocketAddress> implicit_;
};

}  // namespace mailshake::server

#endif  // MAILSHAKE_SRC_SERVER_SERVER_H_
