#include "src/outcome/outcome.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "gtest/gtest.h"
#include "src/tls/memory_pair.h"
#include "src/tls/tls.h"

namespace mailshake::outcome {
namespace {

TEST(ErrnoCategoryTest, NamesSystemCallFailuresByPhase) {
  EXPECT_EQ(ErrnoCategory(ECONNREFUSED, "connect"), "connect_refused");
  EXPECT_EQ(ErrnoCategory(ETIMEDOUT, "connect"), "connect_timeout");
  EXPECT_EQ(ErrnoCategory(ETIMEDOUT, "banner"), "timeout:banner");
  EXPECT_EQ(ErrnoCategory(ECONNRESET, "tls"), "reset:tls");
  EXPECT_EQ(ErrnoCategory(EPIPE, "ehlo"), "closed_by_server:ehlo");
  EXPECT_EQ(ErrnoCategory(EMFILE, "connect"), "local_resource:emfile");
  EXPECT_EQ(ErrnoCategory(EHOSTUNREACH, "connect"), "connect_error:ehostunreach");
  EXPECT_EQ(ErrnoCategory(EIO, "post_tls"), "io_error:eio");
}

TEST(CertificateRejectedCategoryTest, UsesBoringSslsReasonWithUnderscores) {
  EXPECT_EQ(CertificateRejectedCategory(X509_V_ERR_HOSTNAME_MISMATCH),
            "certificate_rejected:Hostname_mismatch");
}

// A TLS 1.3 server that requires a client certificate decides after the
// client has finished its handshake, so the client first learns of it from
// the certificate_required alert on its next read: the alert must keep its
// name there too, not become a generic error of the phase.
TEST(TlsFailureCategoryTest, CertificateRequiredAlertAfterTheHandshakeKeepsItsName) {
  absl::StatusOr<tls::Credential> credential =
      tls::GenerateSelfSigned(tls::KeyType::kEcdsaP256, "mx.example.test");
  ASSERT_TRUE(credential.ok()) << credential.status();
  tls::ServerConfig server;
  server.credentials.push_back(*std::move(credential));
  server.min_version = TLS1_3_VERSION;
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> server_ctx = tls::NewServerContext(server);
  ASSERT_TRUE(server_ctx.ok()) << server_ctx.status();
  SSL_CTX_set_custom_verify(server_ctx->get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                            [](SSL*, uint8_t*) { return ssl_verify_ok; });
  tls::ClientConfig client;
  client.resumption = tls::ClientConfig::Resumption::kOff;
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> client_ctx = tls::NewClientContext(client);
  ASSERT_TRUE(client_ctx.ok()) << client_ctx.status();
  absl::StatusOr<tls::MemoryPair> pair =
      tls::MemoryPair::Create(client_ctx->get(), server_ctx->get());
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_FALSE(pair->Handshake().ok()) << "the server must refuse a client without certificate";
  ERR_clear_error();
  ASSERT_EQ(SSL_is_init_finished(pair->client()), 1) << "the client's TLS 1.3 handshake completed";

  char buf[64];
  const int rc = SSL_read(pair->client(), buf, sizeof(buf));
  ASSERT_LE(rc, 0);
  const int ssl_error = SSL_get_error(pair->client(), rc);
  EXPECT_EQ(TlsFailureCategory(pair->client(), ssl_error, 0, "post_tls"),
            "tls_alert:certificate_required");
  ERR_clear_error();
}

TEST(TlsFailureCategoryTest, PeerThatJustWentAwayIsClosedByServerInThePhase) {
  tls::ClientConfig client;
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = tls::NewClientContext(client);
  ASSERT_TRUE(ctx.ok());
  absl::StatusOr<bssl::UniquePtr<SSL>> ssl = tls::NewClientConnection(ctx->get(), false);
  ASSERT_TRUE(ssl.ok());
  ERR_clear_error();
  EXPECT_EQ(TlsFailureCategory(ssl->get(), SSL_ERROR_SYSCALL, 0, "banner"),
            "closed_by_server:banner");
  EXPECT_EQ(TlsFailureCategory(ssl->get(), SSL_ERROR_SYSCALL, ECONNRESET, "tls"), "reset:tls");
}

TEST(Rfc8460ResultTypeTest, MapsEachFailureCategoryToItsResultType) {
  EXPECT_EQ(Rfc8460ResultType("ok"), "");
  EXPECT_EQ(Rfc8460ResultType("starttls_not_offered"), "starttls-not-supported");
  EXPECT_EQ(Rfc8460ResultType("starttls_refused:454"), "starttls-not-supported");
  EXPECT_EQ(Rfc8460ResultType(CertificateRejectedCategory(X509_V_ERR_HOSTNAME_MISMATCH)),
            "certificate-host-mismatch");
  EXPECT_EQ(Rfc8460ResultType(CertificateRejectedCategory(X509_V_ERR_CERT_HAS_EXPIRED)),
            "certificate-expired");
  EXPECT_EQ(Rfc8460ResultType(CertificateRejectedCategory(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)),
            "certificate-not-trusted");
  EXPECT_EQ(
      Rfc8460ResultType(CertificateRejectedCategory(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)),
      "certificate-not-trusted");
  EXPECT_EQ(Rfc8460ResultType(CertificateRejectedCategory(X509_V_ERR_CERT_SIGNATURE_FAILURE)),
            "validation-failure");
  EXPECT_EQ(Rfc8460ResultType("tls_alert:handshake_failure"), "validation-failure");
  EXPECT_EQ(Rfc8460ResultType("tls_error:UNSUPPORTED_PROTOCOL"), "validation-failure");
  EXPECT_EQ(Rfc8460ResultType("timeout:tls"), "validation-failure");
  EXPECT_EQ(Rfc8460ResultType("closed_by_server:tls"), "validation-failure");
  // Not TLS negotiation failures.
  EXPECT_EQ(Rfc8460ResultType("connect_refused"), "");
  EXPECT_EQ(Rfc8460ResultType("timeout:banner"), "");
  EXPECT_EQ(Rfc8460ResultType("banner_rejected:554"), "");
  EXPECT_EQ(Rfc8460ResultType("protocol_violation:line_too_long"), "");
  EXPECT_EQ(Rfc8460ResultType("local_resource:emfile"), "");
}

}  // namespace
}  // namespace mailshake::outcome
