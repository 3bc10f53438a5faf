#include "src/engine/hostile_server.h"

#include <errno.h>
#include <openssl/bytestring.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <list>
#include <optional>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/tls/tls.h"

namespace mailshake::engine {
namespace {

// Bounds on what a connection reads: one command line, one TLS record.
constexpr size_t kMaxLine = 1000;
constexpr size_t kMaxRecordBody = 16384 + 2048;  // TLSCiphertext limit
constexpr size_t kRecordHeader = 5;
constexpr size_t kReadChunk = 4096;
constexpr int64_t kEndlessBannerCap = int64_t{1} << 20;
constexpr int kHugeEhloLines = 100000;

// Suite the hand-made TLS 1.0 ServerHello picks; any TLS 1.0 suite would do,
// since a client limited to TLS 1.2+ rejects the version before the suite.
constexpr uint16_t kLegacySuite = 0xc013;  // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA

bool NeedsTlsServer(Misbehaviour m) {
  return m == Misbehaviour::kNone || m == Misbehaviour::kTls10Only ||
         m == Misbehaviour::kNonForwardSecretOnly;
}

// LegacyServerHello checks that |record| is a TLS record holding a
// ClientHello and returns a record with a TLS 1.0 ServerHello answering it:
// legacy version 0x0301, fresh random, empty session ID, |kLegacySuite|, null
// compression, no extensions. It returns nullopt if |record| is not a
// ClientHello.
std::optional<std::string> LegacyServerHello(absl::string_view record) {
  CBS in, body, hello;
  CBS_init(&in, reinterpret_cast<const uint8_t*>(record.data()), record.size());
  uint8_t content_type, msg_type;
  uint16_t record_version, client_version;
  if (!CBS_get_u8(&in, &content_type) || content_type != SSL3_RT_HANDSHAKE ||
      !CBS_get_u16(&in, &record_version) || !CBS_get_u16_length_prefixed(&in, &body) ||
      CBS_len(&in) != 0 || !CBS_get_u8(&body, &msg_type) || msg_type != SSL3_MT_CLIENT_HELLO ||
      !CBS_get_u24_length_prefixed(&body, &hello) || !CBS_get_u16(&hello, &client_version)) {
    return std::nullopt;
  }
  uint8_t random[SSL3_RANDOM_SIZE];
  RAND_bytes(random, sizeof(random));
  bssl::ScopedCBB cbb;
  CBB fragment, message, session_id;
  uint8_t* out = nullptr;
  size_t out_len = 0;
  if (!CBB_init(cbb.get(), 64) || !CBB_add_u8(cbb.get(), SSL3_RT_HANDSHAKE) ||
      !CBB_add_u16(cbb.get(), TLS1_VERSION) || !CBB_add_u16_length_prefixed(cbb.get(), &fragment) ||
      !CBB_add_u8(&fragment, SSL3_MT_SERVER_HELLO) ||
      !CBB_add_u24_length_prefixed(&fragment, &message) || !CBB_add_u16(&message, TLS1_VERSION) ||
      !CBB_add_bytes(&message, random, sizeof(random)) ||
      !CBB_add_u8_length_prefixed(&message, &session_id) || !CBB_add_u16(&message, kLegacySuite) ||
      !CBB_add_u8(&message, 0 /* null compression */) || !CBB_finish(cbb.get(), &out, &out_len)) {
    return std::nullopt;
  }
  std::string result(reinterpret_cast<const char*>(out), out_len);
  OPENSSL_free(out);
  return result;
}

}  // namespace

absl::string_view MisbehaviourName(Misbehaviour misbehaviour) {
  switch (misbehaviour) {
    case Misbehaviour::kNone:
      return "none";
    case Misbehaviour::kGarbageBanner:
      return "garbage_banner";
    case Misbehaviour::kBinaryBanner:
      return "binary_banner";
    case Misbehaviour::kEndlessBanner:
      return "endless_banner";
    case Misbehaviour::kHugeEhloReply:
      return "huge_ehlo_reply";
    case Misbehaviour::kNoStartTls:
      return "no_starttls";
    case Misbehaviour::kStartTlsRefused:
      return "starttls_refused";
    case Misbehaviour::kStartTlsInjection:
      return "starttls_injection";
    case Misbehaviour::kCloseMidHandshake:
      return "close_mid_handshake";
    case Misbehaviour::kStallBeforeBanner:
      return "stall_before_banner";
    case Misbehaviour::kStallAtEhlo:
      return "stall_at_ehlo";
    case Misbehaviour::kStallAtStartTls:
      return "stall_at_starttls";
    case Misbehaviour::kStallInHandshake:
      return "stall_in_handshake";
    case Misbehaviour::kTls10Only:
      return "tls10_only";
    case Misbehaviour::kLegacyTls10ServerHello:
      return "legacy_tls10_server_hello";
    case Misbehaviour::kNonForwardSecretOnly:
      return "non_forward_secret_only";
    case Misbehaviour::kResetOnConnect:
      return "reset_on_connect";
  }
  return "unknown";
}

// Connection serves one accepted socket on its own thread. The socket is
// non-blocking; every wait polls it together with the server's stop eventfd,
// so a stopping server ends every connection promptly.
class HostileServer::Connection {
 public:
  Connection(HostileServer* server, net::UniqueFd fd) : server_(server), fd_(std::move(fd)) {}

  void Run() {
    const std::string banner =
        absl::StrCat("220 ", server_->options_.certificate_name, " ESMTP hostile\r\n");
    const std::string ehlo = absl::StrCat("250-", server_->options_.certificate_name,
                                          "\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
    constexpr absl::string_view kReady = "220 2.0.0 Ready to start TLS\r\n";
    switch (server_->options_.misbehaviour) {
      case Misbehaviour::kNone:
      case Misbehaviour::kTls10Only:
      case Misbehaviour::kNonForwardSecretOnly:
        if (ReachStartTls(banner, ehlo) && Send(kReady)) ServeTls();
        return;
      case Misbehaviour::kGarbageBanner:
        if (Send("HELLO\r\n")) AwaitClose();
        return;
      case Misbehaviour::kBinaryBanner: {
        // A TLS alert record header, then a NUL inside the "line".
        static constexpr char kBinary[] = {'\x15', '\x03', '\x03', '\x00', '\x02',
                                           '\x02', '\x28', '\xff', '\r',   '\n'};
        if (Send(absl::string_view(kBinary, sizeof(kBinary)))) AwaitClose();
        return;
      }
      case Misbehaviour::kEndlessBanner: {
        if (!Send("220 ")) return;
        const std::string chunk(16 * 1024, 'x');
        for (int64_t sent = 4; sent < kEndlessBannerCap; sent += chunk.size()) {
          if (!Send(chunk)) return;
        }
        AwaitClose();
        return;
      }
      case Misbehaviour::kHugeEhloReply: {
        if (!Send(banner) || !ReadCommand("EHLO")) return;
        std::string reply;
        reply.reserve(kHugeEhloLines * 7 + 8);
        for (int i = 0; i < kHugeEhloLines; ++i) reply.append("250-X\r\n");
        reply.append("250 OK\r\n");
        if (Send(reply)) AwaitClose();
        return;
      }
      case Misbehaviour::kNoStartTls: {
        if (!Send(banner) || !ReadCommand("EHLO")) return;
        const std::string plain = absl::StrCat("250-", server_->options_.certificate_name,
                                               "\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
        if (Send(plain)) AwaitClose();
        return;
      }
      case Misbehaviour::kStartTlsRefused:
        if (ReachStartTls(banner, ehlo) && Send("454 4.7.0 TLS not available\r\n")) AwaitClose();
        return;
      case Misbehaviour::kStartTlsInjection:
        // One send: the injected reply travels in the same segment as the 220.
        if (ReachStartTls(banner, ehlo) && Send(absl::StrCat(kReady, "250 2.0.0 injected\r\n"))) {
          AwaitClose();
        }
        return;
      case Misbehaviour::kCloseMidHandshake: {
        std::string hello;
        if (ReachStartTls(banner, ehlo) && Send(kReady) && ReadRecord(&hello)) {
          server_->client_hellos_.fetch_add(1, std::memory_order_relaxed);
        }
        return;  // closing |fd_| sends FIN: everything sent was read
      }
      case Misbehaviour::kStallBeforeBanner:
        AwaitClose();
        return;
      case Misbehaviour::kStallAtEhlo:
        if (Send(banner)) AwaitClose();
        return;
      case Misbehaviour::kStallAtStartTls:
        if (Send(banner) && ReadCommand("EHLO") && Send(ehlo)) AwaitClose();
        return;
      case Misbehaviour::kStallInHandshake: {
        std::string hello;
        if (ReachStartTls(banner, ehlo) && Send(kReady) && ReadRecord(&hello)) {
          server_->client_hellos_.fetch_add(1, std::memory_order_relaxed);
          AwaitClose();
        }
        return;
      }
      case Misbehaviour::kLegacyTls10ServerHello: {
        std::string hello;
        if (!ReachStartTls(banner, ehlo) || !Send(kReady) || !ReadRecord(&hello)) return;
        std::optional<std::string> server_hello = LegacyServerHello(hello);
        if (!server_hello.has_value()) return;
        server_->client_hellos_.fetch_add(1, std::memory_order_relaxed);
        if (Send(*server_hello)) AwaitClose();
        return;
      }
      case Misbehaviour::kResetOnConnect:
        net::SetLingerZero(fd_.get());
        return;
    }
  }

 private:
  // WaitFor waits until the socket reports |events| (or an error or hangup,
  // which the next I/O call reports). It returns false if the server stops.
  bool WaitFor(short events) {
    for (;;) {
      pollfd fds[2] = {{server_->stop_.get(), POLLIN, 0}, {fd_.get(), events, 0}};
      int n = poll(fds, 2, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      if (fds[0].revents != 0) return false;
      if (fds[1].revents != 0) return true;
    }
  }

  // Send writes all of |bytes| unless the peer goes away or the server stops.
  bool Send(absl::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
        server_->bytes_sent_.fetch_add(n, std::memory_order_relaxed);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        if (!WaitFor(POLLOUT)) return false;
        continue;
      }
      return false;
    }
    return true;
  }

  // Fill appends what the socket has to |in_|, waiting for at least one
  // octet. It returns false on end of stream, error or stop.
  bool Fill() {
    char buf[kReadChunk];
    for (;;) {
      ssize_t n = recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        return true;
      }
      if (n == 0) return false;
      if (errno == EINTR) continue;
      if (errno != EAGAIN || !WaitFor(POLLIN)) return false;
    }
  }

  // ReadLine sets |*line| to the next CR LF terminated line, without the
  // terminator. It fails on close, stop, or a line longer than |kMaxLine|.
  bool ReadLine(std::string* line) {
    for (;;) {
      size_t end = in_.find("\r\n");
      if (end != std::string::npos && end + 2 <= kMaxLine) {
        line->assign(in_, 0, end);
        in_.erase(0, end + 2);
        return true;
      }
      if (end != std::string::npos || in_.size() >= kMaxLine || !Fill()) return false;
    }
  }

  // ReadCommand reads one command line and checks that it is |verb|
  // (case-insensitive, alone or followed by a space). Otherwise it answers
  // 500 and fails.
  bool ReadCommand(absl::string_view verb) {
    std::string line;
    if (!ReadLine(&line)) return false;
    if (absl::StartsWithIgnoreCase(line, verb) &&
        (line.size() == verb.size() || line[verb.size()] == ' ')) {
      return true;
    }
    Send("500 5.5.1 unexpected command\r\n");
    return false;
  }

  // ReachStartTls plays a correct server up to the STARTTLS command.
  bool ReachStartTls(absl::string_view banner, absl::string_view ehlo) {
    return Send(banner) && ReadCommand("EHLO") && Send(ehlo) && ReadCommand("STARTTLS");
  }

  // ReadRecord sets |*record| to the next whole TLS record, header included.
  bool ReadRecord(std::string* record) {
    while (in_.size() < kRecordHeader) {
      if (!Fill()) return false;
    }
    const size_t body = (static_cast<uint8_t>(in_[3]) << 8) | static_cast<uint8_t>(in_[4]);
    if (body > kMaxRecordBody) return false;
    while (in_.size() < kRecordHeader + body) {
      if (!Fill()) return false;
    }
    record->assign(in_, 0, kRecordHeader + body);
    in_.erase(0, kRecordHeader + body);
    return true;
  }

  // AwaitClose discards whatever the client sends until it closes the
  // connection or the server stops.
  void AwaitClose() {
    do {
      in_.clear();
    } while (Fill());
  }

  // SslWait waits as |SSL_get_error| says after a call on |ssl| returned
  // |ret|; false when the call failed or the server stops.
  bool SslWait(SSL* ssl, int ret) {
    switch (SSL_get_error(ssl, ret)) {
      case SSL_ERROR_WANT_READ:
        return WaitFor(POLLIN);
      case SSL_ERROR_WANT_WRITE:
        return WaitFor(POLLOUT);
      default:
        return false;
    }
  }

  // ServeTls does the server handshake with the behaviour's context (sending
  // whatever alert BoringSSL chooses when it fails), then answers QUIT.
  void ServeTls() {
    if (!in_.empty()) return;  // the client sent plaintext after STARTTLS
    absl::StatusOr<bssl::UniquePtr<SSL>> ssl = tls::NewServerConnection(server_->ctx_.get());
    if (!ssl.ok() || !SSL_set_fd(ssl->get(), fd_.get())) return;
    SSL* s = ssl->get();
    for (;;) {
      int rc = SSL_do_handshake(s);
      if (rc == 1) break;
      if (!SslWait(s, rc)) {
        ERR_clear_error();
        return;
      }
    }
    server_->handshakes_.fetch_add(1, std::memory_order_relaxed);
    std::string line;
    char buf[kReadChunk];
    while (line.find("\r\n") == std::string::npos) {
      if (line.size() >= kMaxLine) return;
      int n = SSL_read(s, buf, sizeof(buf));
      if (n > 0) {
        line.append(buf, static_cast<size_t>(n));
      } else if (!SslWait(s, n)) {
        ERR_clear_error();
        return;
      }
    }
    if (!absl::StartsWithIgnoreCase(line, "QUIT\r\n")) return;
    constexpr absl::string_view kBye = "221 2.0.0 Bye\r\n";
    for (;;) {
      int n = SSL_write(s, kBye.data(), static_cast<int>(kBye.size()));
      if (n > 0) break;
      if (!SslWait(s, n)) {
        ERR_clear_error();
        return;
      }
    }
    SSL_shutdown(s);  // best effort close_notify
    ERR_clear_error();
  }

  HostileServer* server_;
  net::UniqueFd fd_;
  std::string in_;  // received, not yet consumed (bounded by the readers)
};

absl::StatusOr<std::unique_ptr<HostileServer>> HostileServer::Start(HostileServerOptions options) {
  if (options.max_connections < 1 || options.max_connections > 256) {
    return absl::InvalidArgumentError("HostileServerOptions::max_connections must be 1 to 256");
  }
  std::unique_ptr<HostileServer> server = absl::WrapUnique(new HostileServer());
  server->options_ = std::move(options);
  const Misbehaviour m = server->options_.misbehaviour;

  absl::StatusOr<tls::Credential> credential = tls::GenerateSelfSigned(
      m == Misbehaviour::kNonForwardSecretOnly ? tls::KeyType::kRsa2048 : tls::KeyType::kEcdsaP256,
      server->options_.certificate_name);
  if (!credential.ok()) return credential.status();
  absl::StatusOr<std::string> pem = tls::ChainToPem(*credential);
  if (!pem.ok()) return pem.status();
  server->certificate_pem_ = *std::move(pem);

  if (NeedsTlsServer(m)) {
    tls::ServerConfig config;
    config.credentials.push_back(*std::move(credential));
    if (m == Misbehaviour::kTls10Only) {
      config.min_version = TLS1_VERSION;
      config.max_version = TLS1_VERSION;
    } else if (m == Misbehaviour::kNonForwardSecretOnly) {
      config.min_version = TLS1_2_VERSION;
      config.max_version = TLS1_2_VERSION;
      config.ciphers = "AES128-GCM-SHA256";
    }
    absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = tls::NewServerContext(config);
    if (!ctx.ok()) {
      return absl::Status(ctx.status().code(), absl::StrCat("hostile server (", MisbehaviourName(m),
                                                            "): ", ctx.status().message()));
    }
    server->ctx_ = *std::move(ctx);
  }

  absl::StatusOr<net::SocketAddress> loopback = net::SocketAddress::Parse("127.0.0.1:0");
  if (!loopback.ok()) return loopback.status();
  absl::StatusOr<net::UniqueFd> listener = net::Listen(*loopback, 64, /*reuse_port=*/false);
  if (!listener.ok()) return listener.status();
  absl::StatusOr<net::SocketAddress> bound = net::LocalAddress(listener->get());
  if (!bound.ok()) return bound.status();
  server->listener_ = *std::move(listener);
  server->address_ = *bound;

  server->stop_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!server->stop_.valid()) {
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  }
  HostileServer* raw = server.get();
  server->accept_thread_ = std::thread([raw] { raw->AcceptLoop(); });
  return server;
}

HostileServer::~HostileServer() {
  if (stop_.valid()) {
    const uint64_t one = 1;
    // The eventfd stays readable from here on: nothing ever reads it.
    while (write(stop_.get(), &one, sizeof(one)) < 0 && errno == EINTR) {
    }
  }
  if (accept_thread_.joinable()) accept_thread_.join();
}

HostileServerStats HostileServer::Stats() const {
  HostileServerStats stats;
  stats.connections = connections_.load(std::memory_order_relaxed);
  stats.client_hellos = client_hellos_.load(std::memory_order_relaxed);
  stats.handshakes = handshakes_.load(std::memory_order_relaxed);
  stats.bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
  return stats;
}

void HostileServer::Serve(net::UniqueFd fd) {
  Connection connection(this, std::move(fd));
  connection.Run();
}

void HostileServer::AcceptLoop() {
  struct Slot {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::list<std::unique_ptr<Slot>> live;
  for (;;) {
    for (auto it = live.begin(); it != live.end();) {
      if ((*it)->done.load(std::memory_order_acquire)) {
        (*it)->thread.join();
        it = live.erase(it);
      } else {
        ++it;
      }
    }
    // At capacity, leave new connections in the listen queue and look again
    // shortly for finished ones.
    const bool room = live.size() < static_cast<size_t>(options_.max_connections);
    pollfd fds[2] = {{stop_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
    int n = poll(fds, room ? 2 : 1, room ? 100 : 10);
    if (n < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) break;
    if (!room || (fds[1].revents & POLLIN) == 0) continue;
    int fd = net::AcceptNonBlocking(listener_.get());
    if (fd < 0) {
      // EAGAIN and ECONNABORTED are routine; anything else (EMFILE) must not
      // spin.
      if (errno != EAGAIN && errno != ECONNABORTED && errno != EINTR) {
        poll(fds, 1, 10);
      }
      continue;
    }
    connections_.fetch_add(1, std::memory_order_relaxed);
    auto slot = std::make_unique<Slot>();
    Slot* s = slot.get();
    s->thread = std::thread([this, s, fd] {
      Serve(net::UniqueFd(fd));
      ERR_clear_error();
      s->done.store(true, std::memory_order_release);
    });
    live.push_back(std::move(slot));
  }
  for (auto& slot : live) slot->thread.join();
}

}  // namespace mailshake::engine
