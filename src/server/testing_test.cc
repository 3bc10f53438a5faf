#include "src/server/testing.h"

#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "src/tls/tls.h"

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

}  // namespace
}  // namespace mailshake::server
