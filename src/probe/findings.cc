// From a ProbeReport's facts to findings with stable ids (listed in
// SCHEMA.md).

#include <openssl/x509.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/probe/probe.h"

namespace mailshake::probe {
namespace {

constexpr int64_t kExpirySoonDays = 30;

Finding Make(std::string id, Severity severity, std::string title, nlohmann::json value = {},
             std::vector<std::string> evidence = {}, std::string outcome = "") {
  Finding f;
  f.id = std::move(id);
  f.severity = severity;
  f.title = std::move(title);
  f.value = std::move(value);
  f.evidence = std::move(evidence);
  f.outcome = std::move(outcome);
  return f;
}

// Evidence renders exchange |index| of |scan|: what was offered for what
// purpose, and what came back.
std::string Evidence(const wire::ScanResult& scan, int index) {
  if (index < 0 || static_cast<size_t>(index) >= scan.exchanges.size()) return "";
  const wire::Exchange& e = scan.exchanges[index];
  std::string out = absl::StrCat("exchange ", index, " (", e.purpose, "): offered ",
                                 wire::VersionName(e.offered_version), " with ",
                                 e.offered_suites.size(), " suites; got ",
                                 wire::OutcomeName(e.outcome));
  if (e.outcome == wire::Outcome::kServerHello) {
    absl::StrAppend(&out, " ", wire::VersionName(e.version), " ", wire::SuiteName(e.cipher_suite));
    if (e.group != 0) absl::StrAppend(&out, " ", wire::GroupName(e.group));
  }
  if (!e.detail.empty()) absl::StrAppend(&out, " (", e.detail, ")");
  return out;
}

std::vector<std::string> Evidence(const wire::ScanResult& scan, const std::vector<int>& indices) {
  std::vector<std::string> out;
  for (int i : indices) {
    if (out.size() >= 8) {
      out.push_back(absl::StrCat("... ", indices.size() - 8, " more exchanges"));
      break;
    }
    out.push_back(Evidence(scan, i));
  }
  return out;
}

nlohmann::json TriJson(wire::Tri tri) {
  if (tri == wire::Tri::kUnknown) return nullptr;
  return tri == wire::Tri::kYes;
}

nlohmann::json AlpnJson(const wire::AlpnFinding& f) {
  return {{"answer", wire::AlpnAnswerName(f.answer)},
          {"protocol", f.answer == wire::AlpnAnswer::kSelected ? nlohmann::json(f.protocol)
                                                               : nlohmann::json(nullptr)},
          {"alert", f.answer == wire::AlpnAnswer::kRefused ? nlohmann::json(wire::AlertName(f.alert))
                                                           : nlohmann::json(nullptr)}};
}

std::string AlpnPhrase(const wire::AlpnFinding& f) {
  switch (f.answer) {
    case wire::AlpnAnswer::kIgnored: return "ignored";
    case wire::AlpnAnswer::kSelected: return absl::StrCat(f.protocol, " selected");
    case wire::AlpnAnswer::kRefused: return absl::StrCat("refused (", wire::AlertName(f.alert), ")");
    case wire::AlpnAnswer::kUnknown: break;
  }
  return "unknown";
}

// The ALPN finding: what a sender that offers "smtp" gets, and whether a
// foreign protocol is refused (RFC 7301 3.2), ignored, or selected (the
// cross-protocol confusion of ALPACA, a problem).
Finding AlpnFindingOf(const wire::ScanResult& scan) {
  using wire::AlpnAnswer;
  const wire::AlpnFinding& smtp = scan.alpn_smtp;
  const wire::AlpnFinding& foreign = scan.alpn_foreign;
  Severity severity = Severity::kOk;
  if (foreign.answer == AlpnAnswer::kSelected ||
      (smtp.answer == AlpnAnswer::kSelected && smtp.protocol != "smtp")) {
    severity = Severity::kProblem;
  } else if (smtp.answer == AlpnAnswer::kRefused) {
    severity = Severity::kWarning;
  } else if (smtp.answer == AlpnAnswer::kUnknown || foreign.answer == AlpnAnswer::kUnknown) {
    severity = Severity::kUnknown;
  }
  nlohmann::json ignored = nullptr;
  if (smtp.answer == AlpnAnswer::kIgnored) ignored = true;
  if (smtp.answer == AlpnAnswer::kSelected) ignored = false;
  std::string title =
      smtp.answer == AlpnAnswer::kUnknown && foreign.answer == AlpnAnswer::kUnknown
          ? "tls.alpn: unknown"
          : absl::StrCat("ALPN: offering smtp, ", AlpnPhrase(smtp), "; offering h2, http/1.1, ",
                         AlpnPhrase(foreign));
  if (severity == Severity::kWarning) absl::StrAppend(&title, ": a sender offering ALPN smtp fails");
  if (severity == Severity::kProblem) {
    absl::StrAppend(&title, ": a protocol other than SMTP is spoken here (ALPACA)");
  }
  return Make("tls.alpn", severity, std::move(title),
              {{"ignored", ignored},
               {"selected", smtp.answer == AlpnAnswer::kSelected ? nlohmann::json(smtp.protocol)
                                                                  : nlohmann::json(nullptr)},
               {"smtp", AlpnJson(smtp)},
               {"foreign", AlpnJson(foreign)}},
              {Evidence(scan, smtp.evidence), Evidence(scan, foreign.evidence)});
}

void ScanFindings(const ProbeReport& report, std::vector<Finding>* out) {
  if (!report.scan.has_value()) {
    if (report.scan_status != "not_run") {
      out->push_back(Make("tls.scan", Severity::kUnknown,
                          absl::StrCat("TLS scan not done: ", report.scan_status),
                          {{"status", report.scan_status}}));
    }
    return;
  }
  const wire::ScanResult& scan = *report.scan;
  out->push_back(Make("tls.scan", scan.aborted ? Severity::kWarning : Severity::kInfo,
                      absl::StrCat(scan.exchanges.size(), " ClientHellos in ",
                                   absl::FormatDuration(scan.elapsed),
                                   scan.aborted ? absl::StrCat(", aborted: ", scan.abort_reason)
                                                : ""),
                      {{"exchanges", scan.exchanges.size()},
                       {"elapsed_ms", absl::ToDoubleMilliseconds(scan.elapsed)},
                       {"aborted", scan.aborted},
                       {"abort_reason", scan.abort_reason}}));
  bool modern = false;
  for (const wire::VersionFinding& v : scan.versions) {
    const std::string name = wire::VersionName(v.version);
    Severity sev = Severity::kInfo;
    if (v.accepted == wire::Tri::kUnknown) sev = Severity::kUnknown;
    if (v.accepted == wire::Tri::kYes) {
      sev = v.version >= wire::kTls12 ? Severity::kOk
            : v.version == wire::kSsl3 ? Severity::kProblem
                                        : Severity::kWarning;
      modern = modern || v.version >= wire::kTls12;
    }
    out->push_back(Make(absl::StrCat("tls.version[", name, "]"), sev,
                        absl::StrCat(name, v.accepted == wire::Tri::kYes  ? " accepted"
                                           : v.accepted == wire::Tri::kNo ? " refused"
                                                                          : " unknown"),
                        {{"version", name}, {"accepted", TriJson(v.accepted)}},
                        {Evidence(scan, v.evidence)}));
  }
  if (!modern && !scan.versions.empty()) {
    out->push_back(Make("tls.modern_version", Severity::kProblem,
                        "neither TLS 1.2 nor TLS 1.3 accepted", {{"accepted", false}}));
  }
  std::vector<std::string> not_fs;
  for (const wire::SuiteFinding& f : scan.suites) {
    const std::string name = wire::VersionName(f.version);
    std::vector<std::string> names;
    for (uint16_t id : f.accepted) {
      names.push_back(wire::SuiteName(id));
      const wire::CipherSuiteInfo* info = wire::FindCipherSuite(id);
      if (info == nullptr || !info->forward_secret()) not_fs.push_back(absl::StrCat(name, " ", wire::SuiteName(id)));
    }
    out->push_back(Make(absl::StrCat("tls.suites[", name, "]"),
                        f.complete ? Severity::kInfo : Severity::kUnknown,
                        absl::StrCat(name, ": ", f.accepted.size(), " suites accepted, ",
                                     wire::PreferenceName(f.order), " order",
                                     f.complete ? "" : " (incomplete)"),
                        {{"version", name},
                         {"accepted", names},
                         {"order", wire::PreferenceName(f.order)},
                         {"complete", f.complete}},
                        Evidence(scan, f.evidence)));
  }
  if (!scan.suites.empty()) {
    out->push_back(Make("tls.forward_secrecy", not_fs.empty() ? Severity::kOk : Severity::kWarning,
                        not_fs.empty() ? "every accepted suite is forward-secret"
                                       : absl::StrCat(not_fs.size(),
                                                      " accepted suites lack forward secrecy"),
                        {{"all", not_fs.empty()}, {"not_forward_secret", not_fs}}));
  }
  for (const wire::GroupFinding& g : scan.groups) {
    const std::string name = wire::VersionName(g.version);
    std::vector<std::string> names;
    for (uint16_t id : g.accepted) names.push_back(wire::GroupName(id));
    out->push_back(Make(absl::StrCat("tls.groups[", name, "]"),
                        g.complete ? Severity::kInfo : Severity::kUnknown,
                        absl::StrCat(name, " groups: ", absl::StrJoin(names, ", "),
                                     g.preferred != 0
                                         ? absl::StrCat(" (prefers ", wire::GroupName(g.preferred), ")")
                                         : ""),
                        {{"version", name},
                         {"accepted", names},
                         {"order", wire::PreferenceName(g.order)},
                         {"preferred", g.preferred != 0 ? nlohmann::json(wire::GroupName(g.preferred))
                                                        : nlohmann::json(nullptr)}},
                        Evidence(scan, g.evidence)));
  }
  if (!scan.dh_p_bits.empty()) {
    const int smallest = scan.dh_p_bits.front();
    out->push_back(Make("tls.dhe_size",
                        smallest < 2048 ? Severity::kProblem : Severity::kInfo,
                        absl::StrCat("DHE parameters: ", absl::StrJoin(scan.dh_p_bits, ", "),
                                     " bits"),
                        {{"bits", scan.dh_p_bits}}, {Evidence(scan, scan.dh_evidence)}));
  }
  for (const wire::SignatureFinding& f : scan.signature_algorithms) {
    const std::string name = wire::VersionName(f.version);
    std::vector<std::string> names;
    for (uint16_t id : f.accepted) names.push_back(wire::SignatureSchemeName(id));
    out->push_back(Make(absl::StrCat("tls.signature_algorithms[", name, "]"),
                        f.sha1_only == wire::Tri::kYes ? Severity::kWarning : Severity::kInfo,
                        absl::StrCat(name, " signature algorithms: ", absl::StrJoin(names, ", ")),
                        {{"version", name},
                         {"accepted", names},
                         {"sha1_only", TriJson(f.sha1_only)},
                         {"accepts_sha1", TriJson(f.accepts_sha1)}},
                        Evidence(scan, f.evidence)));
  }
  struct FactRow {
    const char* id;
    const wire::Fact* fact;
    const char* yes;
    const char* no;
    Severity yes_severity;
    Severity no_severity;
  };
  const FactRow facts[] = {
      {"tls.compression", &scan.compression, "TLS compression accepted (CRIME)",
       "no TLS compression", Severity::kProblem, Severity::kOk},
      {"tls.secure_renegotiation", &scan.secure_renegotiation,
       "secure renegotiation (RFC 5746)", "no secure renegotiation (RFC 5746)", Severity::kOk,
       Severity::kWarning},
      {"tls.extended_master_secret", &scan.extended_master_secret,
       "extended master secret (RFC 7627)", "no extended master secret", Severity::kOk,
       Severity::kWarning},
      {"tls.session_ticket", &scan.session_ticket, "session tickets (TLS 1.2)",
       "no session tickets (TLS 1.2)", Severity::kInfo, Severity::kInfo},
      {"tls.ocsp_stapling", &scan.ocsp_stapling, "OCSP stapling", "no OCSP stapling",
       Severity::kInfo, Severity::kInfo},
      {"tls.fallback_scsv", &scan.fallback_scsv, "TLS_FALLBACK_SCSV honoured",
       "TLS_FALLBACK_SCSV ignored", Severity::kOk, Severity::kWarning},
  };
  for (const FactRow& row : facts) {
    const wire::Tri v = row.fact->value;
    out->push_back(Make(row.id,
                        v == wire::Tri::kYes  ? row.yes_severity
                        : v == wire::Tri::kNo ? row.no_severity
                                              : Severity::kUnknown,
                        v == wire::Tri::kYes  ? row.yes
                        : v == wire::Tri::kNo ? row.no
                                              : absl::StrCat(row.id, ": unknown"),
                        {{"value", TriJson(v)}}, {Evidence(scan, row.fact->evidence)}));
  }
  out->push_back(AlpnFindingOf(scan));
  if (!scan.conditions.empty()) {
    out->push_back(Make("tls.conditions", Severity::kWarning,
                        absl::StrCat(scan.conditions.size(),
                                     " ClientHellos got no TLS answer (timeouts, resets, garbage, "
                                     "refused connections)"),
                        {{"count", scan.conditions.size()}}, Evidence(scan, scan.conditions)));
  }
}

void SmtpFindings(const ProbeReport& report, const Deadlines& deadlines,
                  std::vector<Finding>* out) {
  const SmtpFacts& smtp = report.smtp;
  if (smtp.banner_code == 0) {
    out->push_back(Make("smtp.banner", Severity::kProblem,
                        absl::StrCat("no SMTP banner: ", smtp.outcome,
                                     smtp.outcome_detail.empty() ? "" : " (",
                                     smtp.outcome_detail, smtp.outcome_detail.empty() ? "" : ")"),
                        {{"code", nullptr}, {"outcome", smtp.outcome}}, smtp.transcript,
                        smtp.outcome));
    return;
  }
  const double delay_ms = absl::ToDoubleMilliseconds(smtp.banner_delay);
  nlohmann::json banner = {{"code", smtp.banner_code},
                           {"text", smtp.banner_text},
                           {"delay_ms", delay_ms}};
  if (smtp.banner_code == 220) {
    out->push_back(Make("smtp.banner", Severity::kOk, absl::StrCat("banner ", smtp.banner_code),
                        banner));
  } else {
    out->push_back(Make("smtp.banner", Severity::kProblem,
                        absl::StrCat("the server refused the session with ", smtp.banner_code,
                                     smtp.banner_code == 421 ? " (busy or rate-limited)" : ""),
                        banner, smtp.transcript, smtp.outcome));
  }
  if (smtp.banner_delay > deadlines.tarpit) {
    out->push_back(Make("smtp.tarpit", Severity::kWarning,
                        absl::StrFormat("banner after %.1f s (greeting delay or tarpit)",
                                        delay_ms / 1000),
                        {{"delay_ms", delay_ms}}));
  }
  if (smtp.banner_code != 220 || report.implicit_tls) return;

  if (!smtp.ehlo_ok) {
    out->push_back(Make("smtp.starttls", Severity::kUnknown,
                        absl::StrCat("EHLO failed: ", smtp.outcome), {}, smtp.transcript,
                        smtp.outcome));
  } else if (!smtp.starttls_offered) {
    out->push_back(Make("smtp.starttls", Severity::kProblem,
                        "STARTTLS not offered: mail to this server travels in plaintext",
                        {{"offered", false}}, smtp.transcript, smtp.outcome));
  } else if (smtp.starttls_code == 220) {
    out->push_back(Make("smtp.starttls", Severity::kOk, "STARTTLS offered and accepted (220)",
                        {{"offered", true}, {"code", 220}, {"text", smtp.starttls_text}}));
  } else {
    out->push_back(Make(
        "smtp.starttls", Severity::kProblem,
        smtp.starttls_code != 0 ? absl::StrCat("STARTTLS offered but answered ", smtp.starttls_code)
                                : absl::StrCat("STARTTLS offered, no usable reply: ", smtp.outcome),
        {{"offered", true}, {"code", smtp.starttls_code}, {"text", smtp.starttls_text}},
        smtp.transcript, smtp.outcome));
  }
  if (smtp.outcome == "protocol_violation:starttls_injection") {
    out->push_back(Make("smtp.starttls_response_injection", Severity::kProblem,
                        "the server sent bytes after its 220 to STARTTLS, before the handshake",
                        {{"vulnerable", true}}, smtp.transcript, smtp.outcome));
  }

  if (smtp.mail_before_tls_outcome != "ok") {
    out->push_back(Make("smtp.mail_before_tls", Severity::kUnknown,
                        absl::StrCat("MAIL FROM before STARTTLS not tested: ",
                                     smtp.mail_before_tls_outcome),
                        {{"code", nullptr}}, smtp.mail_transcript, smtp.mail_before_tls_outcome));
  } else {
    const int code = smtp.mail_before_tls_code;
    const bool refuses = code == 530;
    out->push_back(Make(
        "smtp.mail_before_tls", Severity::kInfo,
        refuses ? "refuses mail without TLS (530 to MAIL FROM before STARTTLS)"
                : absl::StrCat("accepts MAIL FROM without TLS (", code,
                               "): opportunistic TLS, a sender may deliver in plaintext"),
        {{"code", code}, {"refuses_without_tls", refuses}}, smtp.mail_transcript));
  }
  if (smtp.pipelining_correct.has_value()) {
    out->push_back(Make("smtp.pipelining", *smtp.pipelining_correct ? Severity::kOk
                                                                      : Severity::kProblem,
                        smtp.pipelining_detail, {{"correct", *smtp.pipelining_correct}},
                        *smtp.pipelining_correct ? std::vector<std::string>{}
                                                 : smtp.mail_transcript));
  } else if (smtp.mail_before_tls_outcome == "ok") {
    out->push_back(Make("smtp.pipelining", Severity::kInfo, "PIPELINING not advertised",
                        {{"correct", nullptr}}));
  }
  if (smtp.injection_vulnerable.has_value()) {
    const bool v = *smtp.injection_vulnerable;
    out->push_back(Make("smtp.starttls_injection", v ? Severity::kProblem : Severity::kOk,
                        v ? "the NOOP sent with STARTTLS was answered inside TLS: the server "
                            "executes plaintext injected before the handshake (CVE-2011-0411 "
                            "class)"
                          : "commands pipelined with STARTTLS are discarded",
                        {{"vulnerable", v}}, smtp.injection_transcript));
  } else if (smtp.starttls_offered) {
    out->push_back(Make("smtp.starttls_injection", Severity::kUnknown,
                        absl::StrCat("STARTTLS injection not tested: ", smtp.injection_outcome),
                        {{"vulnerable", nullptr}}, smtp.injection_transcript,
                        smtp.injection_outcome));
  }
}

void CertificateFindings(const ProbeReport& report, std::vector<Finding>* out) {
  const CertificateFacts& cert = report.certificate;
  if (cert.outcome == "not_run") return;
  if (cert.outcome != "ok") {
    out->push_back(Make("tls.handshake", Severity::kProblem,
                        absl::StrCat("a modern client (TLS 1.2-1.3) cannot complete a handshake: ",
                                     cert.outcome),
                        {{"outcome", cert.outcome}, {"detail", cert.outcome_detail}},
                        report.smtp.transcript, cert.outcome));
    return;
  }
  const tls::HandshakeInfo& h = cert.handshake;
  out->push_back(Make("tls.handshake", Severity::kInfo,
                      absl::StrCat("a modern client gets ", h.ToString()),
                      {{"version", tls::VersionName(h.version)},
                       {"cipher_suite", tls::CipherName(h.cipher_suite)},
                       {"group", tls::GroupName(h.group)},
                       {"signature_algorithm", tls::SigalgName(h.signature_algorithm)}}));
  if (cert.resumed.has_value()) {
    out->push_back(Make("tls.resumption", Severity::kInfo,
                        *cert.resumed ? "sessions resume" : "sessions do not resume",
                        {{"resumed", *cert.resumed}}));
  } else {
    out->push_back(Make("tls.resumption", Severity::kUnknown,
                        absl::StrCat("resumption not tested: ", cert.resumption_outcome),
                        {{"resumed", nullptr}}, {}, cert.resumption_outcome));
  }
  if (cert.chain.empty()) {
    out->push_back(Make("cert.chain", Severity::kProblem, "the server sent no certificate"));
    return;
  }
  nlohmann::json chain = nlohmann::json::array();
  std::vector<std::string> evidence;
  if (cert.summary.has_value()) {
    const x509::Summary& s = *cert.summary;
    evidence.push_back(absl::StrCat("subject: ", s.subject));
    evidence.push_back(absl::StrCat("issuer: ", s.issuer));
    evidence.push_back(absl::StrCat("root issuer: ", s.root_issuer));
  }
  out->push_back(Make("cert.chain", cert.parse_error.empty() ? Severity::kInfo : Severity::kProblem,
                      cert.parse_error.empty()
                          ? absl::StrCat(cert.chain.size(), " certificate",
                                         cert.chain.size() == 1 ? "" : "s", " sent")
                          : absl::StrCat("unparsable certificate: ", cert.parse_error),
                      {{"length", cert.chain.size()},
                       {"summary", cert.summary.has_value() ? x509::ToJson(*cert.summary)
                                                            : nlohmann::json(nullptr)}},
                      evidence));
  const bool trusted = cert.verify_error == X509_V_OK;
  out->push_back(Make("cert.trust", trusted ? Severity::kOk : Severity::kProblem,
                      trusted ? "the chain validates to a trusted root"
                              : absl::StrCat("the chain does not validate: ",
                                             cert.verify_error_text),
                      {{"trusted", trusted},
                       {"verify_error", cert.verify_error},
                       {"verify_error_text", cert.verify_error_text}}));
  if (!cert.summary.has_value()) return;
  const x509::Summary& s = *cert.summary;
  const int64_t days = s.days_until_expiry;
  Severity expiry = Severity::kOk;
  std::string expiry_title = absl::StrCat("valid for ", days, " more days");
  if (s.validity == x509::ValidityStatus::kExpired) {
    expiry = Severity::kProblem;
    expiry_title = absl::StrCat("expired ", -days, " days ago");
  } else if (s.validity == x509::ValidityStatus::kNotYetValid) {
    expiry = Severity::kProblem;
    expiry_title = "not yet valid";
  } else if (days < kExpirySoonDays) {
    expiry = Severity::kWarning;
  }
  out->push_back(Make("cert.expiry", expiry, expiry_title,
                      {{"status", x509::ValidityStatusName(s.validity)},
                       {"days_left", days},
                       {"not_after", absl::FormatTime(absl::RFC3339_sec, s.not_after,
                                                      absl::UTCTimeZone())}}));
  out->push_back(Make("cert.key", s.key_weak ? Severity::kProblem : Severity::kOk,
                      absl::StrCat(s.key_type, " ", s.key_bits, " bits",
                                   s.key_weak ? " (weak)" : ""),
                      {{"type", s.key_type}, {"bits", s.key_bits}, {"weak", s.key_weak}}));
  out->push_back(Make("cert.signature", s.signature_weak ? Severity::kProblem : Severity::kOk,
                      absl::StrCat("signed with ", s.signature_algorithm,
                                   s.signature_weak ? " (weak hash)" : ""),
                      {{"algorithm", s.signature_algorithm}, {"weak", s.signature_weak}}));
  for (const CertificateFacts::Name& n : cert.names) {
    const std::string rules(x509::NameRulesName(n.check.rules));
    out->push_back(Make(
        absl::StrCat("cert.name[", n.check.reference, "]"),
        n.result.matched ? Severity::kOk : Severity::kProblem,
        n.result.matched
            ? absl::StrCat("valid for ", n.check.reference, " (", rules, ": ",
                           n.result.presented, ")")
            : absl::StrCat("not valid for ", n.check.reference, ": ", n.result.reason),
        {{"reference", n.check.reference},
         {"rules", rules},
         {"matched", n.result.matched},
         {"presented", n.result.presented}}));
  }
}

void RenegotiationFindings(const ProbeReport& report, std::vector<Finding>* out) {
  const RenegotiationFacts& r = report.renegotiation;
  if (r.outcome == "not_run") return;
  if (absl::StartsWith(r.outcome, "not_applicable")) {
    out->push_back(Make("tls.client_renegotiation", Severity::kInfo,
                        absl::StrCat("client-initiated renegotiation not applicable: ", r.detail),
                        {{"accepted", nullptr}, {"applicable", false}}, r.evidence));
    return;
  }
  if (!r.accepted.has_value()) {
    out->push_back(Make("tls.client_renegotiation", Severity::kUnknown,
                        absl::StrCat("client-initiated renegotiation not tested: ", r.outcome,
                                     r.detail.empty() ? "" : absl::StrCat(" (", r.detail, ")")),
                        {{"accepted", nullptr}, {"applicable", true}}, r.evidence, r.outcome));
    return;
  }
  out->push_back(Make("tls.client_renegotiation", *r.accepted ? Severity::kWarning : Severity::kOk,
                      *r.accepted ? "client-initiated renegotiation accepted (a client can make "
                                    "the server redo its handshake: CPU exhaustion)"
                                  : absl::StrCat("client-initiated renegotiation refused: ",
                                                 r.detail),
                      {{"accepted", *r.accepted}, {"applicable", true}}, r.evidence));
}

}  // namespace

std::vector<Finding> Findings(const ProbeReport& report) {
  std::vector<Finding> out;
  SmtpFindings(report, report.deadlines, &out);
  CertificateFindings(report, &out);
  ScanFindings(report, &out);
  RenegotiationFindings(report, &out);
  return out;
}

}  // namespace mailshake::probe
