#include "src/server/server.h"

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "src/net/socket.h"
#include "src/smtp/reply_parser.h"
#include "src/tls/tls.h"

namespace mailshake::server {
namespace {

// A blocking SMTP client with short receive timeouts, so a broken server
// fails the test instead of hanging it.
class TestClient {
 public:
  explicit TestClient(const net::SocketAddress& address) {
    fd_ = socket(address.family(), SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    connected_ = connect(fd_, address.sockaddr_ptr(), address.length()) == 0;
  }
  ~TestClient() {
    ssl_.reset();
    if (fd_ >= 0) close(fd_);
  }

  bool connected() const { return connected_; }

  void Send(absl::string_view bytes) {
    if (ssl_) {
      ASSERT_EQ(SSL_write(ssl_.get(), bytes.data(), bytes.size()), static_cast<int>(bytes.size()));
    } else {
      ASSERT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(bytes.size()));
    }
  }

  // Reads one reply; code 0 when the stream ended or timed out first.
  smtp::Reply ReadReply() {
    for (;;) {
      if (!pending_.empty()) {
        size_t consumed = 0;
        smtp::ParseResult r = parser_.Feed(pending_, &consumed);
        pending_.erase(0, consumed);
        if (r == smtp::ParseResult::kReply) return parser_.TakeReply();
        if (r == smtp::ParseResult::kError) return smtp::Reply();
      }
      char buf[4096];
      int n = ssl_ ? SSL_read(ssl_.get(), buf, sizeof(buf))
                   : static_cast<int>(recv(fd_, buf, sizeof(buf), 0));
      if (n <= 0) return smtp::Reply();
      pending_.append(buf, n);
    }
  }

  // Reads and drops whatever comes until the server closes the connection.
  // True if it closed (FIN or RST), false if it kept it open for 5 s.
  bool ReadsEof() {
    char buf[256];
    for (;;) {
      int n = ssl_ ? SSL_read(ssl_.get(), buf, sizeof(buf))
                   : static_cast<int>(recv(fd_, buf, sizeof(buf), 0));
      if (n > 0) continue;
      if (n == 0) return true;
      if (ssl_) return SSL_get_error(ssl_.get(), n) != SSL_ERROR_WANT_READ;
      return errno == ECONNRESET;
    }
  }

  // Sends without checking: the server may already have closed.
  void SendUnchecked(absl::string_view bytes) {
    ssize_t rc = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    (void)rc;
  }

  bool StartTls() {
    tls::ClientConfig config;
    absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = tls::NewClientContext(config);
    if (!ctx.ok()) return false;
    ctx_ = std::move(*ctx);
    absl::StatusOr<bssl::UniquePtr<SSL>> ssl = tls::NewClientConnection(ctx_.get());
    if (!ssl.ok()) return false;
    ssl_ = std::move(*ssl);
    SSL_set_fd(ssl_.get(), fd_);
    return SSL_do_handshake(ssl_.get()) == 1;
  }

  SSL* ssl() { return ssl_.get(); }
  bool pending_empty() const { return pending_.empty(); }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
  smtp::ReplyParser parser_;
  bssl::UniquePtr<SSL_CTX> ctx_;
  bssl::UniquePtr<SSL> ssl_;
};

class ServerTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<tls::Credential> cred =
        tls::GenerateSelfSigned(tls::KeyType::kEcdsaP256, "mx.test");
    ASSERT_TRUE(cred.ok()) << cred.status();
    credential_ = new tls::Credential(std::move(*cred));
  }

  ServerOptions Options() {
    ServerOptions options;
    options.listen.push_back(*net::SocketAddress::Parse("127.0.0.1:0"));
    options.listen_implicit.push_back(*net::SocketAddress::Parse("127.0.0.1:0"));
    options.tls.credentials.push_back(*credential_);
    options.threads = 2;
    return options;
  }

  void StartServer(ServerOptions options) {
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  const net::SocketAddress& plain() { return server_->starttls_addresses()[0]; }
  const net::SocketAddress& implicit() { return server_->implicit_tls_addresses()[0]; }

  // Waits (bounded) until the server has closed |n| connections.
  ServerStats WaitClosed(uint64_t n) {
    ServerStats stats;
    for (int i = 0; i < 500; ++i) {
      stats = server_->Stats();
      uint64_t closed = 0;
      for (const auto& [reason, count] : stats.closed) closed += count;
      if (closed >= n) break;
      usleep(10000);
    }
    return stats;
  }

  static tls::Credential* credential_;
  std::unique_ptr<Server> server_;
};

tls::Credential* ServerTest::credential_ = nullptr;

TEST_F(ServerTest, StarttlsThenEhloOverTlsThenQuit) {
  StartServer(Options());
  TestClient c(plain());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.ReadReply().code, 220);
  c.Send("EHLO client.test\r\n");
  smtp::Reply ehlo = c.ReadReply();
  ASSERT_EQ(ehlo.code, 250);
  EXPECT_TRUE(absl::StrContains(ehlo.Text(), "STARTTLS"));
  c.Send("STARTTLS\r\n");
  EXPECT_EQ(c.ReadReply().code, 220);
  ASSERT_TRUE(c.StartTls());
  tls::HandshakeInfo info = tls::ReadHandshakeInfo(c.ssl());
  EXPECT_EQ(info.version, TLS1_3_VERSION);
  c.Send("EHLO client.test\r\n");
  smtp::Reply ehlo2 = c.ReadReply();
  ASSERT_EQ(ehlo2.code, 250);
  EXPECT_FALSE(absl::StrContains(ehlo2.Text(), "STARTTLS"));
  c.Send("MAIL FROM:<a@client.test>\r\n");
  EXPECT_EQ(c.ReadReply().code, 250);
  c.Send("RCPT TO:<b@mx.test>\r\n");
  EXPECT_EQ(c.ReadReply().code, 250);
  c.Send("DATA\r\n");
  EXPECT_EQ(c.ReadReply().code, 354);
  c.Send("Subject: hi\r\n\r\n..dot-stuffed\r\n.\r\n");
  EXPECT_EQ(c.ReadReply().code, 250);
  c.Send("QUIT\r\n");
  EXPECT_EQ(c.ReadReply().code, 221);
  ServerStats stats = WaitClosed(1);
  EXPECT_EQ(stats.handshakes, 1u);
  EXPECT_EQ(stats.messages, 1u);
  EXPECT_EQ(stats.closed["quit"], 1u);
  EXPECT_EQ(stats.versions["TLSv1.3"], 1u);
}

TEST_F(ServerTest, PlaintextPipelinedBehindStarttlsIsDiscardedNotExecuted) {
  StartServer(Options());
  TestClient c(plain());
  EXPECT_EQ(c.ReadReply().code, 220);
  c.Send("EHLO client.test\r\n");
  EXPECT_EQ(c.ReadReply().code, 250);
  c.Send("STARTTLS\r\nNOOP\r\n");
  EXPECT_EQ(c.ReadReply().code, 220);
  EXPECT_TRUE(c.pending_empty()) << "the server answered the injected NOOP in plaintext";
  ASSERT_TRUE(c.StartTls());
  c.Send("EHLO again.test\r\n");
  smtp::Reply first = c.ReadReply();
  // Had NOOP been executed, its 250 would arrive first, inside TLS.
  ASSERT_EQ(first.code, 250);
  EXPECT_GT(first.lines.size(), 1u) << first.Text();
  ServerStats stats = server_->Stats();
  EXPECT_EQ(stats.starttls_discarded_bytes, 6u);
}

TEST_F(ServerTest, StarttlsBeforeEhloIsRefused) {
  StartServer(Options());
  TestClient c(plain());
  EXPECT_EQ(c.ReadReply().code, 220);
  c.Send("STARTTLS\r\n");
  EXPECT_EQ(c.ReadReply().code, 503);
}

TEST_F(ServerTest, StarttlsInsideTlsIsRefused) {
  StartServer(Options());
  TestClient c(plain());
  EXPECT_EQ(c.ReadReply().code, 220);
  c.Send("EHLO client.test\r\n");
  EXPECT_EQ(c.ReadReply().code, 250);
  c.Send("STARTTLS\r\n");
  EXPECT_EQ(c.ReadReply().code, 220);
  ASSERT_TRUE(c.StartTls());
  c.Send("EHLO client.test\r\n");
  EXPECT_EQ(c.ReadReply().code, 250);
  c.Send("STARTTLS\r\n");
  EXPECT_EQ(c.ReadReply().Class(), 5);
}

TEST_F(ServerTest, OverlongLineGets500AndTheSessionGoesOn) {
  StartServer(Options());
  TestClient c(plain());
  EXPECT_EQ(c.ReadReply().code, 220);
  c.Send("NOOP " + std::string(100000, 'x') + "\r\n");
  EXPECT_EQ(c.ReadReply().code, 500);
  c.Send("NOOP\r\n");
  EXPECT_EQ(c.ReadReply().code, 250);
}

TEST_F(ServerTest, IdleClientTimesOutWith421) {
  ServerOptions options = Options();
  options.command_timeout = absl::Milliseconds(200);
  StartServer(std::move(options));
  TestClient c(plain());
  EXPECT_EQ(c.ReadReply().code, 220);
  EXPECT_EQ(c.ReadReply().code, 421);
  EXPECT_TRUE(c.ReadsEof());
  EXPECT_EQ(WaitClosed(1).closed["timeout_command"], 1u);
}

TEST_F(ServerTest, SlowClientCannotKeepACommandOpenByTrickling) {
  ServerOptions options = Options();
  options.command_timeout = absl::Milliseconds(300);
  StartServer(std::move(options));
  TestClient c(plain());
  EXPECT_EQ(c.ReadReply().code, 220);
  for (int i = 0; i < 6; ++i) {
    c.SendUnchecked("N");  // one byte every 100 ms never completes a command
    usleep(100000);
  }
  EXPECT_EQ(WaitClosed(1).closed["timeout_command"], 1u);
}

TEST_F(ServerTest, SilentTlsClientTimesOutInTheHandshake) {
  ServerOptions options = Options();
  options.tls_timeout = absl::Milliseconds(200);
  StartServer(std::move(options));
  TestClient c(implicit());
  EXPECT_TRUE(c.ReadsEof());
  EXPECT_EQ(WaitClosed(1).closed["timeout_tls"], 1u);
}

TEST_F(ServerTest, ConnectionsOverTheCapGet421) {
  ServerOptions options = Options();
  options.max_connections = 1;
  options.threads = 1;
  StartServer(std::move(options));
  TestClient first(plain());
  EXPECT_EQ(first.ReadReply().code, 220);
  TestClient second(plain());
  EXPECT_EQ(second.ReadReply().code, 421);
  EXPECT_TRUE(second.ReadsEof());
  EXPECT_EQ(server_->Stats().rejected_over_capacity, 1u);
}

TEST_F(ServerTest, ImplicitTlsGreetsAfterTheHandshake) {
  StartServer(Options());
  TestClient c(implicit());
  ASSERT_TRUE(c.StartTls());
  EXPECT_EQ(c.ReadReply().code, 220);
  c.Send("EHLO client.test\r\n");
  smtp::Reply ehlo = c.ReadReply();
  EXPECT_EQ(ehlo.code, 250);
  EXPECT_FALSE(absl::StrContains(ehlo.Text(), "STARTTLS"));
}

TEST_F(ServerTest, AfterTlsCloseEndsTheSessionAfterTheHandshake) {
  ServerOptions options = Options();
  options.after_tls = ServerOptions::AfterTls::kClose;
  StartServer(std::move(options));
  TestClient c(implicit());
  ASSERT_TRUE(c.StartTls());
  EXPECT_TRUE(c.ReadsEof());
  ServerStats stats = WaitClosed(1);
  EXPECT_EQ(stats.closed["after_tls_close"], 1u);
  EXPECT_EQ(stats.handshakes, 1u);
}

TEST_F(ServerTest, GarbageInsteadOfClientHelloIsAHandshakeFailure) {
  StartServer(Options());
  TestClient c(implicit());
  c.Send("EHLO this is not TLS\r\n");
  EXPECT_TRUE(c.ReadsEof());
  ServerStats stats = WaitClosed(1);
  EXPECT_EQ(stats.closed["tls_failed"], 1u);
  EXPECT_EQ(stats.tls_failures.size(), 1u);
}

TEST_F(ServerTest, HostileBytesNeverCrashAndEndTheSession) {
  StartServer(Options());
  TestClient c(plain());
  EXPECT_EQ(c.ReadReply().code, 220);
  std::string junk;
  uint32_t x = 12345;
  for (int i = 0; i < 200000; ++i) {
    x = x * 1103515245 + 12345;
    junk.push_back(static_cast<char>(x >> 16));
    if (i % 97 == 0) junk += "\r\n";
  }
  c.Send(junk);
  // The server answers errors and gives up on a client that only errs.
  int last = 0;
  for (int i = 0; i < 100; ++i) {
    smtp::Reply r = c.ReadReply();
    if (r.code == 0) break;
    last = r.code;
  }
  EXPECT_EQ(last, 421);
  EXPECT_EQ(WaitClosed(1).closed.size(), 1u);
}

TEST_F(ServerTest, StopClosesOpenConnections) {
  StartServer(Options());
  TestClient c(plain());
  EXPECT_EQ(c.ReadReply().code, 220);
  WaitClosed(0);
  server_->Stop();
  EXPECT_TRUE(c.ReadsEof());
  EXPECT_EQ(server_->Stats().closed["shutdown"], 1u);
}

TEST_F(ServerTest, StallWindowDelaysTheBannerOfConnectionsAcceptedInIt) {
  ServerOptions options = Options();
  options.stall_after = absl::ZeroDuration();
  options.stall_for = absl::Seconds(30);
  options.stall_delay = absl::Milliseconds(300);
  StartServer(std::move(options));
  absl::Time start = absl::Now();
  TestClient c(plain());
  EXPECT_EQ(c.ReadReply().code, 220);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(290));
  c.Send("QUIT\r\n");
  EXPECT_EQ(c.ReadReply().code, 221);
}

TEST(ServerOptionsTest, RejectsMissingListenersAndCredentials) {
  ServerOptions options;
  EXPECT_FALSE(Server::Start(options).ok());
  options.listen.push_back(*net::SocketAddress::Parse("127.0.0.1:0"));
  absl::StatusOr<std::unique_ptr<Server>> s = Server::Start(options);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.status().message(), "certificate"));
}

}  // namespace
}  // namespace mailshake::server
