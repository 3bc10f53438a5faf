#include "src/engine/engine.h"

#include <sched.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/net/socket.h"
#include "src/server/server.h"
#include "src/tls/tls.h"

namespace mailshake::engine {
namespace {

class EngineTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    credential_ = new tls::Credential(
        *tls::GenerateSelfSigned(tls::KeyType::kEcdsaP256, "mx.test"));
  }

  void StartServer(server::ServerOptions::AfterTls after = server::ServerOptions::AfterTls::kAccept) {
    server::ServerOptions options;
    options.listen.push_back(*net::SocketAddress::Parse("127.0.0.1:0"));
    options.listen_implicit.push_back(*net::SocketAddress::Parse("127.0.0.1:0"));
    options.tls.credentials.push_back(*credential_);
    options.threads = 1;
    options.after_tls = after;
    server_ = *server::Server::Start(std::move(options));
  }

  RunSpec Spec(bool implicit = false) {
    RunSpec spec;
    spec.target.implicit_tls = implicit;
    spec.target.host = "127.0.0.1";
    spec.target.address = implicit ? server_->implicit_tls_addresses()[0]
                                   : server_->starttls_addresses()[0];
    spec.smtp.implicit_tls = implicit;
    spec.threads = 2;
    spec.concurrency = 4;
    spec.handshakes = 40;
    spec.duration = absl::ZeroDuration();
    return spec;
  }

  RunResult RunToEnd(const RunSpec& spec) {
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Start(spec);
    EXPECT_TRUE(engine.ok()) << engine.status();
    if (!engine.ok()) return RunResult();
    EXPECT_TRUE((*engine)->Wait(absl::Seconds(60)));
    return (*engine)->TakeResult();
  }

  static void ExpectReconciled(const RunResult& r) {
    EXPECT_EQ(r.attempted, r.succeeded + r.failed);
    EXPECT_EQ(r.outcomes.Total(), r.attempted);
    EXPECT_EQ(r.outcomes.Get("ok"), r.succeeded);
  }

  static tls::Credential* credential_;
  std::unique_ptr<server::Server> server_;
};

// Pins the calling thread, and so every thread it starts afterwards, to the
// CPU it runs on; restores the previous mask when destroyed. With client and
// server on one CPU, the server answers each flight while the client is still
// inside the call that sent it, so the peer's whole flight is already waiting
// when the client reads.
class PinToOneCpu {
 public:
  PinToOneCpu() {
    CPU_ZERO(&saved_);
    sched_getaffinity(0, sizeof(saved_), &saved_);
    cpu_set_t one;
    CPU_ZERO(&one);
    int cpu = sched_getcpu();
    CPU_SET(cpu < 0 ? 0 : cpu, &one);
    sched_setaffinity(0, sizeof(one), &one);
  }
  ~PinToOneCpu() { sched_setaffinity(0, sizeof(saved_), &saved_); }

 private:
  cpu_set_t saved_;
};

tls::Credential* EngineTest::credential_ = nullptr;

TEST_F(EngineTest, StarttlsRunCompletesExactlyTheAskedHandshakes) {
  StartServer();
  RunResult r = RunToEnd(Spec());
  ExpectReconciled(r);
  EXPECT_EQ(r.attempted, 40);
  EXPECT_EQ(r.succeeded, 40) << r.outcomes.ToJson().dump();
  EXPECT_EQ(r.versions.Get("TLSv1.3"), 40);
  EXPECT_EQ(r.peer_keys.Get("ECDSA-P-256"), 40);
  for (int p : {kConnect, kBanner, kEhlo, kStartTls, kTls, kPostTls, kTotal}) {
    EXPECT_EQ(r.phases.phase(p).Count(), 40) << PhaseName(p);
  }
  EXPECT_GT(r.client_cpu_seconds, 0);
  EXPECT_EQ(server_->Stats().handshakes, 40u);
}

TEST_F(EngineTest, ImplicitTlsSkipsTheStarttlsPhases) {
  StartServer();
  RunResult r = RunToEnd(Spec(/*implicit=*/true));
  ExpectReconciled(r);
  EXPECT_EQ(r.succeeded, 40) << r.outcomes.ToJson().dump();
  EXPECT_EQ(r.phases.phase(kStartTls).Count(), 0);
  EXPECT_EQ(r.phases.phase(kTls).Count(), 40);
}

TEST_F(EngineTest, TlsTargetHandshakesAndClosesWithoutSmtp) {
  StartServer();
  RunSpec spec = Spec(/*implicit=*/true);
  spec.target.tls_only = true;
  RunResult r = RunToEnd(spec);
  ExpectReconciled(r);
  EXPECT_EQ(r.succeeded, 40) << r.outcomes.ToJson().dump();
  EXPECT_EQ(r.versions.Get("TLSv1.3"), 40);
  for (int p : {kConnect, kTls, kTotal}) EXPECT_EQ(r.phases.phase(p).Count(), 40) << PhaseName(p);
  for (int p : {kBanner, kEhlo, kStartTls, kPostTls}) {
    EXPECT_EQ(r.phases.phase(p).Count(), 0) << PhaseName(p);
  }
  EXPECT_EQ(server_->Stats().handshakes, 40u);
  // The server never saw a command: every session ended at the client's close.
  EXPECT_EQ(server_->Stats().closed.count("quit"), 0u);
}

TEST_F(EngineTest, QuickAckSessionsCompleteLikeOthers) {
  StartServer();
  for (bool implicit : {false, true}) {
    RunSpec spec = Spec(implicit);
    spec.quickack = true;
    RunResult r = RunToEnd(spec);
    ExpectReconciled(r);
    EXPECT_EQ(r.succeeded, 40) << r.outcomes.ToJson().dump();
  }
}

TEST_F(EngineTest, ForcedTls12SuiteAndGroupAreNegotiated) {
  StartServer();
  RunSpec spec = Spec();
  spec.tls.max_version = TLS1_2_VERSION;
  spec.tls.ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305";
  spec.tls.groups = "P-256";
  RunResult r = RunToEnd(spec);
  ExpectReconciled(r);
  EXPECT_EQ(r.succeeded, 40) << r.outcomes.ToJson().dump();
  EXPECT_EQ(r.versions.Get("TLSv1.2"), 40);
  EXPECT_EQ(r.groups.Get("P-256"), 40);
  EXPECT_EQ(r.cipher_suites.size(), 1u);
}

TEST_F(EngineTest, TicketResumptionResumesAfterTheFirstHandshake) {
  StartServer();
  RunSpec spec = Spec();
  spec.threads = 1;
  spec.concurrency = 1;
  spec.tls.resumption = tls::ClientConfig::Resumption::kTicket;
  spec.resume_ratio = 1.0;
  RunResult r = RunToEnd(spec);
  ExpectReconciled(r);
  EXPECT_EQ(r.succeeded, 40);
  EXPECT_GE(r.resumption.Get("resumed"), 30) << r.resumption.ToJson().dump();
}

TEST_F(EngineTest, RefusedConnectionsAreCountedNotRetriedForever) {
  absl::StatusOr<net::UniqueFd> l =
      net::Listen(*net::SocketAddress::Parse("127.0.0.1:0"), 1, false);
  net::SocketAddress closed = *net::LocalAddress(l->get());
  l->reset();
  RunSpec spec;
  spec.target.host = "127.0.0.1";
  spec.target.address = closed;
  spec.threads = 1;
  spec.concurrency = 2;
  spec.handshakes = 25;
  RunResult r = RunToEnd(spec);
  ExpectReconciled(r);
  EXPECT_EQ(r.attempted, 25);
  EXPECT_EQ(r.outcomes.Get("connect_refused"), 25);
}

TEST_F(EngineTest, ServerClosingAfterTheHandshakeIsAFailureInPostTls) {
  StartServer(server::ServerOptions::AfterTls::kClose);
  RunSpec spec = Spec();
  spec.handshakes = 10;
  spec.smtp.after_tls = smtp::ClientOptions::kEhlo;  // QUIT alone would end well
  RunResult r = RunToEnd(spec);
  ExpectReconciled(r);
  EXPECT_EQ(r.failed, 10);
  EXPECT_EQ(r.outcomes.Get("closed_by_server:post_tls"), 10) << r.outcomes.ToJson().dump();
}

TEST_F(EngineTest, OpenLoopKeepsTheScheduleAndRecordsLag) {
  StartServer();
  RunSpec spec = Spec();
  spec.handshakes = 0;
  spec.duration = absl::Seconds(1);
  spec.rate = 50;
  spec.concurrency = 50;
  RunResult r = RunToEnd(spec);
  ExpectReconciled(r);
  EXPECT_GE(r.attempted, 45);
  EXPECT_LE(r.attempted, 55);
  EXPECT_EQ(r.schedule_lag.Count(), r.attempted);
}

TEST_F(EngineTest, StopEndsARunEarlyWithEveryAttemptAccountedFor) {
  StartServer();
  RunSpec spec = Spec();
  spec.handshakes = 0;
  spec.duration = absl::Seconds(60);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Start(spec);
  ASSERT_TRUE(engine.ok());
  absl::SleepFor(absl::Milliseconds(300));
  (*engine)->Stop(/*abort=*/false);
  ASSERT_TRUE((*engine)->Wait(absl::Seconds(10)));
  RunResult r = (*engine)->TakeResult();
  ExpectReconciled(r);
  EXPECT_TRUE(r.interrupted);
  EXPECT_GT(r.succeeded, 0);
}

// A TLS handshake costs the client well over 50 us of CPU (key share,
// signature check, key schedule), so no session's TLS phase can be shorter.
constexpr int64_t kHandshakeFloorNs = 50 * 1000;

TEST_F(EngineTest, EachPhaseGetsItsOwnTimeWhenThePeersFlightIsAlreadyWaiting) {
  PinToOneCpu pin;
  StartServer();
  for (bool implicit : {false, true}) {
    RunSpec spec = Spec(implicit);
    spec.threads = 1;
    spec.concurrency = 1;
    spec.handshakes = 100;
    RunResult r = RunToEnd(spec);
    ExpectReconciled(r);
    ASSERT_EQ(r.succeeded, 100) << r.outcomes.ToJson().dump();
    const stats::LatencyHistogram& tls = r.phases.phase(kTls);
    EXPECT_GE(tls.Min(), kHandshakeFloorNs) << "implicit=" << implicit;
    EXPECT_GE(tls.ValueAtPercentile(50), kHandshakeFloorNs) << "implicit=" << implicit;
    for (int p = 0; p < kTotal; ++p) {
      const stats::LatencyHistogram& h = r.phases.phase(p);
      if (h.Count() > 0) {
        EXPECT_GT(h.Min(), 0) << PhaseName(p) << " implicit=" << implicit;
      }
    }
  }
}

TEST_F(EngineTest, ClientCpuCoversTheMeasuredWindowOnly) {
  StartServer();
  RunSpec spec = Spec();
  spec.threads = 1;
  spec.concurrency = 2;
  spec.warmup = absl::Seconds(2);  // busy: far more CPU than the counted part
  spec.handshakes = 20;
  RunResult r = RunToEnd(spec);
  ExpectReconciled(r);
  EXPECT_EQ(r.succeeded, 20);
  EXPECT_GT(r.warmup_attempts, 20);
  EXPECT_GT(r.client_cpu_seconds, 0);
  // One thread cannot use more CPU than the wall-clock time it was measured
  // over (plus the moment it takes to leave its loop).
  EXPECT_LE(r.client_cpu_seconds, absl::ToDoubleSeconds(r.measured) + 0.05)
      << "measured " << r.measured;
}

// Per-window records cover the measured window and agree with the run's
// totals: every success falls in one window, and the windows' CPU is the
// threads' CPU over the same stretch (read from the same clock the totals
// come from, so they differ only by the moments between the readings).
TEST_F(EngineTest, CpuWindowsAddUpToTheRunsCountsAndCpu) {
  StartServer();
  RunSpec spec = Spec();
  spec.handshakes = 0;
  spec.duration = absl::Milliseconds(600);
  spec.warmup = absl::Milliseconds(200);
  spec.cpu_window = absl::Milliseconds(100);
  RunResult r = RunToEnd(spec);
  ExpectReconciled(r);
  ASSERT_GT(r.succeeded, 0);
  ASSERT_EQ(r.window_successes.size(), r.window_cpu_ns.size());
  EXPECT_EQ(r.cpu_window, absl::Milliseconds(100));
  // Six full windows and the drain, which may spill into one more.
  EXPECT_GE(r.window_successes.size(), 6u);
  EXPECT_LE(r.window_successes.size(), 8u);
  int64_t successes = 0, cpu_ns = 0;
  for (size_t i = 0; i < r.window_successes.size(); ++i) {
    successes += r.window_successes[i];
    cpu_ns += r.window_cpu_ns[i];
  }
  EXPECT_EQ(successes, r.succeeded);
  EXPECT_GT(cpu_ns, 0);
  EXPECT_NEAR(static_cast<double>(cpu_ns) / 1e9, r.client_cpu_seconds, 0.02);

  // Off by default: nothing recorded.
  spec.cpu_window = absl::ZeroDuration();
  RunResult off = RunToEnd(spec);
  EXPECT_TRUE(off.window_successes.empty());
  EXPECT_TRUE(off.window_cpu_ns.empty());
  EXPECT_EQ(off.cpu_window, absl::ZeroDuration());
}

TEST(RunSpecTest, RejectsInconsistentSpecs) {
  RunSpec spec;
  spec.threads = 0;
  EXPECT_FALSE(spec.Validate().ok());
  spec.threads = 4;
  spec.concurrency = 2;
  EXPECT_FALSE(spec.Validate().ok());
  spec.concurrency = 8;
  spec.resume_ratio = 1.5;
  EXPECT_FALSE(spec.Validate().ok());
  spec.resume_ratio = 0.5;
  spec.duration = absl::ZeroDuration();
  EXPECT_FALSE(spec.Validate().ok());
  spec.handshakes = 10;
  EXPECT_TRUE(spec.Validate().ok());
  spec.cpu_window = absl::Microseconds(999);
  EXPECT_FALSE(spec.Validate().ok());
  spec.cpu_window = -absl::Milliseconds(100);
  EXPECT_FALSE(spec.Validate().ok());
  spec.cpu_window = absl::Milliseconds(1);
  EXPECT_TRUE(spec.Validate().ok());
}

}  // namespace
}  // namespace mailshake::engine

namespace mailshake::engine {
namespace {

// The engine counts every call it makes on a connection. A STARTTLS session
// (TLS 1.3, QUIT after the handshake) exchanges five server flights and four
// client flights; each client flight leaves in one send, and each server
// flight takes at least one recv.
TEST_F(EngineTest, CountsItsSystemCallsPerSession) {
  StartServer();
  RunSpec spec = Spec();
  spec.tls.min_version = TLS1_3_VERSION;
  RunResult r = RunToEnd(spec);
  ASSERT_EQ(r.succeeded, spec.handshakes);
  const net::SyscallCounts& c = r.syscalls;
  EXPECT_EQ(c.socket, r.attempted);
  EXPECT_EQ(c.connect, r.attempted);
  EXPECT_EQ(c.close, r.attempted);
  EXPECT_EQ(c.epoll_ctl, r.attempted);             // one registration each
  // SO_LINGER for the RST close, only when the client closes first: not when
  // the server's close after its 221 was already signalled.
  EXPECT_LE(c.setsockopt, r.attempted);
  EXPECT_EQ(c.getsockopt, 0);                      // no connect failed
  EXPECT_EQ(c.bind, 0);                            // no --source
  EXPECT_EQ(c.send, 4 * r.attempted);              // EHLO, STARTTLS, ClientHello, Finished+QUIT
  EXPECT_GE(c.recv, 5 * r.attempted);
  EXPECT_LE(c.recv, 7 * r.attempted);              // a flight may come in two reads
  EXPECT_GT(r.epoll_waits, 0);
}

}  // namespace
}  // namespace mailshake::engine
