// The engine against servers that misbehave: every attempt must end in the
// outcome that names what the server did wrong, the counts must reconcile,
// and no run may hang, whatever the server does.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "src/engine/engine.h"
#include "src/engine/hostile_server.h"
#include "src/net/socket.h"
#include "src/tls/tls.h"

namespace mailshake::engine {
namespace {

constexpr int kHandshakes = 6;
constexpr int kConcurrency = 2;
constexpr absl::Duration kPhaseTimeout = absl::Milliseconds(300);
// No run in this file should take more than a fraction of this, even under
// sanitizers; a hang shows as a failure rather than a test timeout.
constexpr absl::Duration kRunLimit = absl::Seconds(10);

class HostileTest : public testing::Test {
 protected:
  void StartServer(Misbehaviour misbehaviour) {
    HostileServerOptions options;
    options.misbehaviour = misbehaviour;
    absl::StatusOr<std::unique_ptr<HostileServer>> server = HostileServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  RunSpec Spec() const {
    RunSpec spec;
    spec.target.host = "127.0.0.1";
    spec.target.address = server_->address();
    spec.threads = 1;
    spec.concurrency = kConcurrency;
    spec.handshakes = kHandshakes;
    spec.duration = absl::ZeroDuration();
    spec.connect_timeout = kPhaseTimeout;
    spec.phase_timeout = kPhaseTimeout;
    return spec;
  }

  // Run runs |spec| to its end, recording how long that took in |elapsed_|.
  // A run that has not ended after |kRunLimit| is a failure; it is aborted.
  RunResult Run(const RunSpec& spec) {
    absl::Time start = absl::Now();
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Start(spec);
    EXPECT_TRUE(engine.ok()) << engine.status();
    if (!engine.ok()) return RunResult();
    bool ended = (*engine)->Wait(kRunLimit);
    EXPECT_TRUE(ended) << "the run against " << spec.target.address.ToString()
                       << " did not end within " << kRunLimit;
    if (!ended) {
      (*engine)->Stop(/*abort=*/true);
      (*engine)->Wait(absl::Seconds(5));
    }
    elapsed_ = absl::Now() - start;
    return (*engine)->TakeResult();
  }

  // ExpectEveryAttemptFailedAs checks that the run made |kHandshakes|
  // attempts, reconciled, and that each one ended as |outcome|.
  static void ExpectEveryAttemptFailedAs(const RunResult& r, absl::string_view outcome) {
    EXPECT_EQ(r.attempted, kHandshakes);
    EXPECT_EQ(r.attempted, r.succeeded + r.failed);
    EXPECT_EQ(r.outcomes.Total(), r.attempted);
    EXPECT_EQ(r.succeeded, 0);
    EXPECT_EQ(r.outcomes.Get(outcome), kHandshakes)
        << "expected " << outcome << ", got " << r.outcomes.ToJson().dump();
    EXPECT_FALSE(r.interrupted);
    EXPECT_EQ(r.phases.phase(kTotal).Count(), 0) << "failures must not be timed as successes";
  }

  // WriteTrustAnchor writes the server's certificate to a file for
  // ClientConfig::trust_anchors_pem_path and returns its path.
  std::string WriteTrustAnchor() const {
    const testing::TestInfo* test = testing::UnitTest::GetInstance()->current_test_info();
    std::string path = absl::StrCat(testing::TempDir(), "/", test->name(), "_anchor.pem");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << server_->certificate_pem();
    out.close();
    EXPECT_TRUE(out.good()) << "cannot write " << path;
    return path;
  }

  std::unique_ptr<HostileServer> server_;
  absl::Duration elapsed_;
};

// The controls: the same server code, behaving, gives successes, so the
// failures below come from the misbehaviours and not from the harness.

TEST_F(HostileTest, WellBehavedServerCompletesEveryHandshake) {
  StartServer(Misbehaviour::kNone);
  RunResult r = Run(Spec());
  EXPECT_EQ(r.attempted, kHandshakes);
  EXPECT_EQ(r.succeeded, kHandshakes) << r.outcomes.ToJson().dump();
  EXPECT_EQ(r.outcomes.Get("ok"), kHandshakes);
  EXPECT_EQ(server_->Stats().handshakes, kHandshakes);
  EXPECT_LT(elapsed_, kRunLimit);
}

TEST_F(HostileTest, CertificateNamingTheDialledHostPassesNameVerification) {
  StartServer(Misbehaviour::kNone);
  RunSpec spec = Spec();
  spec.tls.verify = tls::ClientConfig::Verify::kName;
  spec.tls.trust_anchors_pem_path = WriteTrustAnchor();
  spec.tls.server_name = "mx.hostile.test";
  RunResult r = Run(spec);
  EXPECT_EQ(r.succeeded, kHandshakes) << r.outcomes.ToJson().dump();
}

// Certificates.

TEST_F(HostileTest, CertificateForAnotherNameIsRejectedUnderNameVerification) {
  StartServer(Misbehaviour::kNone);
  RunSpec spec = Spec();
  spec.tls.verify = tls::ClientConfig::Verify::kName;
  spec.tls.trust_anchors_pem_path = WriteTrustAnchor();
  spec.tls.server_name = "mail.other.test";
  RunResult r = Run(spec);
  ExpectEveryAttemptFailedAs(r, "certificate_rejected:Hostname_mismatch");
  EXPECT_EQ(server_->Stats().handshakes, 0);
}

// The banner.

TEST_F(HostileTest, GarbageBannerIsAProtocolViolation) {
  StartServer(Misbehaviour::kGarbageBanner);
  ExpectEveryAttemptFailedAs(Run(Spec()), "protocol_violation:bad_code");
}

TEST_F(HostileTest, BinaryBannerWithNulIsAProtocolViolation) {
  StartServer(Misbehaviour::kBinaryBanner);
  ExpectEveryAttemptFailedAs(Run(Spec()), "protocol_violation:nul_byte");
}

TEST_F(HostileTest, EndlessBannerLineIsCutOffAtTheLineLimit) {
  StartServer(Misbehaviour::kEndlessBanner);
  ExpectEveryAttemptFailedAs(Run(Spec()), "protocol_violation:line_too_long");
}

// EHLO and STARTTLS.

TEST_F(HostileTest, HundredThousandLineEhloReplyIsCutOffAtTheLineCountLimit) {
  StartServer(Misbehaviour::kHugeEhloReply);
  ExpectEveryAttemptFailedAs(Run(Spec()), "protocol_violation:too_many_lines");
}

TEST_F(HostileTest, EhloWithoutStarttlsIsStarttlsNotOffered) {
  StartServer(Misbehaviour::kNoStartTls);
  ExpectEveryAttemptFailedAs(Run(Spec()), "starttls_not_offered");
}

TEST_F(HostileTest, StarttlsAnswered454IsStarttlsRefusedWithTheCode) {
  StartServer(Misbehaviour::kStartTlsRefused);
  ExpectEveryAttemptFailedAs(Run(Spec()), "starttls_refused:454");
}

TEST_F(HostileTest, BytesAfterThe220ToStarttlsAreReportedAsInjection) {
  StartServer(Misbehaviour::kStartTlsInjection);
  ExpectEveryAttemptFailedAs(Run(Spec()), "protocol_violation:starttls_injection");
}

TEST_F(HostileTest, ReplyBeforeItsCommandIsAProtocolViolationNotASuccess) {
  StartServer(Misbehaviour::kReplyBeforeCommand);
  ExpectEveryAttemptFailedAs(Run(Spec()), "protocol_violation:reply_before_command");
  EXPECT_EQ(server_->Stats().handshakes, 0) << "the client went on to TLS on the early 220";
}

// The handshake.

TEST_F(HostileTest, CloseAfterTheClientHelloIsClosedByServerInTls) {
  StartServer(Misbehaviour::kCloseMidHandshake);
  ExpectEveryAttemptFailedAs(Run(Spec()), "closed_by_server:tls");
  EXPECT_EQ(server_->Stats().client_hellos, kHandshakes);
}

TEST_F(HostileTest, Tls10OnlyServerRefusesWithProtocolVersionAlert) {
  StartServer(Misbehaviour::kTls10Only);
  ExpectEveryAttemptFailedAs(Run(Spec()), "tls_alert:protocol_version");
}

TEST_F(HostileTest, Tls10ServerHelloIsRejectedAsUnsupportedProtocol) {
  StartServer(Misbehaviour::kLegacyTls10ServerHello);
  ExpectEveryAttemptFailedAs(Run(Spec()), "tls_error:UNSUPPORTED_PROTOCOL");
  EXPECT_EQ(server_->Stats().client_hellos, kHandshakes);
}

TEST_F(HostileTest, ServerWithoutForwardSecretSuitesFailsTheHandshake) {
  StartServer(Misbehaviour::kNonForwardSecretOnly);
  RunSpec spec = Spec();
  // Only ECDHE suites for TLS 1.2; TLS 1.3 (always forward secret) is offered
  // too, and the server does not speak it.
  spec.tls.ciphers = "ECDHE-RSA-AES128-GCM-SHA256,ECDHE-ECDSA-AES128-GCM-SHA256";
  ExpectEveryAttemptFailedAs(Run(spec), "tls_alert:handshake_failure");
}

// After the handshake: the TLS 1.3 client finishes before the server has
// judged its (missing) certificate, and learns of the refusal from an alert
// while reading the reply to QUIT. The alert keeps its name.
TEST_F(HostileTest, CertificateRequiredAlertAfterTheHandshakeKeepsItsName) {
  StartServer(Misbehaviour::kRequireClientCertificate);
  ExpectEveryAttemptFailedAs(Run(Spec()), "tls_alert:certificate_required");
}

TEST_F(HostileTest, CertificateRequiredAlertWhileReadingThePostTlsEhloReply) {
  StartServer(Misbehaviour::kRequireClientCertificate);
  RunSpec spec = Spec();
  spec.smtp.after_tls = smtp::ClientOptions::kEhlo;
  ExpectEveryAttemptFailedAs(Run(spec), "tls_alert:certificate_required");
}

// Connection-level failures.

TEST_F(HostileTest, ResetOnAcceptIsAReset) {
  StartServer(Misbehaviour::kResetOnConnect);
  RunResult r = Run(Spec());
  EXPECT_EQ(r.attempted, kHandshakes);
  EXPECT_EQ(r.attempted, r.succeeded + r.failed);
  EXPECT_EQ(r.succeeded, 0);
  // The RST may beat the engine's look at the finished connect ("connect")
  // or arrive while it waits for the banner ("banner"); it is a reset either
  // way.
  EXPECT_EQ(r.outcomes.Get("reset:connect") + r.outcomes.Get("reset:banner"), kHandshakes)
      << r.outcomes.ToJson().dump();
}

// Stalls: each ends by the phase timeout of the phase the server stalls in,
// so a run of kHandshakes attempts, kConcurrency at a time, takes about
// kHandshakes / kConcurrency phase timeouts.

class HostileStallTest : public HostileTest {
 protected:
  void ExpectStallEndsByTimeoutIn(Misbehaviour misbehaviour, absl::string_view outcome) {
    StartServer(misbehaviour);
    if (server_ == nullptr) return;
    RunResult r = Run(Spec());
    ExpectEveryAttemptFailedAs(r, outcome);
    const absl::Duration rounds = kPhaseTimeout * (kHandshakes / kConcurrency);
    EXPECT_GE(elapsed_, rounds * 0.9);
    EXPECT_LT(elapsed_, rounds + absl::Seconds(3)) << "stalled sessions outlived their timeout";
  }
};

TEST_F(HostileStallTest, SilenceBeforeTheBannerTimesOutInBanner) {
  ExpectStallEndsByTimeoutIn(Misbehaviour::kStallBeforeBanner, "timeout:banner");
}

TEST_F(HostileStallTest, UnansweredEhloTimesOutInEhlo) {
  ExpectStallEndsByTimeoutIn(Misbehaviour::kStallAtEhlo, "timeout:ehlo");
}

TEST_F(HostileStallTest, UnansweredStarttlsTimesOutInStarttls) {
  ExpectStallEndsByTimeoutIn(Misbehaviour::kStallAtStartTls, "timeout:starttls");
}

TEST_F(HostileStallTest, UnansweredClientHelloTimesOutInTls) {
  ExpectStallEndsByTimeoutIn(Misbehaviour::kStallInHandshake, "timeout:tls");
  EXPECT_EQ(server_->Stats().client_hellos, kHandshakes);
}

// The server's own contract: it never outlives its destructor, whatever its
// connections are doing.

TEST(HostileServerTest, DestructorEndsStalledConnectionsPromptly) {
  HostileServerOptions options;
  options.misbehaviour = Misbehaviour::kStallBeforeBanner;
  absl::StatusOr<std::unique_ptr<HostileServer>> server = HostileServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE((*server)->address().IsLoopback());

  int err = 0;
  net::UniqueFd client = net::StartConnect((*server)->address(), nullptr, &err);
  ASSERT_TRUE(client.valid()) << strerror(err);
  // Wait until the server has taken the connection into a stall.
  for (int i = 0; i < 200 && (*server)->Stats().connections == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ((*server)->Stats().connections, 1);

  absl::Time start = absl::Now();
  server->reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));

  // The stalled connection was closed, not leaked: the client sees the end.
  pollfd p = {client.get(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1);
  char c;
  EXPECT_EQ(recv(client.get(), &c, 1, 0), 0);
}

TEST(HostileServerTest, RejectsAConnectionBoundOutOfRange) {
  HostileServerOptions options;
  options.max_connections = 0;
  EXPECT_FALSE(HostileServer::Start(options).ok());
}

}  // namespace
}  // namespace mailshake::engine
