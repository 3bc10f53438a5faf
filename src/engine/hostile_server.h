#ifndef MAILSHAKE_SRC_ENGINE_HOSTILE_SERVER_H_
#define MAILSHAKE_SRC_ENGINE_HOSTILE_SERVER_H_

// A deliberately broken SMTP server for testing the load engine against
// servers that misbehave. Each instance listens on 127.0.0.1 (never anywhere
// else) on a port the kernel picks, and treats every connection with the one
// |Misbehaviour| it was started with.
//
//   HostileServerOptions options;
//   options.misbehaviour = Misbehaviour::kStartTlsInjection;
//   absl::StatusOr<std::unique_ptr<HostileServer>> server =
//       HostileServer::Start(options);
//   spec.target.address = (*server)->address();
//   ... run the engine; expect "protocol_violation:starttls_injection" ...
//
// Everything the server does is bounded: at most
// |HostileServerOptions::max_connections| connections are served at once
// (further ones wait in the listen queue), no line or record it reads may
// exceed a fixed size, and what it sends is capped (1 MiB for the endless
// banner). A stalling connection ends when the client closes it. The
// destructor stops the server: it closes the listener, wakes every connection
// and joins all threads, whatever the connections were doing.

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "src/net/address.h"
#include "src/net/socket.h"

namespace mailshake::engine {

// Misbehaviour is what a |HostileServer| does to every connection. Unless
// stated otherwise, the server speaks correct SMTP up to the misbehaviour:
// banner "220 ...", an EHLO reply advertising STARTTLS, "220" to STARTTLS, a
// TLS 1.2-1.3 handshake with a self-signed certificate, "221" to QUIT.
enum class Misbehaviour {
  // None: a correct STARTTLS server (the control case).
  kNone,
  // The banner is "HELLO\r\n": no reply code.
  kGarbageBanner,
  // The banner is binary (the start of a TLS record, with a NUL) and CR LF.
  kBinaryBanner,
  // The banner is "220 " and then 'x' octets without a line end, until 1 MiB
  // was sent or the client closed.
  kEndlessBanner,
  // The EHLO reply has 100,000 "250-X" lines before "250 OK".
  kHugeEhloReply,
  // The EHLO reply does not advertise STARTTLS.
  kNoStartTls,
  // STARTTLS gets "454 4.7.0 TLS not available".
  kStartTlsRefused,
  // The 220 to STARTTLS is followed, in the same write, by a plaintext
  // "250" reply (STARTTLS response injection, CVE-2011-0411 class).
  kStartTlsInjection,
  // The EHLO reply is followed, in the same write, by the "220" to a
  // STARTTLS the client has not sent yet; then the server reads STARTTLS
  // and serves TLS as kNone does (a client that takes the early 220 as its
  // answer "succeeds" with a 0 ns STARTTLS phase).
  kReplyBeforeCommand,
  // After the 220 to STARTTLS the server reads the ClientHello and closes.
  kCloseMidHandshake,
  // The server accepts and never sends a banner.
  kStallBeforeBanner,
  // The server sends the banner and never answers EHLO.
  kStallAtEhlo,
  // The server never answers STARTTLS.
  kStallAtStartTls,
  // The server sends 220 to STARTTLS, reads the ClientHello and never answers.
  kStallInHandshake,
  // A BoringSSL server that allows TLS 1.0 only.
  kTls10Only,
  // A TLS 1.3-only BoringSSL server that requires a client certificate: the
  // client's handshake completes, then its first read after it gets the
  // certificate_required alert (RFC 8446 section 4.4.2.4).
  kRequireClientCertificate,
  // An old server that knows nothing newer than TLS 1.0: it answers the
  // ClientHello with a hand-made ServerHello whose version is 0x0301, as a
  // server ignoring the supported_versions extension would.
  kLegacyTls10ServerHello,
  // A BoringSSL server limited to TLS 1.2 and the RSA key exchange suite
  // AES128-GCM-SHA256 (no forward secrecy), with an RSA-2048 certificate.
  kNonForwardSecretOnly,
  // The server accepts, sets SO_LINGER 0 and closes: the client gets RST.
  kResetOnConnect,
  // A server vulnerable to STARTTLS command injection (CVE-2011-0411 class):
  // plaintext lines the client pipelined after STARTTLS are kept and answered
  // ("250 2.0.0 Ok") inside TLS once the handshake completed; then EHLO, NOOP
  // and QUIT are served over TLS.
  kStartTlsCommandInjection,
  // The banner comes |HostileServerOptions::banner_delay| late (a tarpit or
  // greeting pause); the rest is kNone.
  kSlowBanner,
  // The first |HostileServerOptions::busy_after| connections are kNone; every
  // later one gets "421 4.7.0 Too many connections" as its banner.
  kBusyAfterConnections,
  // After the 220 to STARTTLS the ClientHello is answered with 64 octets that
  // are not TLS.
  kGarbageToClientHello,
  // The ClientHello is answered with a handshake record header announcing
  // 65,535 octets (beyond TLS's 16,384 + 2,048 limit) and 100 octets of it.
  kOversizedRecord,
  // The ClientHello is answered with the first half of a record, then FIN.
  kTruncatedRecord,
  // The ClientHello is answered with a fatal handshake_failure alert.
  kAlertToClientHello,
  // The ClientHello is answered with RST.
  kResetAfterClientHello,
  // The ClientHello is answered with a TLS 1.2 ServerHello and a Certificate
  // message listing 100,000 one-octet "certificates" (about 400 KB).
  kHugeCertificateChain,
};

// MisbehaviourName returns a short name for |misbehaviour|, e.g.
// "starttls_injection", for test names and messages.
absl::string_view MisbehaviourName(Misbehaviour misbehaviour);

struct HostileServerOptions {
  Misbehaviour misbehaviour = Misbehaviour::kNone;
  // certificate_name is the DNS name in the self-signed certificate that the
  // TLS behaviours present (subject CN and SubjectAltName).
  std::string certificate_name = "mx.hostile.test";
  // max_connections bounds the connections served at once; it must be 1 to
  // 256.
  int max_connections = 16;
  // kSlowBanner: how late the banner comes.
  absl::Duration banner_delay = absl::Seconds(1);
  // kBusyAfterConnections: how many connections are served normally.
  int busy_after = 2;
};

// HostileServerStats counts what the server saw, for tests that must show a
// run really reached the misbehaviour.
struct HostileServerStats {
  int64_t connections = 0;    // accepted
  int64_t client_hellos = 0;  // TLS handshake records read by the raw behaviours
  int64_t handshakes = 0;     // TLS handshakes the server completed
  int64_t bytes_sent = 0;     // plaintext and raw octets written (not TLS)
};

class HostileServer {
 public:
  // Start generates the certificate (P-256; RSA-2048 for
  // kNonForwardSecretOnly), builds the TLS context the misbehaviour needs,
  // listens on 127.0.0.1:0 and starts the accept thread.
  static absl::StatusOr<std::unique_ptr<HostileServer>> Start(HostileServerOptions options);

  // The destructor stops the server and joins all of its threads.
  ~HostileServer();
  HostileServer(const HostileServer&) = delete;
  HostileServer& operator=(const HostileServer&) = delete;

  // address returns the loopback address the server listens on.
  const net::SocketAddress& address() const { return address_; }
  // certificate_pem returns the server's certificate in PEM: the trust anchor
  // a verifying client needs.
  const std::string& certificate_pem() const { return certificate_pem_; }
  // Stats returns a snapshot of the counters. Thread-safe.
  HostileServerStats Stats() const;

 private:
  class Connection;
  HostileServer() = default;

  void AcceptLoop();
  void Serve(net::UniqueFd fd);

  HostileServerOptions options_;
  net::SocketAddress address_;
  std::string certificate_pem_;
  bssl::UniquePtr<SSL_CTX> ctx_;  // null for behaviours without a TLS server
  net::UniqueFd listener_;
  // stop_ is an eventfd: readable once the server is stopping, so every
  // blocking wait (accept and connections alike) includes it in its poll.
  net::UniqueFd stop_;
  std::thread accept_thread_;

  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> client_hellos_{0};
  std::atomic<int64_t> handshakes_{0};
  std::atomic<int64_t> bytes_sent_{0};
  std::atomic<int64_t> sessions_{0};  // kBusyAfterConnections
};

}  // namespace mailshake::engine

#endif  // MAILSHAKE_SRC_ENGINE_HOSTILE_SERVER_H_
