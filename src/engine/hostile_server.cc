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

#include <algorithm>
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
         m == Misbehaviour::kReplyBeforeCommand || m == Misbehaviour::kRequireClientCertificate ||
         m == Misbehaviour::kNonForwardSecretOnly ||
         m == Misbehaviour::kStartTlsCommandInjection || m == Misbehaviour::kSlowBanner ||
         m == Misbehaviour::kBusyAfterConnections;
}

constexpr int kHugeChainCertificates = 100000;
constexpr uint16_t kHugeChainSuite = 0xc02f;  // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
constexpr size_t kMaxRecordPlaintext = 16384;

// Records splits the handshake |messages| into TLS 1.2 handshake records of
// at most 16,384 octets each.
std::string Records(absl::string_view messages) {
  std::string out;
  while (!messages.empty()) {
    const size_t n = std::min(messages.size(), kMaxRecordPlaintext);
    const char header[5] = {SSL3_RT_HANDSHAKE, 3, 3, static_cast<char>(n >> 8),
                            static_cast<char>(n & 0xff)};
    out.append(header, sizeof(header));
    out.append(messages.data(), n);
    messages.remove_prefix(n);
  }
  return out;
}

// HugeChainFlight returns a TLS 1.2 ServerHello choosing |kHugeChainSuite|
// and a Certificate message of |kHugeChainCertificates| one-octet entries,
// as records.
std::string HugeChainFlight() {
  std::string messages;
  uint8_t random[SSL3_RANDOM_SIZE];
  RAND_bytes(random, sizeof(random));
  std::string hello;
  hello.append({3, 3});
  hello.append(reinterpret_cast<const char*>(random), sizeof(random));
  hello.push_back(0);  // empty session ID
  hello.push_back(static_cast<char>(kHugeChainSuite >> 8));
  hello.push_back(static_cast<char>(kHugeChainSuite & 0xff));
  hello.push_back(0);  // null compression
  auto u24 = [](std::string* out, size_t n) {
    out->push_back(static_cast<char>((n >> 16) & 0xff));
    out->push_back(static_cast<char>((n >> 8) & 0xff));
    out->push_back(static_cast<char>(n & 0xff));
  };
  messages.push_back(SSL3_MT_SERVER_HELLO);
  u24(&messages, hello.size());
  messages.append(hello);
  const size_t list = static_cast<size_t>(kHugeChainCertificates) * 4;
  messages.push_back(SSL3_MT_CERTIFICATE);
  u24(&messages, list + 3);
  u24(&messages, list);
  for (int i = 0; i < kHugeChainCertificates; ++i) {
    messages.append({0, 0, 1, '\x30'});
  }
  return Records(messages);
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
    case Misbehaviour::kReplyBeforeCommand:
      return "reply_before_command";
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
    case Misbehaviour::kRequireClientCertificate:
      return "require_client_certificate";
    case Misbehaviour::kLegacyTls10ServerHello:
      return "legacy_tls10_server_hello";
    case Misbehaviour::kNonForwardSecretOnly:
      return "non_forward_secret_only";
    case Misbehaviour::kResetOnConnect:
      return "reset_on_connect";
    case Misbehaviour::kStartTlsCommandInjection:
      return "starttls_command_injection";
    case Misbehaviour::kSlowBanner:
      return "slow_banner";
    case Misbehaviour::kBusyAfterConnections:
      return "busy_after_connections";
    case Misbehaviour::kGarbageToClientHello:
      return "garbage_to_client_hello";
    case Misbehaviour::kOversizedRecord:
      return "oversized_record";
    case Misbehaviour::kTruncatedRecord:
      return "truncated_record";
    case Misbehaviour::kAlertToClientHello:
      return "alert_to_client_hello";
    case Misbehaviour::kResetAfterClientHello:
      return "reset_after_client_hello";
    case Misbehaviour::kHugeCertificateChain:
      return "huge_certificate_chain";
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
      case Misbehaviour::kRequireClientCertificate:
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
      case Misbehaviour::kReplyBeforeCommand:
        // One send: the early 220 travels in the same segment as the EHLO
        // reply.
        if (Send(banner) && ReadCommand("EHLO") && Send(absl::StrCat(ehlo, kReady)) &&
            ReadCommand("STARTTLS")) {
          ServeTls();
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
      case Misbehaviour::kStartTlsCommandInjection:
        if (ReachStartTls(banner, ehlo) && Send(kReady)) ServeTls(/*execute_pending=*/true);
        return;
      case Misbehaviour::kSlowBanner:
        if (!Pause(server_->options_.banner_delay)) return;
        if (ReachStartTls(banner, ehlo) && Send(kReady)) ServeTls();
        return;
      case Misbehaviour::kBusyAfterConnections:
        if (server_->sessions_.fetch_add(1, std::memory_order_relaxed) >=
            server_->options_.busy_after) {
          Send("421 4.7.0 Too many connections, try again later\r\n");
          return;
        }
        if (ReachStartTls(banner, ehlo) && Send(kReady)) ServeTls();
        return;
      case Misbehaviour::kGarbageToClientHello:
      case Misbehaviour::kOversizedRecord:
      case Misbehaviour::kTruncatedRecord:
      case Misbehaviour::kAlertToClientHello:
      case Misbehaviour::kResetAfterClientHello:
      case Misbehaviour::kHugeCertificateChain: {
        std::string hello;
        if (!ReachStartTls(banner, ehlo) || !Send(kReady) || !ReadRecord(&hello)) return;
        server_->client_hellos_.fetch_add(1, std::memory_order_relaxed);
        AnswerClientHello();
        return;
      }
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

  // Pause waits |duration| unless the server stops first (then false).
  bool Pause(absl::Duration duration) {
    pollfd fd = {server_->stop_.get(), POLLIN, 0};
    return poll(&fd, 1, static_cast<int>(absl::ToInt64Milliseconds(duration))) == 0;
  }

  // AnswerClientHello plays the raw misbehaviours that answer a ClientHello.
  void AnswerClientHello() {
    switch (server_->options_.misbehaviour) {
      case Misbehaviour::kGarbageToClientHello:
        if (Send(std::string(64, 'G'))) AwaitClose();
        return;
      case Misbehaviour::kOversizedRecord: {
        std::string record = {SSL3_RT_HANDSHAKE, 3, 3, '\xff', '\xff'};
        record.append(100, '\0');
        if (Send(record)) AwaitClose();
        return;
      }
      case Misbehaviour::kTruncatedRecord: {
        std::string record = {SSL3_RT_HANDSHAKE, 3, 3, 0, 64};
        record.append(32, '\x02');
        Send(record);
        return;  // FIN
      }
      case Misbehaviour::kAlertToClientHello: {
        static constexpr char kAlert[] = {SSL3_RT_ALERT, 3, 3, 0, 2, SSL3_AL_FATAL,
                                          SSL_AD_HANDSHAKE_FAILURE};
        if (Send(absl::string_view(kAlert, sizeof(kAlert)))) AwaitClose();
        return;
      }
      case Misbehaviour::kResetAfterClientHello:
        net::SetLingerZero(fd_.get());
        return;
      case Misbehaviour::kHugeCertificateChain:
        if (Send(HugeChainFlight())) AwaitClose();
        return;
      default:
        return;
    }
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

  // SslWrite writes all of |bytes| over |ssl|; false when that failed.
  bool SslWrite(SSL* ssl, absl::string_view bytes) {
    while (!bytes.empty()) {
      int n = SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size()));
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
      } else if (!SslWait(ssl, n)) {
        ERR_clear_error();
        return false;
      }
    }
    return true;
  }

  // ServeTls does the server handshake with the behaviour's context (sending
  // whatever alert BoringSSL chooses when it fails), then serves EHLO, NOOP,
  // RSET and QUIT over TLS (at most 16 commands). Plaintext the client sent
  // after STARTTLS makes it give up, unless |execute_pending|: then those
  // lines are answered inside TLS as if they had come through it (the
  // injection flaw).
  void ServeTls(bool execute_pending = false) {
    std::string lines;
    if (!in_.empty()) {
      if (!execute_pending) return;  // the client sent plaintext after STARTTLS
      lines.swap(in_);
    }
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
    char buf[kReadChunk];
    for (int commands = 0; commands < 16; ++commands) {
      size_t end;
      while ((end = lines.find("\r\n")) == std::string::npos) {
        if (lines.size() >= kMaxLine) return;
        int n = SSL_read(s, buf, sizeof(buf));
        if (n > 0) {
          lines.append(buf, static_cast<size_t>(n));
        } else if (!SslWait(s, n)) {
          ERR_clear_error();
          return;
        }
      }
      const std::string line = lines.substr(0, end);
      lines.erase(0, end + 2);
      if (absl::EqualsIgnoreCase(line, "QUIT")) {
        if (SslWrite(s, "221 2.0.0 Bye\r\n")) SSL_shutdown(s);  // best effort close_notify
        ERR_clear_error();
        return;
      }
      std::string reply = "500 5.5.1 unexpected command\r\n";
      if (absl::StartsWithIgnoreCase(line, "EHLO ")) {
        reply = absl::StrCat("250-", server_->options_.certificate_name, "\r\n250 PIPELINING\r\n");
      } else if (absl::EqualsIgnoreCase(line, "NOOP") || absl::EqualsIgnoreCase(line, "RSET")) {
        reply = "250 2.0.0 Ok\r\n";
      }
      if (!SslWrite(s, reply)) return;
    }
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
    } else if (m == Misbehaviour::kRequireClientCertificate) {
      config.min_version = TLS1_3_VERSION;
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
    if (m == Misbehaviour::kRequireClientCertificate) {
      SSL_CTX_set_custom_verify(server->ctx_.get(),
                                SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                                [](SSL*, uint8_t*) { return ssl_verify_ok; });
    }
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
