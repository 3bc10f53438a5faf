// The probe against the embedded server (the well-behaved control) and the
// hostile server (one misbehaviour each): every fact must match what the
// server does, every misbehaviour must become a finding with evidence, and
// nothing may outlast the deadlines.

#include "src/probe/probe.h"

#include <openssl/x509.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/engine/hostile_server.h"
#include "src/probe/policy.h"
#include "src/probe/render.h"
#include "src/probe/session.h"
#include "src/server/server.h"
#include "src/tls/tls.h"

namespace mailshake::probe {
namespace {

using engine::HostileServer;
using engine::HostileServerOptions;
using engine::Misbehaviour;
using ::testing::HasSubstr;

constexpr char kHost[] = "mx.probe.test";
// Hostile servers answer within milliseconds or never: a short deadline keeps
// the stalling cases fast. The bound on a whole probe is generous for
// sanitizers.
constexpr absl::Duration kShortDeadline = absl::Milliseconds(500);
constexpr absl::Duration kProbeLimit = absl::Seconds(8);

std::string WriteTemp(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(testing::TempDir(), "/", name);
  std::ofstream(path) << contents;
  return path;
}

const Finding* Find(const std::vector<Finding>& findings, absl::string_view id) {
  for (const Finding& f : findings) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

class ProbeTest : public testing::Test {
 protected:
  void StartEmbedded() {
    absl::StatusOr<tls::Credential> cred = tls::GenerateSelfSigned(tls::KeyType::kEcdsaP256, kHost);
    ASSERT_TRUE(cred.ok()) << cred.status();
    anchors_ = WriteTemp("embedded.pem", *tls::ChainToPem(*cred));
    server::ServerOptions options;
    options.listen.push_back(*net::SocketAddress::Parse("127.0.0.1:0"));
    options.listen_implicit.push_back(*net::SocketAddress::Parse("127.0.0.1:0"));
    options.tls.credentials.push_back(*std::move(cred));
    options.hostname = kHost;
    options.threads = 1;
    absl::StatusOr<std::unique_ptr<server::Server>> server = server::Server::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    embedded_ = *std::move(server);
  }

  void StartHostile(Misbehaviour m, HostileServerOptions options = {}) {
    options.misbehaviour = m;
    absl::StatusOr<std::unique_ptr<HostileServer>> server = HostileServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    hostile_ = *std::move(server);
    anchors_ = WriteTemp("hostile.pem", hostile_->certificate_pem());
  }

  ProbeOptions Options(const net::SocketAddress& address, bool implicit = false) {
    ProbeOptions options;
    options.target.host = kHost;
    options.target.address = address;
    options.target.implicit_tls = implicit;
    options.trust_anchors = anchors_;
    options.server_name = kHost;
    return options;
  }

  ProbeOptions Hostile() {
    ProbeOptions options = Options(hostile_->address());
    options.target.host = "mx.hostile.test";
    options.server_name = "mx.hostile.test";
    options.deadlines.connect = kShortDeadline;
    options.deadlines.reply = kShortDeadline;
    options.scan = false;  // the scan's own hostile cases are below
    return options;
  }

  ProbeReport Run(const ProbeOptions& options) {
    const absl::Time start = absl::Now();
    absl::StatusOr<ProbeReport> report = Probe(options);
    elapsed_ = absl::Now() - start;
    EXPECT_TRUE(report.ok()) << report.status();
    EXPECT_LT(elapsed_, kProbeLimit);
    findings_ = report.ok() ? Findings(*report) : std::vector<Finding>{};
    return report.ok() ? *std::move(report) : ProbeReport{};
  }

  std::string anchors_;
  std::unique_ptr<server::Server> embedded_;
  std::unique_ptr<HostileServer> hostile_;
  std::vector<Finding> findings_;
  absl::Duration elapsed_;
};

TEST_F(ProbeTest, EmbeddedServerIsWhatAModernSenderWants) {
  StartEmbedded();
  ProbeOptions options = Options(embedded_->starttls_addresses()[0]);
  options.names.push_back({"*.probe.test", x509::NameRules::kExchangeTlsDomain});
  options.names.push_back({"other.test", x509::NameRules::kRfc9525});
  ProbeReport r = Run(options);
  EXPECT_TRUE(Probed(r));
  EXPECT_EQ(r.smtp.outcome, "ok");
  EXPECT_EQ(r.smtp.banner_code, 220);
  EXPECT_TRUE(r.smtp.starttls_offered);
  EXPECT_EQ(r.smtp.starttls_code, 220);
  EXPECT_TRUE(r.smtp.pipelining_advertised);
  EXPECT_EQ(r.smtp.mail_before_tls_outcome, "ok");
  EXPECT_NE(r.smtp.mail_before_tls_code, 0);
  ASSERT_TRUE(r.smtp.pipelining_correct.has_value());
  EXPECT_TRUE(*r.smtp.pipelining_correct) << r.smtp.pipelining_detail;
  ASSERT_TRUE(r.smtp.injection_vulnerable.has_value()) << r.smtp.injection_outcome;
  EXPECT_FALSE(*r.smtp.injection_vulnerable);
  EXPECT_EQ(r.certificate.outcome, "ok") << r.certificate.outcome_detail;
  EXPECT_EQ(r.certificate.handshake.version, TLS1_3_VERSION);
  ASSERT_EQ(r.certificate.chain.size(), 1u);
  EXPECT_EQ(r.certificate.verify_error, X509_V_OK) << r.certificate.verify_error_text;
  ASSERT_TRUE(r.certificate.resumed.has_value()) << r.certificate.resumption_outcome;
  EXPECT_TRUE(*r.certificate.resumed);
  ASSERT_EQ(r.certificate.names.size(), 3u);
  EXPECT_TRUE(r.certificate.names[0].result.matched);  // the host dialled
  EXPECT_TRUE(r.certificate.names[1].result.matched);  // TlsDomain *.probe.test
  EXPECT_FALSE(r.certificate.names[2].result.matched);
  // BoringSSL servers never renegotiate: a fatal no_renegotiation alert.
  EXPECT_EQ(r.renegotiation.outcome, "ok") << r.renegotiation.detail;
  ASSERT_TRUE(r.renegotiation.accepted.has_value());
  EXPECT_FALSE(*r.renegotiation.accepted);
  EXPECT_THAT(r.renegotiation.detail, HasSubstr("no_renegotiation"));
  EXPECT_EQ(r.connections, 5);
  EXPECT_EQ(Rfc8460ResultType(r, /*check_name=*/false), "");
  EXPECT_EQ(Rfc8460ResultType(r, /*check_name=*/true), "certificate-host-mismatch");

  ASSERT_NE(Find(findings_, "smtp.starttls"), nullptr);
  EXPECT_EQ(Find(findings_, "smtp.starttls")->severity, Severity::kOk);
  ASSERT_NE(Find(findings_, "smtp.starttls_injection"), nullptr);
  EXPECT_EQ(Find(findings_, "smtp.starttls_injection")->severity, Severity::kOk);
  ASSERT_NE(Find(findings_, "cert.trust"), nullptr);
  EXPECT_EQ(Find(findings_, "cert.trust")->severity, Severity::kOk);
  ASSERT_NE(Find(findings_, "cert.name[other.test]"), nullptr);
  EXPECT_EQ(Find(findings_, "cert.name[other.test]")->severity, Severity::kProblem);
  EXPECT_EQ(Find(findings_, "smtp.tarpit"), nullptr);
}

TEST_F(ProbeTest, ScanThroughTheProbesConnectorFindsTheVersions) {
  StartEmbedded();
  ProbeReport r = Run(Options(embedded_->starttls_addresses()[0]));
  ASSERT_TRUE(r.scan.has_value()) << r.scan_status;
  EXPECT_EQ(r.scan_status, "ok");
  const Finding* tls13 = Find(findings_, "tls.version[TLSv1.3]");
  ASSERT_NE(tls13, nullptr);
  EXPECT_EQ(tls13->value["accepted"], true);
  const Finding* tls10 = Find(findings_, "tls.version[TLSv1]");
  ASSERT_NE(tls10, nullptr);
  EXPECT_EQ(tls10->value["accepted"], false);
  ASSERT_NE(Find(findings_, "tls.forward_secrecy"), nullptr);
  EXPECT_EQ(Find(findings_, "tls.forward_secrecy")->severity, Severity::kOk);
  absl::StatusOr<PolicyResult> exo = Judge("exchange-online", r, &*r.scan);
  ASSERT_TRUE(exo.ok());
  EXPECT_EQ(exo->verdict, Verdict::kPass) << ToJson(Outputs{r, findings_, {*exo}, ""}).dump(1);
}

TEST_F(ProbeTest, ScanOfAServerAnsweringGarbageEndsBoundedWithConditions) {
  StartHostile(Misbehaviour::kGarbageToClientHello);
  ProbeOptions options = Hostile();
  options.scan = true;
  ProbeReport r = Run(options);
  ASSERT_TRUE(r.scan.has_value()) << r.scan_status;
  EXPECT_FALSE(r.scan->conditions.empty());
  for (const wire::VersionFinding& v : r.scan->versions) {
    EXPECT_NE(v.accepted, wire::Tri::kYes) << wire::VersionName(v.version);
  }
  ASSERT_NE(Find(findings_, "tls.conditions"), nullptr);
}

TEST_F(ProbeTest, ImplicitTlsSkipsTheStartTlsChecks) {
  StartEmbedded();
  ProbeReport r = Run(Options(embedded_->implicit_tls_addresses()[0], /*implicit=*/true));
  EXPECT_TRUE(Probed(r));
  EXPECT_EQ(r.smtp.banner_code, 220);
  EXPECT_EQ(r.certificate.outcome, "ok");
  EXPECT_EQ(r.smtp.mail_before_tls_outcome, "not_run");
  EXPECT_FALSE(r.smtp.injection_vulnerable.has_value());
  EXPECT_EQ(Find(findings_, "smtp.starttls"), nullptr);
  EXPECT_EQ(Rfc8460ResultType(r, false), "");
  // The renegotiating hello follows the handshake; the banner the server
  // sent meanwhile is application data to skip, then comes the refusal.
  ASSERT_TRUE(r.renegotiation.accepted.has_value()) << r.renegotiation.outcome << ": "
                                                    << r.renegotiation.detail;
  EXPECT_FALSE(*r.renegotiation.accepted);
  ASSERT_NE(Find(findings_, "tls.client_renegotiation"), nullptr);
  EXPECT_EQ(Find(findings_, "tls.client_renegotiation")->severity, Severity::kOk);
}

TEST_F(ProbeTest, UntrustedAndExpiredCertificatesGetTheirResultTypes) {
  StartEmbedded();
  ProbeOptions options = Options(embedded_->starttls_addresses()[0]);
  options.trust_anchors = testing::TempDir();  // no anchor for the server
  ProbeReport r = Run(options);
  EXPECT_EQ(r.certificate.verify_error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  EXPECT_EQ(Rfc8460ResultType(r, false), "certificate-not-trusted");
  EXPECT_EQ(Find(findings_, "cert.trust")->severity, Severity::kProblem);

  options.now = absl::Now() + absl::Hours(24 * 800);  // the certificate lasts a year
  r = Run(options);
  EXPECT_EQ(Rfc8460ResultType(r, false), "certificate-expired");
  ASSERT_NE(Find(findings_, "cert.expiry"), nullptr);
  EXPECT_EQ(Find(findings_, "cert.expiry")->severity, Severity::kProblem);
  EXPECT_THAT(Find(findings_, "cert.expiry")->title, HasSubstr("expired"));
}

TEST_F(ProbeTest, FindsStartTlsCommandInjection) {
  StartHostile(Misbehaviour::kStartTlsCommandInjection);
  ProbeReport r = Run(Hostile());
  ASSERT_TRUE(r.smtp.injection_vulnerable.has_value()) << r.smtp.injection_outcome;
  EXPECT_TRUE(*r.smtp.injection_vulnerable);
  const Finding* f = Find(findings_, "smtp.starttls_injection");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kProblem);
  // The evidence shows the extra reply inside TLS.
  EXPECT_THAT(testing::PrintToString(f->evidence), HasSubstr("S: 250 2.0.0 Ok"));
}

TEST_F(ProbeTest, FindsStartTlsResponseInjection) {
  StartHostile(Misbehaviour::kStartTlsInjection);
  ProbeReport r = Run(Hostile());
  EXPECT_EQ(r.smtp.outcome, "protocol_violation:starttls_injection");
  ASSERT_NE(Find(findings_, "smtp.starttls_response_injection"), nullptr);
}

TEST_F(ProbeTest, NoStartTlsIsAFindingAndAResultType) {
  StartHostile(Misbehaviour::kNoStartTls);
  ProbeReport r = Run(Hostile());
  EXPECT_TRUE(Probed(r));
  EXPECT_FALSE(r.smtp.starttls_offered);
  EXPECT_EQ(r.smtp.outcome, "starttls_not_offered");
  EXPECT_EQ(Find(findings_, "smtp.starttls")->severity, Severity::kProblem);
  EXPECT_EQ(Rfc8460ResultType(r, false), "starttls-not-supported");
}

TEST_F(ProbeTest, StartTlsRefusedIsAFinding) {
  StartHostile(Misbehaviour::kStartTlsRefused);
  ProbeReport r = Run(Hostile());
  EXPECT_EQ(r.smtp.starttls_code, 454);
  EXPECT_EQ(r.smtp.outcome, "starttls_refused:454");
  EXPECT_EQ(Rfc8460ResultType(r, false), "starttls-not-supported");
}

TEST_F(ProbeTest, BusyServerIsReportedAs421NotAsNoTls) {
  HostileServerOptions o;
  o.busy_after = 0;
  StartHostile(Misbehaviour::kBusyAfterConnections, o);
  ProbeReport r = Run(Hostile());
  EXPECT_TRUE(Probed(r));
  EXPECT_EQ(r.smtp.banner_code, 421);
  EXPECT_EQ(r.smtp.outcome, "banner_rejected:421");
  const Finding* f = Find(findings_, "smtp.banner");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kProblem);
  EXPECT_THAT(f->title, HasSubstr("421"));
  EXPECT_EQ(Find(findings_, "smtp.starttls"), nullptr);  // not "no TLS"
}

TEST_F(ProbeTest, BusyAfterAFewConnectionsLeavesLaterChecksUnknown) {
  HostileServerOptions o;
  o.busy_after = 1;
  StartHostile(Misbehaviour::kBusyAfterConnections, o);
  ProbeReport r = Run(Hostile());
  EXPECT_EQ(r.smtp.starttls_code, 220);
  EXPECT_EQ(r.smtp.mail_before_tls_outcome, "banner_rejected:421");
  const Finding* f = Find(findings_, "smtp.mail_before_tls");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kUnknown);
  EXPECT_EQ(f->outcome, "banner_rejected:421");
}

// A server that answers 421 once the probe's own checks have used their
// connections: the scan's exchanges become conditions with the 421 as
// evidence, never a version or suite "refused" (or "accepted").
TEST_F(ProbeTest, ScanOfAServerTurningBusyReportsConditionsNotRefusals) {
  HostileServerOptions o;
  o.busy_after = 5;  // first, MAIL, injection, resumption, renegotiation
  StartHostile(Misbehaviour::kBusyAfterConnections, o);
  ProbeOptions options = Hostile();
  options.scan = true;
  ProbeReport r = Run(options);
  EXPECT_EQ(r.connections, 5);
  ASSERT_TRUE(r.scan.has_value()) << r.scan_status;
  EXPECT_TRUE(r.scan->aborted);
  for (const wire::VersionFinding& v : r.scan->versions) {
    EXPECT_EQ(v.accepted, wire::Tri::kUnknown) << wire::VersionName(v.version);
  }
  EXPECT_TRUE(r.scan->suites.empty());
  const Finding* f = Find(findings_, "tls.conditions");
  ASSERT_NE(f, nullptr);
  EXPECT_THAT(testing::PrintToString(f->evidence), HasSubstr("421"));
}

TEST_F(ProbeTest, SlowBannerIsATarpitFinding) {
  HostileServerOptions o;
  o.banner_delay = absl::Milliseconds(300);
  StartHostile(Misbehaviour::kSlowBanner, o);
  ProbeOptions options = Hostile();
  options.deadlines.tarpit = absl::Milliseconds(100);
  ProbeReport r = Run(options);
  EXPECT_EQ(r.smtp.banner_code, 220);
  EXPECT_GE(r.smtp.banner_delay, absl::Milliseconds(250));
  ASSERT_NE(Find(findings_, "smtp.tarpit"), nullptr);
  EXPECT_EQ(Find(findings_, "smtp.tarpit")->severity, Severity::kWarning);
}

TEST_F(ProbeTest, SilentServerTimesOutWithinTheDeadline) {
  StartHostile(Misbehaviour::kStallBeforeBanner);
  ProbeReport r = Run(Hostile());
  EXPECT_FALSE(Probed(r));
  EXPECT_EQ(r.smtp.outcome, "timeout:banner");
  EXPECT_LT(elapsed_, 3 * kShortDeadline);
  ASSERT_NE(Find(findings_, "smtp.banner"), nullptr);
  EXPECT_EQ(Find(findings_, "smtp.banner")->outcome, "timeout:banner");
}

TEST_F(ProbeTest, ResetOnConnectIsNotProbed) {
  StartHostile(Misbehaviour::kResetOnConnect);
  ProbeReport r = Run(Hostile());
  EXPECT_FALSE(Probed(r));
  EXPECT_TRUE(r.smtp.outcome == "reset:banner" || r.smtp.outcome == "closed_by_server:banner" ||
              r.smtp.outcome == "reset:connect")
      << r.smtp.outcome;
}

struct HandshakeCase {
  Misbehaviour misbehaviour;
  const char* category_prefix;
};

class HostileHandshakeTest : public ProbeTest,
                             public testing::WithParamInterface<HandshakeCase> {};

TEST_P(HostileHandshakeTest, BecomesAHandshakeFindingWithinTheDeadline) {
  StartHostile(GetParam().misbehaviour);
  ProbeReport r = Run(Hostile());
  EXPECT_TRUE(Probed(r));
  EXPECT_EQ(r.smtp.starttls_code, 220);
  EXPECT_TRUE(absl::StartsWith(r.certificate.outcome, GetParam().category_prefix))
      << r.certificate.outcome << ": " << r.certificate.outcome_detail;
  EXPECT_TRUE(r.certificate.chain.empty());
  const Finding* f = Find(findings_, "tls.handshake");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kProblem);
  EXPECT_FALSE(f->evidence.empty());
  EXPECT_EQ(Rfc8460ResultType(r, false), "validation-failure");
  EXPECT_LT(elapsed_, 6 * kShortDeadline);
}

INSTANTIATE_TEST_SUITE_P(
    Misbehaviours, HostileHandshakeTest,
    testing::Values(HandshakeCase{Misbehaviour::kGarbageToClientHello, "tls_error:"},
                    HandshakeCase{Misbehaviour::kOversizedRecord, "tls_error:"},
                    HandshakeCase{Misbehaviour::kTruncatedRecord, "closed_by_server:tls"},
                    HandshakeCase{Misbehaviour::kAlertToClientHello, "tls_alert:handshake_failure"},
                    HandshakeCase{Misbehaviour::kResetAfterClientHello, "reset:tls"},
                    HandshakeCase{Misbehaviour::kStallInHandshake, "timeout:tls"},
                    HandshakeCase{Misbehaviour::kHugeCertificateChain, "tls_error:"},
                    HandshakeCase{Misbehaviour::kCloseMidHandshake, "closed_by_server:tls"}),
    [](const testing::TestParamInfo<HandshakeCase>& info) {
      return std::string(engine::MisbehaviourName(info.param.misbehaviour));
    });

// The ALPN finding judges the two offers: foreign protocol selected is a
// problem (ALPACA), "smtp" refused a warning, refused or ignored foreign ok.
TEST(AlpnFindingTest, SeverityFollowsWhatEachOfferGot) {
  struct Case {
    wire::AlpnFinding smtp, foreign;
    Severity want;
    const char* title;
  };
  using wire::AlpnAnswer;
  const wire::AlpnFinding ignored{AlpnAnswer::kIgnored, "", 0, -1};
  const wire::AlpnFinding smtp_selected{AlpnAnswer::kSelected, "smtp", 0, -1};
  const wire::AlpnFinding h2_selected{AlpnAnswer::kSelected, "h2", 0, -1};
  const wire::AlpnFinding refused{AlpnAnswer::kRefused, "", 120, -1};
  const wire::AlpnFinding unknown;
  const Case cases[] = {
      {smtp_selected, refused, Severity::kOk,
       "ALPN: offering smtp, smtp selected; offering h2, http/1.1, refused (no_application_protocol)"},
      {ignored, ignored, Severity::kOk, "ALPN: offering smtp, ignored; offering h2, http/1.1, ignored"},
      {refused, h2_selected, Severity::kProblem, "(ALPACA)"},
      {h2_selected, ignored, Severity::kProblem, "(ALPACA)"},
      {refused, refused, Severity::kWarning, "a sender offering ALPN smtp fails"},
      {unknown, unknown, Severity::kUnknown, "tls.alpn: unknown"},
      {smtp_selected, unknown, Severity::kUnknown, "offering h2, http/1.1, unknown"},
  };
  for (const Case& c : cases) {
    ProbeReport report;
    report.scan_status = "ok";
    report.scan.emplace();
    report.scan->alpn_smtp = c.smtp;
    report.scan->alpn_foreign = c.foreign;
    std::vector<Finding> findings = Findings(report);
    const Finding* f = Find(findings, "tls.alpn");
    ASSERT_NE(f, nullptr);
    SCOPED_TRACE(f->title);
    EXPECT_EQ(f->severity, c.want);
    EXPECT_THAT(f->title, HasSubstr(c.title));
    EXPECT_EQ(f->value["smtp"]["answer"], wire::AlpnAnswerName(c.smtp.answer));
    EXPECT_EQ(f->value["foreign"]["answer"], wire::AlpnAnswerName(c.foreign.answer));
  }
}

TEST(SessionTest, TranscriptIsBoundedAndEscaped) {
  Transcript t;
  t.Add("S: ", std::string("a\x01\r\n", 4));
  EXPECT_EQ(t.lines()[0], "S: a\\x01\\r\\n");
  t.Add("S: ", std::string(1000, 'x'));
  EXPECT_THAT(t.lines()[1], HasSubstr("(1000 octets)"));
  for (int i = 0; i < 200; ++i) t.Add("C: ", "NOOP");
  EXPECT_EQ(t.lines().size(), Transcript::kMaxLines);
  EXPECT_THAT(t.lines().back(), HasSubstr("more lines not kept"));
}

TEST(SessionTest, RefusedConnectHasItsCategory) {
  // Bind a port and close it again: connecting there is refused.
  absl::StatusOr<net::UniqueFd> l = net::Listen(*net::SocketAddress::Parse("127.0.0.1:0"), 1, false);
  ASSERT_TRUE(l.ok());
  net::SocketAddress address = *net::LocalAddress(l->get());
  l->reset();
  absl::StatusOr<std::unique_ptr<Session>> s = Session::Open(address, absl::Now() + absl::Seconds(2));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(OutcomeCategory(s.status()), "connect_refused");
}

}  // namespace
}  // namespace mailshake::probe
