#include "src/tls/memory_pair.h"

#include <time.h>

#include <utility>

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "absl/strings/str_cat.h"
#include "src/stats/cpu_time.h"
#include "src/tls/tls.h"

namespace mailshake::tls {
namespace {

// Each direction buffers one whole flight: a server flight with an RSA-4096
// chain is a few KiB, far below this.
constexpr size_t kBioBufferSize = 64 * 1024;

// A handshake takes at most a handful of round trips; more means no progress.
constexpr int kMaxRounds = 16;

// Step calls SSL_do_handshake once on |ssl| and adds its CPU time to
// |*cpu_ns| when |cpu_ns| is not null.
int Step(SSL* ssl, int64_t* cpu_ns) {
  if (cpu_ns == nullptr) return SSL_do_handshake(ssl);
  const int64_t start = stats::ThreadCpuNanos();
  const int ret = SSL_do_handshake(ssl);
  *cpu_ns += stats::ThreadCpuNanos() - start;
  return ret;
}

absl::Status SideFailure(absl::string_view side, const SSL* ssl, int ret) {
  absl::Status status = HandshakeFailure(ssl, ret);
  return absl::Status(status.code(), absl::StrCat(side, ": ", status.message()));
}

}  // namespace

absl::StatusOr<MemoryPair> MemoryPair::Create(SSL_CTX* client_ctx, SSL_CTX* server_ctx) {
  absl::StatusOr<bssl::UniquePtr<SSL>> client = NewClientConnection(client_ctx);
  if (!client.ok()) return client.status();
  absl::StatusOr<bssl::UniquePtr<SSL>> server = NewServerConnection(server_ctx);
  if (!server.ok()) return server.status();
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  if (!BIO_new_bio_pair(&client_bio, kBioBufferSize, &server_bio, kBioBufferSize)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot create a BIO pair: ", DrainErrorQueue()));
  }
  // SSL_set_bio takes one reference, which serves as both read and write BIO.
  SSL_set_bio(client->get(), client_bio, client_bio);
  SSL_set_bio(server->get(), server_bio, server_bio);
  return MemoryPair(*std::move(client), *std::move(server));
}

absl::Status MemoryPair::Handshake(HandshakeCpu* cpu) {
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < kMaxRounds; round++) {
    if (!client_done) {
      const int ret = Step(client_.get(), cpu != nullptr ? &cpu->client_ns : nullptr);
      if (ret == 1) {
        client_done = true;
      } else if (SSL_get_error(client_.get(), ret) != SSL_ERROR_WANT_READ) {
        return SideFailure("client", client_.get(), ret);
      }
    }
    if (!server_done) {
      const int ret = Step(server_.get(), cpu != nullptr ? &cpu->server_ns : nullptr);
      if (ret == 1) {
        server_done = true;
      } else if (SSL_get_error(server_.get(), ret) != SSL_ERROR_WANT_READ) {
        return SideFailure("server", server_.get(), ret);
      }
    }
    if (client_done && server_done) return absl::OkStatus();
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "in-memory handshake made no progress after ", kMaxRounds, " rounds (client ",
      client_done ? "done" : "waiting", ", server ", server_done ? "done" : "waiting", ")"));
}

absl::Status MemoryPair::DeliverPostHandshake(HandshakeCpu* cpu) {
  // BoringSSL queues TLS 1.3 NewSessionTicket messages until the server next
  // writes; a zero-byte write flushes them.
  int64_t start = cpu != nullptr ? stats::ThreadCpuNanos() : 0;
  const int written = SSL_write(server_.get(), nullptr, 0);
  if (cpu != nullptr) cpu->server_ns += stats::ThreadCpuNanos() - start;
  if (written < 0) return SideFailure("server", server_.get(), written);

  start = cpu != nullptr ? stats::ThreadCpuNanos() : 0;
  uint8_t byte;
  const int ret = SSL_read(client_.get(), &byte, 1);
  if (cpu != nullptr) cpu->client_ns += stats::ThreadCpuNanos() - start;
  if (ret > 0) {
    return absl::FailedPreconditionError(
        "client received application data where only post-handshake messages were expected");
  }
  if (SSL_get_error(client_.get(), ret) != SSL_ERROR_WANT_READ) {
    return SideFailure("client", client_.get(), ret);
  }
  return absl::OkStatus();
}

}  // namespace mailshake::tls
