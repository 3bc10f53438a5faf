// MemoryPair: a TLS client and server joined in memory, for tests and
// micro-benchmarks that measure the handshake without the network.

#ifndef MAILSHAKE_SRC_TLS_MEMORY_PAIR_H_
#define MAILSHAKE_SRC_TLS_MEMORY_PAIR_H_

#include <stdint.h>

#include <utility>

#include <openssl/ssl.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mailshake::tls {

// HandshakeCpu accumulates the CPU time (CLOCK_THREAD_CPUTIME_ID) each side
// spent inside BoringSSL while |MemoryPair| drove it. Both sides run on the
// calling thread, so each side's calls are timed separately.
struct HandshakeCpu {
  int64_t client_ns = 0;
  int64_t server_ns = 0;
};

// MemoryPair owns a client |SSL| and a server |SSL| whose transports are the
// two ends of a BoringSSL BIO pair.
class MemoryPair {
 public:
  // Create makes the client with |NewClientConnection(client_ctx)| (so it
  // sends SNI and offers the context's saved session, if any) and the server
  // with |NewServerConnection(server_ctx)|, and joins them.
  static absl::StatusOr<MemoryPair> Create(SSL_CTX* client_ctx, SSL_CTX* server_ctx);

  MemoryPair(MemoryPair&&) = default;
  MemoryPair& operator=(MemoryPair&&) = default;

  // Handshake steps both sides, client first, until both have completed the
  // handshake. If |cpu| is not null, the CPU time of every |SSL_do_handshake|
  // call is added to the side that made it. On failure it returns the failing
  // side's |HandshakeFailure| prefixed with "client: " or "server: ".
  absl::Status Handshake(HandshakeCpu* cpu = nullptr);

  // DeliverPostHandshake flushes what the server queued after the handshake
  // (BoringSSL holds TLS 1.3 NewSessionTicket messages until the server's next
  // write, so it makes a zero-byte write) and lets the client read it, which
  // is how a TLS 1.3 session reaches the client context. The server's and the
  // client's CPU time are added to |cpu| when it is not null. Call it after
  // |Handshake|.
  absl::Status DeliverPostHandshake(HandshakeCpu* cpu = nullptr);

  SSL* client() const { return client_.get(); }
  SSL* server() const { return server_.get(); }

 private:
  MemoryPair(bssl::UniquePtr<SSL> client, bssl::UniquePtr<SSL> server)
      : client_(std::move(client)), server_(std::move(server)) {}

  bssl::UniquePtr<SSL> client_;
  bssl::UniquePtr<SSL> server_;
};

}  // namespace mailshake::tls

#endif  // MAILSHAKE_SRC_TLS_MEMORY_PAIR_H_
