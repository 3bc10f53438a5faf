#include "src/tls/transport.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

#include "gtest/gtest.h"
#include "src/tls/tls.h"

namespace mailshake::tls {
namespace {

struct Side {
  bssl::UniquePtr<SSL> ssl;
  BufferTransport transport;
  std::string inbox;  // received, fed to |transport.in| in steps
};

class BufferTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Credential> cred = GenerateSelfSigned(KeyType::kEcdsaP256, "t.test");
    ASSERT_TRUE(cred.ok()) << cred.status();
    ServerConfig sc;
    sc.credentials.push_back(*cred);
    absl::StatusOr<bssl::UniquePtr<SSL_CTX>> sctx = NewServerContext(sc);
    absl::StatusOr<bssl::UniquePtr<SSL_CTX>> cctx = NewClientContext(ClientConfig());
    ASSERT_TRUE(sctx.ok() && cctx.ok());
    server_ctx_ = std::move(*sctx);
    client_ctx_ = std::move(*cctx);
    absl::StatusOr<bssl::UniquePtr<SSL>> c = NewClientConnection(client_ctx_.get(), false);
    absl::StatusOr<bssl::UniquePtr<SSL>> s = NewServerConnection(server_ctx_.get());
    ASSERT_TRUE(c.ok() && s.ok());
    client_.ssl = std::move(*c);
    server_.ssl = std::move(*s);
    ASSERT_TRUE(AttachBufferTransport(client_.ssl.get(), &client_.transport));
    ASSERT_TRUE(AttachBufferTransport(server_.ssl.get(), &server_.transport));
  }

  // Moves what |from| queued to |to|'s inbox; returns how many bytes.
  static size_t Deliver(Side* from, Side* to) {
    size_t n = from->transport.out.size();
    to->inbox += from->transport.out;
    from->transport.out.clear();
    return n;
  }

  // Runs SSL_do_handshake on |side| over its inbox |step| bytes at a time;
  // returns its last result. Everything fed must be consumed.
  static int Drive(Side* side, size_t step) {
    int rc = SSL_do_handshake(side->ssl.get());
    size_t off = 0;
    while (rc != 1 && off < side->inbox.size()) {
      size_t n = std::min(step, side->inbox.size() - off);
      side->transport.in = absl::string_view(side->inbox.data() + off, n);
      off += n;
      rc = SSL_do_handshake(side->ssl.get());
      if (rc != 1) {
        EXPECT_EQ(SSL_get_error(side->ssl.get(), rc), SSL_ERROR_WANT_READ);
        EXPECT_TRUE(side->transport.in.empty());
      }
    }
    side->inbox.erase(0, off - side->transport.in.size());
    side->transport.in = absl::string_view();
    return rc;
  }

  bssl::UniquePtr<SSL_CTX> server_ctx_, client_ctx_;
  Side client_, server_;
};

TEST_F(BufferTransportTest, HandshakeOverBuffersOneFlightPerDirection) {
  EXPECT_EQ(Drive(&client_, 1 << 20), -1);
  // The whole ClientHello was queued by one handshake step, none sent.
  EXPECT_GT(Deliver(&client_, &server_), 0u);
  EXPECT_EQ(Drive(&server_, 1 << 20), -1);
  EXPECT_GT(Deliver(&server_, &client_), 0u);
  EXPECT_EQ(Drive(&client_, 1 << 20), 1);
  EXPECT_GT(Deliver(&client_, &server_), 0u);  // the client's Finished
  EXPECT_EQ(Drive(&server_, 1 << 20), 1);
}

TEST_F(BufferTransportTest, RecordsSplitIntoSingleBytesStillComplete) {
  Drive(&client_, 1);
  Deliver(&client_, &server_);
  Drive(&server_, 1);
  Deliver(&server_, &client_);
  EXPECT_EQ(Drive(&client_, 1), 1);
  Deliver(&client_, &server_);
  EXPECT_EQ(Drive(&server_, 1), 1);
}

TEST_F(BufferTransportTest, ReadLeavesWhatFollowsTheRecordItNeeds) {
  Drive(&client_, 1 << 20);
  Deliver(&client_, &server_);
  Drive(&server_, 1 << 20);
  Deliver(&server_, &client_);
  // Plaintext after the server's flight stays in |in| for the caller.
  client_.inbox += "after";
  client_.transport.in = client_.inbox;
  EXPECT_EQ(SSL_do_handshake(client_.ssl.get()), 1);
  EXPECT_EQ(client_.transport.in, "after");
}

TEST_F(BufferTransportTest, EndOfFileAndErrorsReachTheCaller) {
  Drive(&client_, 1 << 20);
  server_.transport.eof = true;
  int rc = SSL_do_handshake(server_.ssl.get());
  EXPECT_EQ(SSL_get_error(server_.ssl.get(), rc), SSL_ERROR_SYSCALL);
  ERR_clear_error();

  client_.transport.error = ECONNRESET;
  errno = 0;
  rc = SSL_do_handshake(client_.ssl.get());
  EXPECT_EQ(SSL_get_error(client_.ssl.get(), rc), SSL_ERROR_SYSCALL);
  EXPECT_EQ(errno, ECONNRESET);
  ERR_clear_error();
}

}  // namespace
}  // namespace mailshake::tls
