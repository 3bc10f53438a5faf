#include "src/probe/probe.h"

#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/outcome/outcome.h"
#include "src/probe/renegotiation.h"
#include "src/probe/session.h"

namespace mailshake::probe {
namespace {

constexpr char kMailFrom[] = "MAIL FROM:<probe@mailshake.invalid>\r\n";

absl::Time Deadline(absl::Duration d) { return absl::Now() + d; }

// Quit says QUIT and waits briefly for the 221 (which also lets a TLS 1.3
// server's tickets arrive); failures do not matter any more.
void Quit(Session* session, const Deadlines& deadlines) {
  if (session->Send("QUIT\r\n", "quit", Deadline(deadlines.reply)).ok()) {
    (void)session->ReadReply("quit", Deadline(deadlines.reply));
  }
}

smtp::ClientOptions DialogueOptions(const ProbeOptions& options) {
  smtp::ClientOptions o;
  o.ehlo_name = options.ehlo_name;
  o.implicit_tls = options.target.implicit_tls;
  return o;
}

std::string Ehlo(const ProbeOptions& options) {
  return absl::StrCat("EHLO ", options.ehlo_name, "\r\n");
}

// FirstConnection: banner, EHLO, STARTTLS, the full handshake as a modern
// sender makes it, EHLO over TLS, QUIT.
void FirstConnection(const ProbeOptions& options, SSL_CTX* ctx, ProbeReport* report) {
  SmtpFacts& smtp = report->smtp;
  CertificateFacts& cert = report->certificate;
  const Deadlines& d = options.deadlines;
  absl::StatusOr<std::unique_ptr<Session>> session =
      Session::Open(options.target.address, Deadline(d.connect));
  ++report->connections;
  if (!session.ok()) {
    smtp.outcome = OutcomeCategory(session.status());
    smtp.outcome_detail = std::string(session.status().message());
    return;
  }
  Session* s = session->get();
  ReachedTls reached;
  absl::Status status = ReachTls(s, options.target.implicit_tls, DialogueOptions(options),
                                 d.reply, &reached);
  smtp.banner_code = reached.banner.code;
  smtp.banner_delay = reached.banner_delay;
  smtp.banner_text = reached.banner.Text();
  smtp.ehlo_ok = reached.ehlo.code == 250;
  smtp.starttls_offered = reached.extensions.starttls;
  smtp.pipelining_advertised = reached.extensions.pipelining;
  smtp.starttls_code = reached.starttls.code;
  smtp.starttls_text = reached.starttls.Text();
  smtp.outcome = OutcomeCategory(status);
  smtp.outcome_detail = std::string(status.message());
  if (!status.ok()) {
    smtp.transcript = s->transcript().lines();
    if (smtp.banner_code == 220) Quit(s, d);
    return;
  }
  status = s->Handshake(ctx, Deadline(d.reply));
  cert.outcome = OutcomeCategory(status);
  cert.outcome_detail = std::string(status.message());
  if (status.ok()) {
    cert.handshake = tls::ReadHandshakeInfo(s->ssl());
    cert.chain = s->PeerChain();
    if (options.target.implicit_tls) {
      absl::StatusOr<smtp::Reply> banner = s->ReadReply("banner", Deadline(d.reply));
      if (banner.ok()) {
        smtp.banner_code = banner->code;
        smtp.banner_text = banner->Text();
      }
    }
    if (s->Send(Ehlo(options), "post_tls", Deadline(d.reply)).ok()) {
      (void)s->ReadReply("post_tls", Deadline(d.reply));
    }
    Quit(s, d);
  }
  smtp.transcript = s->transcript().lines();
}

// Connect opens one more connection for a check. On failure it sets
// |*outcome| to the category and returns null.
std::unique_ptr<Session> Connect(const ProbeOptions& options, ProbeReport* report,
                                 std::string* outcome) {
  absl::StatusOr<std::unique_ptr<Session>> session =
      Session::Open(options.target.address, Deadline(options.deadlines.connect));
  ++report->connections;
  if (!session.ok()) {
    *outcome = OutcomeCategory(session.status());
    return nullptr;
  }
  return *std::move(session);
}

// Greet reads the banner and says EHLO; it returns the EHLO reply, or the
// failure with its category (a refusing banner is "banner_rejected:CODE").
absl::StatusOr<smtp::Reply> Greet(Session* s, const ProbeOptions& options) {
  const Deadlines& d = options.deadlines;
  absl::StatusOr<smtp::Reply> banner = s->ReadReply("banner", Deadline(d.reply));
  if (!banner.ok()) return banner.status();
  if (banner->code != 220) {
    return WithCategory(absl::FailedPreconditionError("banner"),
                        absl::StrCat("banner_rejected:", banner->code));
  }
  absl::Status sent = s->Send(Ehlo(options), "ehlo", Deadline(d.reply));
  if (!sent.ok()) return sent;
  absl::StatusOr<smtp::Reply> ehlo = s->ReadReply("ehlo", Deadline(d.reply));
  if (!ehlo.ok()) return ehlo.status();
  if (ehlo->code != 250) {
    return WithCategory(absl::FailedPreconditionError("ehlo"),
                        absl::StrCat("ehlo_rejected:", ehlo->code));
  }
  return ehlo;
}

// MailBeforeTls: MAIL FROM without STARTTLS (pipelined with RSET and NOOP
// when PIPELINING is advertised), then RSET and QUIT. Never RCPT or DATA.
void MailBeforeTls(const ProbeOptions& options, ProbeReport* report) {
  SmtpFacts& smtp = report->smtp;
  const Deadlines& d = options.deadlines;
  std::unique_ptr<Session> session = Connect(options, report, &smtp.mail_before_tls_outcome);
  if (session == nullptr) return;
  Session* s = session.get();
  auto fail = [&](const absl::Status& status) {
    smtp.mail_before_tls_outcome = OutcomeCategory(status);
    smtp.mail_transcript = s->transcript().lines();
  };
  absl::StatusOr<smtp::Reply> ehlo = Greet(s, options);
  if (!ehlo.ok()) return fail(ehlo.status());
  absl::Status sent;
  const bool pipelining = smtp::ParseEhlo(*ehlo).pipelining;
  if (pipelining) {
    sent = s->Send(absl::StrCat(kMailFrom, "RSET\r\nNOOP\r\n"), "mail", Deadline(d.reply));
    if (!sent.ok()) return fail(sent);
    std::vector<int> codes;
    for (const char* phase : {"mail", "rset", "noop"}) {
      absl::StatusOr<smtp::Reply> r = s->ReadReply(phase, Deadline(d.reply));
      if (!r.ok()) {
        if (codes.empty()) return fail(r.status());
        smtp.pipelining_correct = false;
        smtp.pipelining_detail =
            absl::StrCat("only ", codes.size(), " of 3 pipelined commands answered (",
                         OutcomeCategory(r.status()), ")");
        break;
      }
      codes.push_back(r->code);
    }
    smtp.mail_before_tls_code = codes[0];
    if (codes.size() == 3) {
      smtp.pipelining_correct = codes[1] == 250 && codes[2] == 250 && s->pending().empty();
      smtp.pipelining_detail =
          absl::StrCat("MAIL, RSET, NOOP in one write answered ", absl::StrJoin(codes, ", "),
                       s->pending().empty() ? "" : " and more octets followed");
    }
  } else {
    sent = s->Send(kMailFrom, "mail", Deadline(d.reply));
    if (!sent.ok()) return fail(sent);
    absl::StatusOr<smtp::Reply> r = s->ReadReply("mail", Deadline(d.reply));
    if (!r.ok()) return fail(r.status());
    smtp.mail_before_tls_code = r->code;
    if (s->Send("RSET\r\n", "rset", Deadline(d.reply)).ok()) {
      (void)s->ReadReply("rset", Deadline(d.reply));
    }
  }
  smtp.mail_before_tls_outcome = "ok";
  Quit(s, d);
  smtp.mail_transcript = s->transcript().lines();
}

// Injection: "STARTTLS\r\nNOOP\r\n" in one write, the handshake, then EHLO
// and QUIT over TLS. A server that executed the NOOP answers one reply more
// than the two asked for inside TLS.
void Injection(const ProbeOptions& options, SSL_CTX* ctx, ProbeReport* report) {
  SmtpFacts& smtp = report->smtp;
  const Deadlines& d = options.deadlines;
  std::unique_ptr<Session> session = Connect(options, report, &smtp.injection_outcome);
  if (session == nullptr) return;
  Session* s = session.get();
  auto fail = [&](const absl::Status& status) {
    smtp.injection_outcome = OutcomeCategory(status);
    smtp.injection_transcript = s->transcript().lines();
  };
  absl::StatusOr<smtp::Reply> ehlo = Greet(s, options);
  if (!ehlo.ok()) return fail(ehlo.status());
  absl::Status status = s->Send("STARTTLS\r\nNOOP\r\n", "starttls", Deadline(d.reply));
  if (!status.ok()) return fail(status);
  absl::StatusOr<smtp::Reply> ready = s->ReadReply("starttls", Deadline(d.reply));
  if (!ready.ok()) return fail(ready.status());
  if (ready->code != 220) {
    // Some servers answer the NOOP's error first or refuse outright: either
    // way no TLS session, so nothing can be injected into one.
    return fail(WithCategory(absl::FailedPreconditionError("starttls"),
                             absl::StrCat("starttls_refused:", ready->code)));
  }
  // A plaintext reply to NOOP before the handshake is not an injection into
  // TLS; the handshake decides (it fails if the server's bytes are not TLS).
  status = s->Handshake(ctx, Deadline(d.reply), /*offer_session=*/false, /*allow_pending=*/true);
  if (!status.ok()) return fail(status);
  int replies = 0;
  std::vector<int> codes;
  status = s->Send(Ehlo(options), "post_tls", Deadline(d.reply));
  if (status.ok()) {
    absl::StatusOr<smtp::Reply> r = s->ReadReply("post_tls", Deadline(d.reply));
    if (r.ok()) {
      ++replies;
      codes.push_back(r->code);
      status = s->Send("QUIT\r\n", "quit", Deadline(d.reply));
      // Read up to the 221 (or the close): every reply counts.
      while (status.ok() && replies < 8) {
        absl::StatusOr<smtp::Reply> q = s->ReadReply("quit", Deadline(d.reply));
        if (!q.ok()) break;
        ++replies;
        codes.push_back(q->code);
        if (q->code == 221) break;
      }
    } else {
      status = r.status();
    }
  }
  smtp.injection_transcript = s->transcript().lines();
  if (replies == 0) {
    smtp.injection_outcome = OutcomeCategory(status);
    return;
  }
  smtp.injection_outcome = "ok";
  smtp.injection_vulnerable = replies > 2;
}

// TlsSession opens one more connection for a check and completes a
// handshake from |ctx| on it (offering the context's saved session when
// |offer_session|). On failure it sets |*outcome| to the category and
// |*detail| to the message, and returns null.
std::unique_ptr<Session> TlsSession(const ProbeOptions& options, SSL_CTX* ctx, bool offer_session,
                                    ProbeReport* report, std::string* outcome,
                                    std::string* detail) {
  const Deadlines& d = options.deadlines;
  std::unique_ptr<Session> session = Connect(options, report, outcome);
  if (session == nullptr) return nullptr;
  ReachedTls reached;
  absl::Status status = ReachTls(session.get(), options.target.implicit_tls,
                                 DialogueOptions(options), d.reply, &reached);
  if (status.ok()) status = session->Handshake(ctx, Deadline(d.reply), offer_session);
  *outcome = OutcomeCategory(status);
  *detail = std::string(status.message());
  if (!status.ok()) return nullptr;
  return session;
}

// Resumption: a second full dialogue offering the session the first
// handshake left in |ctx|.
void Resumption(const ProbeOptions& options, SSL_CTX* ctx, ProbeReport* report) {
  CertificateFacts& cert = report->certificate;
  std::string detail;
  std::unique_ptr<Session> s = TlsSession(options, ctx, /*offer_session=*/true, report,
                                          &cert.resumption_outcome, &detail);
  if (s == nullptr) return;
  cert.resumed = SSL_session_reused(s->ssl()) == 1;
  if (options.target.implicit_tls) (void)s->ReadReply("banner", Deadline(options.deadlines.reply));
  Quit(s.get(), options.deadlines);
}

// ClientRenegotiation: a TLS 1.2 handshake, then a renegotiating
// ClientHello (renegotiation.h). The server's answer is awaited for at most
// kRenegotiationWait: a server that ignores the hello does not renegotiate,
// and a probe must not wait its full reply deadline to learn that.
constexpr absl::Duration kRenegotiationWait = absl::Seconds(2);

void ClientRenegotiation(const ProbeOptions& options, SSL_CTX* ctx, ProbeReport* report) {
  RenegotiationFacts& facts = report->renegotiation;
  const Deadlines& d = options.deadlines;
  std::unique_ptr<Session> s =
      TlsSession(options, ctx, /*offer_session=*/false, report, &facts.outcome, &facts.detail);
  if (s == nullptr) {
    // No TLS 1.2 with these suites: nothing to renegotiate.
    if (absl::StartsWith(facts.outcome, "tls_alert:")) {
      facts.outcome = "not_applicable:no_tls12_aes_gcm";
    }
    return;
  }
  internal::RenegotiationAttempt attempt = internal::TryClientRenegotiation(
      s->ssl(), s->fd(), Deadline(std::min(d.reply, kRenegotiationWait)));
  facts.outcome = attempt.outcome;
  facts.accepted = attempt.accepted;
  facts.detail = attempt.detail;
  facts.evidence = std::move(attempt.evidence);
}

// JudgeCertificate parses the chain, validates it with BoringSSL and checks
// the names.
void JudgeCertificate(const ProbeOptions& options, X509_STORE* anchors, ProbeReport* report) {
  CertificateFacts& cert = report->certificate;
  if (cert.chain.empty()) return;
  std::vector<x509::Certificate> parsed;
  for (size_t i = 0; i < cert.chain.size(); ++i) {
    absl::StatusOr<x509::Certificate> c = x509::ParseCertificate(cert.chain[i]);
    if (!c.ok()) {
      cert.parse_error = absl::StrCat("certificate ", i + 1, " of ", cert.chain.size(), ": ",
                                      c.status().message());
      break;
    }
    parsed.push_back(*std::move(c));
  }
  bssl::UniquePtr<STACK_OF(CRYPTO_BUFFER)> stack(sk_CRYPTO_BUFFER_new_null());
  for (const std::string& der : cert.chain) {
    bssl::UniquePtr<CRYPTO_BUFFER> b(CRYPTO_BUFFER_new(
        reinterpret_cast<const uint8_t*>(der.data()), der.size(), nullptr));
    if (b == nullptr || !bssl::PushToStack(stack.get(), std::move(b))) break;
  }
  cert.verify_error = tls::VerifyChain(anchors, stack.get(), "");
  cert.verify_error_text = X509_verify_cert_error_string(cert.verify_error);
  if (parsed.size() != cert.chain.size()) return;
  x509::SummaryOptions so;
  so.now = options.now;
  so.host_name = report->host;
  cert.summary = x509::Summarize(parsed, so);
  std::vector<NameCheck> checks;
  checks.push_back(NameCheck{report->host, options.host_rules});
  for (const NameCheck& n : options.names) checks.push_back(n);
  for (const NameCheck& n : checks) {
    cert.names.push_back({n, x509::MatchName(parsed[0], n.reference, n.rules)});
  }
}

}  // namespace

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kOk:
      return "ok";
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kProblem:
      return "problem";
    case Severity::kUnknown:
      return "unknown";
  }
  return "unknown";
}

wire::Connector MakeConnector(const ProbeOptions& options) {
  return [options](absl::Time deadline) -> absl::StatusOr<net::UniqueFd> {
    absl::StatusOr<std::unique_ptr<Session>> session =
        Session::Open(options.target.address, deadline);
    if (!session.ok()) {
      return absl::Status(session.status().code(),
                          absl::StrCat(OutcomeCategory(session.status()), ": ",
                                       session.status().message()));
    }
    ReachedTls reached;
    absl::Status status =
        ReachTls(session->get(), options.target.implicit_tls, DialogueOptions(options),
                 std::max(deadline - absl::Now(), absl::ZeroDuration()), &reached);
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat(OutcomeCategory(status), ": ", status.message()));
    }
    return (*session)->TakeFd();
  };
}

bool Probed(const ProbeReport& report) { return report.smtp.banner_code != 0; }

absl::StatusOr<ProbeReport> Probe(const ProbeOptions& options) {
  absl::StatusOr<bssl::UniquePtr<X509_STORE>> anchors = tls::LoadTrustAnchors(options.trust_anchors);
  if (!anchors.ok()) return anchors.status();
  tls::ClientConfig config;
  config.server_name = options.server_name;
  config.verify = tls::ClientConfig::Verify::kNone;  // judged afterwards, with evidence
  config.resumption = tls::ClientConfig::Resumption::kTicket;
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = tls::NewClientContext(config);
  if (!ctx.ok()) return ctx.status();

  ProbeReport report;
  report.target = options.target.ToString();
  report.host = options.target.host;
  report.implicit_tls = options.target.implicit_tls;
  report.start = absl::Now();
  report.deadlines = options.deadlines;
  FirstConnection(options, ctx->get(), &report);
  const bool answered = report.smtp.banner_code == 220;
  if (answered && !options.target.implicit_tls) {
    MailBeforeTls(options, &report);
    if (report.smtp.starttls_offered) Injection(options, ctx->get(), &report);
  }
  if (report.certificate.outcome == "ok") {
    Resumption(options, ctx->get(), &report);
    tls::ClientConfig tls12 = config;
    tls12.min_version = TLS1_2_VERSION;
    tls12.max_version = TLS1_2_VERSION;
    tls12.ciphers = internal::kRenegotiationCiphers;
    tls12.resumption = tls::ClientConfig::Resumption::kOff;
    absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx12 = tls::NewClientContext(tls12);
    if (ctx12.ok()) {
      ClientRenegotiation(options, ctx12->get(), &report);
    } else {
      report.renegotiation.outcome = "local_resource:ssl";
      report.renegotiation.detail = std::string(ctx12.status().message());
    }
  }
  JudgeCertificate(options, anchors->get(), &report);
  if (options.scan && answered &&
      (options.target.implicit_tls || report.smtp.starttls_code == 220)) {
    wire::ScanOptions scan;
    scan.connect = MakeConnector(options);
    scan.server_name = options.server_name;
    scan.connect_timeout = options.deadlines.connect + 3 * options.deadlines.reply;
    scan.read_timeout = options.deadlines.reply;
    scan.connections = options.connections;
    absl::StatusOr<wire::ScanResult> result = wire::Scan(scan);
    if (result.ok()) {
      report.scan = *std::move(result);
      report.scan_status = report.scan->aborted ? absl::StrCat("aborted: ", report.scan->abort_reason)
                                                : "ok";
    } else {
      report.scan_status = std::string(result.status().message());
    }
  } else if (options.scan) {
    report.scan_status = "skipped: no TLS session to scan";
  }
  report.elapsed = absl::Now() - report.start;
  return report;
}

// FailureCategory names, in the shared outcome vocabulary, the first reason
// a sender requiring authenticated TLS would not deliver to |report|'s
// server, or returns "" when there is none (or the probe got nowhere).
std::string FailureCategory(const ProbeReport& report, bool check_name) {
  const SmtpFacts& smtp = report.smtp;
  const CertificateFacts& cert = report.certificate;
  if (!report.implicit_tls && smtp.banner_code == 220) {
    if (!smtp.starttls_offered) return "starttls_not_offered";
    if (smtp.starttls_code != 0 && smtp.starttls_code != 220) {
      return absl::StrCat("starttls_refused:", smtp.starttls_code);
    }
  }
  if (cert.outcome != "ok") return cert.outcome == "not_run" ? "" : cert.outcome;
  // Our own parser judges validity at |ProbeOptions::now|; BoringSSL's
  // verifier at the current time.
  if (cert.summary.has_value() && cert.summary->validity == x509::ValidityStatus::kExpired) {
    return outcome::CertificateRejectedCategory(X509_V_ERR_CERT_HAS_EXPIRED);
  }
  if (cert.summary.has_value() && cert.summary->validity == x509::ValidityStatus::kNotYetValid) {
    return outcome::CertificateRejectedCategory(X509_V_ERR_CERT_NOT_YET_VALID);
  }
  if (cert.verify_error != X509_V_OK) return outcome::CertificateRejectedCategory(cert.verify_error);
  if (check_name) {
    for (const CertificateFacts::Name& n : cert.names) {
      if (!n.result.matched) return outcome::CertificateRejectedCategory(X509_V_ERR_HOSTNAME_MISMATCH);
    }
  }
  return "";
}

std::string Rfc8460ResultType(const ProbeReport& report, bool check_name) {
  // The one mapping from categories to result types (src/outcome).
  return std::string(outcome::Rfc8460ResultType(FailureCategory(report, check_name)));
}

}  // namespace mailshake::probe
