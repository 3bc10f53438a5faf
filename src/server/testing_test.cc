#include "src/server/testing.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "src/tls/tls.h"
#include "src/tls/transport.h"

namespace mailshake::server {
namespace {

std::unique_ptr<SteppedWorker> MakeWorker() {
  ServerOptions options;
  options.hostname = "stepped.test";
  options.command_timeout = absl::Seconds(30);
  absl::StatusOr<tls::Credential> credential =
      tls::GenerateSelfSigned(tls::KeyType::kEcdsaP256, "stepped.test");
  EXPECT_TRUE(credential.ok());
  options.tls.credentials.push_back(*std::move(credential));
  absl::StatusOr<std::unique_ptr<SteppedWorker>> worker = SteppedWorker::Create(options);
  EXPECT_TRUE(worker.ok()) << worker.status();
  return *std::move(worker);
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) out.append(buf, n);
  return out;
}

TEST(SteppedWorkerTest, ServesAConnectionOnTheCallersThreadAndCountsItsClose) {
  std::unique_ptr<SteppedWorker> worker = MakeWorker();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  worker->Serve(sv[0], /*implicit_tls=*/false);
  EXPECT_EQ(worker->open(), 1);
  EXPECT_TRUE(absl::StartsWith(ReadAll(sv[1]), "220 stepped.test "));

  ASSERT_EQ(send(sv[1], "NOOP\r\n", 6, 0), 6);
  worker->Step();
  EXPECT_TRUE(absl::StartsWith(ReadAll(sv[1]), "250 "));

  close(sv[1]);
  worker->Step();
  EXPECT_EQ(worker->open(), 0);
  ServerStats stats = worker->Stats();
  EXPECT_EQ(stats.connections, 1u);
  EXPECT_EQ(stats.open, 0u);
  EXPECT_EQ(stats.closed["client_closed"], 1u);
}

TEST(SteppedWorkerTest, IdleFiresOnlyTheDeadlinesItCovers) {
  std::unique_ptr<SteppedWorker> worker = MakeWorker();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  worker->Serve(sv[0], /*implicit_tls=*/false);
  ReadAll(sv[1]);
  worker->Idle(absl::Seconds(29));
  EXPECT_EQ(worker->open(), 1);
  worker->Idle(absl::Seconds(31));
  EXPECT_EQ(worker->open(), 0);
  EXPECT_EQ(worker->Stats().closed["timeout_command"], 1u);
  EXPECT_TRUE(absl::StrContains(ReadAll(sv[1]), "421 "));
  close(sv[1]);
}

TEST(SteppedWorkerTest, IdlesAddUpOnTheVirtualClockAndActivityRearms) {
  std::unique_ptr<SteppedWorker> worker = MakeWorker();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  worker->Serve(sv[0], /*implicit_tls=*/false);
  EXPECT_EQ(worker->Now(), absl::ZeroDuration());
  EXPECT_EQ(worker->NextDeadline(), absl::Seconds(30));
  ReadAll(sv[1]);
  worker->Idle(absl::Seconds(20));
  EXPECT_EQ(worker->Now(), absl::Seconds(20));
  // A reply re-arms the command deadline from the virtual now.
  ASSERT_EQ(send(sv[1], "NOOP\r\n", 6, 0), 6);
  worker->Step();
  EXPECT_TRUE(absl::StartsWith(ReadAll(sv[1]), "250 "));
  EXPECT_EQ(worker->NextDeadline(), absl::Seconds(50));
  worker->Idle(absl::Seconds(20));
  EXPECT_EQ(worker->open(), 1);
  // 20 s + 10 s: the deadline armed at 20 s passes exactly at 50 s.
  worker->Idle(absl::Seconds(10) - absl::Nanoseconds(1));
  EXPECT_EQ(worker->open(), 1);
  worker->Idle(absl::Nanoseconds(1));
  EXPECT_EQ(worker->open(), 0);
  EXPECT_EQ(worker->Stats().closed["timeout_command"], 1u);
  EXPECT_EQ(worker->NextDeadline(), absl::InfiniteDuration());
  close(sv[1]);
  // The next connection served alone starts the clock again.
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  worker->Serve(sv[0], /*implicit_tls=*/false);
  EXPECT_EQ(worker->Now(), absl::ZeroDuration());
  EXPECT_EQ(worker->NextDeadline(), absl::Seconds(30));
  close(sv[1]);
  worker->Step();
  EXPECT_EQ(worker->open(), 0);
}

TEST(SteppedWorkerTest, AHalfClosingClientGetsTheRepliesToWhatItSent) {
  std::unique_ptr<SteppedWorker> worker = MakeWorker();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  worker->Serve(sv[0], /*implicit_tls=*/false);
  ReadAll(sv[1]);
  // The commands and the end of the stream arrive in one read.
  ASSERT_EQ(send(sv[1], "NOOP\r\nHELO c\r\n", 14, 0), 14);
  ASSERT_EQ(shutdown(sv[1], SHUT_WR), 0);
  worker->Step();
  EXPECT_EQ(worker->open(), 0);
  std::string replies = ReadAll(sv[1]);
  EXPECT_TRUE(absl::StartsWith(replies, "250 ")) << replies;
  EXPECT_TRUE(absl::StrContains(replies, "\r\n250 stepped.test")) << replies;
  close(sv[1]);
}

// The client side of one connection to a stepped worker: each call sends
// |bytes| with one send, steps the worker once, and returns what it sent
// back.
std::string Exchange(SteppedWorker* worker, int fd, absl::string_view bytes) {
  EXPECT_EQ(send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  worker->Step();
  return ReadAll(fd);
}

// A TLS client whose flights each leave in one send, as mailshake bench
// sends them: its SSL reads and writes a tls::BufferTransport.
class FlightClient {
 public:
  FlightClient() {
    absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = tls::NewClientContext(tls::ClientConfig());
    EXPECT_TRUE(ctx.ok());
    ctx_ = *std::move(ctx);
    absl::StatusOr<bssl::UniquePtr<SSL>> ssl = tls::NewClientConnection(ctx_.get());
    EXPECT_TRUE(ssl.ok());
    ssl_ = *std::move(ssl);
    EXPECT_TRUE(tls::AttachBufferTransport(ssl_.get(), &transport_));
  }

  // Runs the handshake to its end over |fd|, one flight per Exchange.
  bool Handshake(SteppedWorker* worker, int fd) {
    for (int i = 0; i < 4; ++i) {
      int rc = SSL_do_handshake(ssl_.get());
      if (rc == 1) return true;
      if (SSL_get_error(ssl_.get(), rc) != SSL_ERROR_WANT_READ) return false;
      Receive(Exchange(worker, fd, TakeOutput()));
    }
    return false;
  }

  // Sends |command| over TLS (with anything the SSL still queued, such as its
  // Finished) and returns the plaintext answer.
  std::string Command(SteppedWorker* worker, int fd, absl::string_view command) {
    if (!command.empty()) {
      EXPECT_EQ(SSL_write(ssl_.get(), command.data(), static_cast<int>(command.size())),
                static_cast<int>(command.size()));
    }
    Receive(Exchange(worker, fd, TakeOutput()));
    std::string plain;
    char buf[4096];
    int n;
    while ((n = SSL_read(ssl_.get(), buf, sizeof(buf))) > 0) plain.append(buf, n);
    return plain;
  }

 private:
  std::string TakeOutput() {
    std::string out;
    out.swap(transport_.out);
    return out;
  }
  void Receive(std::string bytes) {
    received_ = std::move(bytes);
    transport_.in = received_;
  }

  bssl::UniquePtr<SSL_CTX> ctx_;
  bssl::UniquePtr<SSL> ssl_;
  tls::BufferTransport transport_;
  std::string received_;
};

TEST(SteppedWorkerTest, AStarttlsSessionCostsOneRecvAndOneSendPerFlight) {
  std::unique_ptr<SteppedWorker> worker = MakeWorker();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  worker->Serve(sv[0], /*implicit_tls=*/false);  // counted as one accept4
  worker->Step();
  EXPECT_TRUE(absl::StartsWith(ReadAll(sv[1]), "220 "));
  // Pipelined commands: one read, and their replies in one send.
  std::string replies = Exchange(worker.get(), sv[1], "EHLO c\r\nNOOP\r\nNOOP\r\n");
  EXPECT_TRUE(absl::EndsWith(replies, "\r\n250 2.0.0 OK\r\n250 2.0.0 OK\r\n")) << replies;
  EXPECT_TRUE(absl::StartsWith(Exchange(worker.get(), sv[1], "STARTTLS\r\n"), "220 "));
  FlightClient client;
  ASSERT_TRUE(client.Handshake(worker.get(), sv[1]));
  // The client's Finished and EHLO in one send; the session tickets and the
  // reply in one.
  EXPECT_TRUE(absl::StartsWith(client.Command(worker.get(), sv[1], "EHLO c\r\n"), "250-"));
  EXPECT_TRUE(absl::StartsWith(client.Command(worker.get(), sv[1], "QUIT\r\n"), "221 "));
  EXPECT_EQ(worker->open(), 0);
  ServerStats stats = worker->Stats();
  EXPECT_EQ(stats.closed["quit"], 1u);
  const net::SyscallCounts& c = stats.syscalls;
  EXPECT_EQ(c.accept, 1);
  EXPECT_EQ(c.epoll_ctl, 1);  // the registration, and no change after it
  EXPECT_EQ(c.recv, 5);       // EHLO, STARTTLS, ClientHello, Finished + EHLO, QUIT
  EXPECT_EQ(c.send, 6);       // banner, EHLO, 220, the server's flight, EHLO, 221
  EXPECT_EQ(c.close, 1);
  EXPECT_EQ(c.setsockopt + c.getsockopt, 0);
  EXPECT_EQ(c.Total(), 14);
  close(sv[1]);
}

TEST(SteppedWorkerTest, AnImplicitTlsSessionCostsOneRecvAndOneSendPerFlight) {
  std::unique_ptr<SteppedWorker> worker = MakeWorker();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  worker->Serve(sv[0], /*implicit_tls=*/true);
  FlightClient client;
  ASSERT_TRUE(client.Handshake(worker.get(), sv[1]));
  // The Finished brings the banner (with the session tickets).
  EXPECT_TRUE(absl::StartsWith(client.Command(worker.get(), sv[1], ""), "220 "));
  EXPECT_TRUE(absl::StartsWith(client.Command(worker.get(), sv[1], "EHLO c\r\n"), "250-"));
  EXPECT_TRUE(absl::StartsWith(client.Command(worker.get(), sv[1], "QUIT\r\n"), "221 "));
  EXPECT_EQ(worker->open(), 0);
  ServerStats stats = worker->Stats();
  EXPECT_EQ(stats.closed["quit"], 1u);
  EXPECT_EQ(stats.handshakes, 1u);
  const net::SyscallCounts& c = stats.syscalls;
  EXPECT_EQ(c.recv, 4);  // ClientHello, Finished, EHLO, QUIT
  EXPECT_EQ(c.send, 4);  // the server's flight, banner, EHLO, 221
  EXPECT_EQ(c.Total(), 11);  // with accept4, epoll_ctl and close
  close(sv[1]);
}

}  // namespace
}  // namespace mailshake::server
