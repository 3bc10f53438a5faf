#include "src/probe/policy.h"

#include <openssl/x509.h>

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_join.h"
#include "src/wire/catalog.h"

namespace mailshake::probe {
namespace {

using wire::Cipher;
using wire::CipherMode;
using wire::Authentication;
using wire::KeyExchange;
using wire::Mac;

// ---------------------------------------------------------------------------
// NCSC-NL tables: "ICT-beveiligingsrichtlijnen voor Transport Layer Security
// (TLS)", version 2025-05 (NCSC-NL, June 2025; it replaces v2.1 of 2021), as
// internet.nl applies them since its release 1.11 (April 2026). Anything not
// listed is insufficient. Where a row goes beyond what internet.nl grades, or
// where the probe sees less than the guideline asks about, a comment says so.
//
// What 2025-05 changed against v2.1's levels (the tables this policy had before): TLS 1.0 and 1.1 are insufficient
// (were phase-out); only TLS_AES_256_GCM_SHA384 and ChaCha20-Poly1305 are good
// in TLS 1.3 (AES-128 sufficient); TLS 1.2 ECDHE AEAD suites are sufficient
// (were good); CBC suites need a SHA-2 MAC (SHA-1 CBC and 3DES and static RSA
// are insufficient, were sufficient or phase-out); DHE suites are phase-out;
// secp521r1 and brainpool curves are good; FFDHE groups of 3072 bits and up
// are phase-out and ffdhe2048 insufficient; SHA-1 for key exchange is
// insufficient; RSA certificate keys of 2048 bits are phase-out.

struct VersionRow {
  uint16_t version;
  Level level;
};
constexpr VersionRow kNcscVersions[] = {
    {wire::kTls13, Level::kGood},
    {wire::kTls12, Level::kSufficient},
};

// A suite row matches a suite when its key exchange, authentication, cipher,
// mode and MAC are all among the row's (an empty list matches anything).
// First match wins.
struct SuiteRow {
  std::initializer_list<KeyExchange> key_exchange;
  std::initializer_list<Authentication> authentication;
  std::initializer_list<Cipher> cipher;
  std::initializer_list<CipherMode> mode;
  std::initializer_list<Mac> mac;
  Level level;
};
const SuiteRow kNcscSuites[] = {
    // TLS 1.3 (CCM_8 is not listed: insufficient).
    {{KeyExchange::kAny}, {}, {Cipher::kAes256, Cipher::kChaCha20},
     {CipherMode::kGcm, CipherMode::kPoly1305}, {}, Level::kGood},
    {{KeyExchange::kAny}, {}, {Cipher::kAes128}, {CipherMode::kGcm, CipherMode::kCcm}, {},
     Level::kSufficient},
    // TLS 1.2 ECDHE with an AEAD.
    {{KeyExchange::kEcdhe}, {Authentication::kRsa, Authentication::kEcdsa},
     {Cipher::kAes128, Cipher::kAes256, Cipher::kChaCha20},
     {CipherMode::kGcm, CipherMode::kPoly1305, CipherMode::kCcm}, {}, Level::kSufficient},
    {{KeyExchange::kEcdhe}, {Authentication::kRsa, Authentication::kEcdsa},
     {Cipher::kCamellia128, Cipher::kCamellia256, Cipher::kAria128, Cipher::kAria256},
     {CipherMode::kGcm}, {}, Level::kPhaseOut},
    // DHE (RSA only) with an AEAD.
    {{KeyExchange::kDhe}, {Authentication::kRsa},
     {Cipher::kAes128, Cipher::kAes256, Cipher::kChaCha20, Cipher::kCamellia128,
      Cipher::kCamellia256, Cipher::kAria128, Cipher::kAria256},
     {CipherMode::kGcm, CipherMode::kPoly1305, CipherMode::kCcm}, {}, Level::kPhaseOut},
    // CBC with a SHA-2 MAC, ECDHE or DHE-RSA.
    {{KeyExchange::kEcdhe, KeyExchange::kDhe}, {Authentication::kRsa, Authentication::kEcdsa},
     {Cipher::kAes128, Cipher::kAes256, Cipher::kCamellia128, Cipher::kCamellia256,
      Cipher::kAria128, Cipher::kAria256},
     {CipherMode::kCbc}, {Mac::kSha256, Mac::kSha384}, Level::kPhaseOut},
};

struct GroupRow {
  uint16_t group;
  Level level;
};
constexpr GroupRow kNcscGroups[] = {
    {29, Level::kGood},  // x25519
    {30, Level::kGood},  // x448
    {23, Level::kGood},  // secp256r1
    {24, Level::kGood},  // secp384r1
    {25, Level::kGood},  // secp521r1
    {26, Level::kGood},  // brainpoolP256r1
    {27, Level::kGood},  // brainpoolP384r1
    {28, Level::kGood},  // brainpoolP512r1
    {31, Level::kGood},  // brainpoolP256r1tls13
    {32, Level::kGood},  // brainpoolP384r1tls13
    {33, Level::kGood},  // brainpoolP512r1tls13
    // ML-KEM hybrids whose classical half is good: good. Our reading:
    // internet.nl does not grade post-quantum groups yet.
    {4587, Level::kGood},  // SecP256r1MLKEM768
    {4588, Level::kGood},  // X25519MLKEM768
    {4589, Level::kGood},  // SecP384r1MLKEM1024
    {21, Level::kPhaseOut},   // secp224r1
    {257, Level::kPhaseOut},  // ffdhe3072
    {258, Level::kPhaseOut},  // ffdhe4096
    {259, Level::kPhaseOut},  // ffdhe6144
    {260, Level::kPhaseOut},  // ffdhe8192
};

template <typename T>
bool In(std::initializer_list<T> list, T value) {
  return list.size() == 0 || std::find(list.begin(), list.end(), value) != list.end();
}

Level Worst(Level a, Level b) { return std::max(a, b); }

// ---------------------------------------------------------------------------
// Building checks.

Check Make(std::string id, std::string title, Verdict verdict, std::string rfc8460 = "",
           std::vector<std::string> evidence = {}) {
  Check c;
  c.id = std::move(id);
  c.title = std::move(title);
  c.verdict = verdict;
  if (verdict == Verdict::kFail) c.rfc8460 = std::move(rfc8460);
  c.evidence = std::move(evidence);
  return c;
}

Check Graded(std::string id, std::string title, Level level, std::vector<std::string> evidence) {
  Check c = Make(std::move(id), std::move(title),
                 level == Level::kInsufficient ? Verdict::kFail : Verdict::kPass, "",
                 std::move(evidence));
  c.level = level;
  return c;
}

Check Unknown(std::string id, std::string why) {
  return Make(std::move(id), std::move(why), Verdict::kUnknown);
}

bool HandshakeOk(const ProbeReport& r) { return r.certificate.outcome == "ok"; }
bool Trusted(const ProbeReport& r) { return r.certificate.verify_error == X509_V_OK; }

// The TLS session: offered and working for a modern client.
Check Encryption(const ProbeReport& r) {
  if (r.smtp.banner_code == 0) return Unknown("tls", "the server did not answer");
  const std::string rfc8460 = Rfc8460ResultType(r, false);
  if (!r.implicit_tls && (!r.smtp.starttls_offered || r.smtp.starttls_code != 220)) {
    return Make("tls", "no TLS session: STARTTLS not offered or refused", Verdict::kFail,
                "starttls-not-supported", {r.smtp.outcome});
  }
  if (!HandshakeOk(r)) {
    return Make("tls", absl::StrCat("no TLS session: ", r.certificate.outcome), Verdict::kFail,
                rfc8460.empty() ? "validation-failure" : rfc8460, {r.certificate.outcome_detail});
  }
  return Make("tls", absl::StrCat("TLS works: ", r.certificate.handshake.ToString()),
              Verdict::kPass);
}

Check ChainTrusted(const ProbeReport& r) {
  if (!HandshakeOk(r) || r.certificate.chain.empty()) {
    return Unknown("cert.trust", "no certificate to validate");
  }
  if (Trusted(r)) return Make("cert.trust", "the chain validates", Verdict::kPass);
  return Make("cert.trust", absl::StrCat("the chain does not validate: ",
                                         r.certificate.verify_error_text),
              Verdict::kFail,
              r.certificate.verify_error == X509_V_ERR_CERT_HAS_EXPIRED ? "certificate-expired"
                                                                       : "certificate-not-trusted");
}

// Names checks the names (the host dialled when |all| is false, else every
// name the user asked for too).
Check Names(const ProbeReport& r, bool all) {
  if (r.certificate.names.empty()) return Unknown("cert.name", "no certificate to match");
  std::vector<std::string> evidence;
  bool ok = true;
  const size_t n = all ? r.certificate.names.size() : 1;
  // With extra names, the extra names are what a connector checks.
  const size_t first = all && r.certificate.names.size() > 1 ? 1 : 0;
  for (size_t i = first; i < n; ++i) {
    const CertificateFacts::Name& name = r.certificate.names[i];
    evidence.push_back(absl::StrCat(name.check.reference, " (", x509::NameRulesName(name.check.rules),
                                    "): ", name.result.matched ? "matches " : "no match",
                                    name.result.matched ? name.result.presented : ""));
    ok = ok && name.result.matched;
  }
  return Make("cert.name", ok ? "the certificate names the host" : "the certificate does not name the host",
              ok ? Verdict::kPass : Verdict::kFail, "certificate-host-mismatch", evidence);
}

Check Expiry(const ProbeReport& r) {
  if (!r.certificate.summary.has_value()) return Unknown("cert.expiry", "no certificate");
  const x509::Summary& s = *r.certificate.summary;
  const bool ok = s.validity == x509::ValidityStatus::kValid;
  return Make("cert.expiry",
              ok ? absl::StrCat("valid for ", s.days_until_expiry, " more days")
                 : absl::StrCat("not valid now (", x509::ValidityStatusName(s.validity), ")"),
              ok ? Verdict::kPass : Verdict::kFail, "certificate-expired");
}

// Certificate keys under NCSC-NL 2025-05 (3.3.2.1), as internet.nl grades
// them: RSA 3072 bits and up good, 2048 phase-out; ECDSA on P-256/384/521 or
// brainpoolP256r1/384r1/512r1 good, on P-224 phase-out; anything else
// insufficient. Ed25519 and Ed448 keys are graded good here: internet.nl's
// table names only X25519/X448 key types, so it grades EdDSA certificate keys
// insufficient, which the guideline does not ask for (a deliberate
// difference).
Level CertKeyLevel(const x509::Summary& s) {
  if (s.key_type == "RSA") {
    return s.key_bits >= 3072 ? Level::kGood
           : s.key_bits >= 2048 ? Level::kPhaseOut
                                : Level::kInsufficient;
  }
  for (const char* good :
       {"ECDSA P-256", "ECDSA P-384", "ECDSA P-521", "ECDSA brainpoolP256r1",
        "ECDSA brainpoolP384r1", "ECDSA brainpoolP512r1", "Ed25519", "Ed448"}) {
    if (s.key_type == good) return Level::kGood;
  }
  if (s.key_type == "ECDSA P-224") return Level::kPhaseOut;
  return Level::kInsufficient;
}

// Versions accepted, from the scan.
std::vector<uint16_t> AcceptedVersions(const wire::ScanResult& scan) {
  std::vector<uint16_t> out;
  for (const wire::VersionFinding& v : scan.versions) {
    if (v.accepted == wire::Tri::kYes) out.push_back(v.version);
  }
  return out;
}

bool VersionsKnown(const wire::ScanResult& scan) {
  for (const wire::VersionFinding& v : scan.versions) {
    if (v.accepted == wire::Tri::kUnknown) return false;
  }
  return !scan.versions.empty();
}

bool Sha1OnlyAccepted(const wire::ScanResult& scan) {
  for (const wire::SignatureFinding& f : scan.signature_algorithms) {
    if (f.version <= wire::kTls12 && f.sha1_only == wire::Tri::kYes) return true;
  }
  return false;
}

bool HasTls12OrOlder(const wire::ScanResult& scan) {
  for (const wire::VersionFinding& v : scan.versions) {
    if (v.version <= wire::kTls12 && v.accepted != wire::Tri::kNo) return true;
  }
  return false;
}

// Client-initiated renegotiation as internet.nl grades it (NCSC-NL 2025-05
// 3.4.2): not allowed good; allowed at most 10 times on one connection
// sufficient; more often insufficient. The probe sees whether the server
// answers one renegotiating ClientHello, not how many renegotiations it
// would complete, so "allowed" is a warning whose level it cannot tell.
Check ClientRenegotiationCheck(const ProbeReport& r) {
  const RenegotiationFacts& f = r.renegotiation;
  if (absl::StartsWith(f.outcome, "not_applicable")) {
    return Graded("client_renegotiation",
                  absl::StrCat("client-initiated renegotiation: not applicable (", f.detail, ")"),
                  Level::kGood, f.evidence);
  }
  if (!f.accepted.has_value()) {
    return Unknown("client_renegotiation",
                   absl::StrCat("client-initiated renegotiation not tested: ", f.outcome));
  }
  if (!*f.accepted) {
    return Graded("client_renegotiation",
                  absl::StrCat("client-initiated renegotiation refused: ", f.detail), Level::kGood,
                  f.evidence);
  }
  Check c = Make("client_renegotiation",
                 "client-initiated renegotiation accepted: sufficient if the server stops after "
                 "10 on one connection, insufficient otherwise (not counted by the probe)",
                 Verdict::kUnknown, "", f.evidence);
  return c;
}

// ---------------------------------------------------------------------------
// The policies.

PolicyResult ExchangeOnline(const ProbeReport& r, const wire::ScanResult* scan) {
  PolicyResult p;
  p.name = "exchange-online";
  p.version = "2025-01";
  p.checks.push_back(Encryption(r));
  if (scan != nullptr && VersionsKnown(*scan)) {
    const std::vector<uint16_t> accepted = AcceptedVersions(*scan);
    std::vector<std::string> old;
    bool modern = false;
    for (uint16_t v : accepted) {
      if (v < wire::kTls12) old.push_back(wire::VersionName(v));
      if (v >= wire::kTls12) modern = true;
    }
    p.checks.push_back(Make("versions",
                            !modern ? "neither TLS 1.2 nor TLS 1.3 accepted"
                            : old.empty()
                                ? "only TLS 1.2 or newer accepted"
                                : absl::StrCat("deprecated versions accepted: ",
                                               absl::StrJoin(old, ", ")),
                            modern && old.empty() ? Verdict::kPass : Verdict::kFail,
                            "validation-failure", old));
  } else if (HandshakeOk(r) && r.certificate.handshake.version >= TLS1_2_VERSION) {
    p.checks.push_back(Unknown("versions", "TLS 1.2+ works; older versions not scanned"));
  } else {
    p.checks.push_back(Unknown("versions", "versions not scanned"));
  }
  if (scan != nullptr && !scan->suites.empty()) {
    std::vector<std::string> not_fs;
    bool complete = true;
    for (const wire::SuiteFinding& f : scan->suites) {
      complete = complete && f.complete;
      for (uint16_t id : f.accepted) {
        const wire::CipherSuiteInfo* info = wire::FindCipherSuite(id);
        if (info == nullptr || !info->forward_secret()) {
          not_fs.push_back(absl::StrCat(wire::VersionName(f.version), " ", wire::SuiteName(id)));
        }
      }
    }
    if (!not_fs.empty()) {
      p.checks.push_back(Make("forward_secrecy",
                              absl::StrCat(not_fs.size(), " suites without forward secrecy accepted"),
                              Verdict::kFail, "validation-failure", not_fs));
    } else {
      p.checks.push_back(Make("forward_secrecy", "every accepted suite is forward-secret",
                              complete ? Verdict::kPass : Verdict::kUnknown));
    }
  } else {
    p.checks.push_back(Unknown("forward_secrecy", "suites not scanned"));
  }
  p.checks.push_back(ChainTrusted(r));
  p.checks.push_back(Names(r, true));
  p.checks.push_back(Expiry(r));
  if (r.certificate.summary.has_value()) {
    const x509::Summary& s = *r.certificate.summary;
    const bool key_ok = CertKeyLevel(s) != Level::kInsufficient;
    p.checks.push_back(Make("cert.key", absl::StrCat(s.key_type, " ", s.key_bits, " bits"),
                            key_ok ? Verdict::kPass : Verdict::kFail, "validation-failure"));
    p.checks.push_back(Make("cert.signature", absl::StrCat("signed with ", s.signature_algorithm),
                            s.signature_weak ? Verdict::kFail : Verdict::kPass,
                            "validation-failure"));
  }
  return p;
}

PolicyResult Ncsc(const ProbeReport& r, const wire::ScanResult* scan) {
  PolicyResult p;
  p.name = "ncsc-nl-2025-05";
  p.version = "2025-05";
  p.checks.push_back(Encryption(r));
  if (scan == nullptr) {
    for (const char* id : {"versions", "suites", "groups", "dhe_size", "kex_hash", "compression",
                           "secure_renegotiation", "extended_master_secret"}) {
      p.checks.push_back(Unknown(id, "not scanned"));
    }
  } else {
    // Versions.
    if (VersionsKnown(*scan)) {
      Level worst = Level::kGood;
      std::vector<std::string> ev;
      const std::vector<uint16_t> accepted = AcceptedVersions(*scan);
      for (uint16_t v : accepted) {
        const Level l = NcscVersionLevel(v);
        worst = Worst(worst, l);
        ev.push_back(absl::StrCat(wire::VersionName(v), ": ", LevelName(l)));
      }
      if (accepted.empty()) {
        p.checks.push_back(Make("versions", "no version accepted", Verdict::kFail,
                                "validation-failure"));
      } else {
        p.checks.push_back(Graded("versions", absl::StrCat("versions: worst is ", LevelName(worst)),
                                  worst, ev));
      }
    } else {
      p.checks.push_back(Unknown("versions", "some versions could not be tested"));
    }
    // Suites.
    if (!scan->suites.empty()) {
      Level worst = Level::kGood;
      std::vector<std::string> ev;
      for (const wire::SuiteFinding& f : scan->suites) {
        for (uint16_t id : f.accepted) {
          const Level l = NcscSuiteLevel(id);
          worst = Worst(worst, l);
          if (l != Level::kGood) {
            ev.push_back(absl::StrCat(wire::VersionName(f.version), " ", wire::SuiteName(id), ": ",
                                      LevelName(l)));
          }
        }
      }
      p.checks.push_back(
          Graded("suites", absl::StrCat("cipher suites: worst is ", LevelName(worst)), worst, ev));
    } else {
      p.checks.push_back(Unknown("suites", "suites not scanned"));
    }
    // Groups.
    if (!scan->groups.empty()) {
      Level worst = Level::kGood;
      std::vector<std::string> ev;
      for (const wire::GroupFinding& f : scan->groups) {
        for (uint16_t g : f.accepted) {
          const Level l = NcscGroupLevel(g);
          worst = Worst(worst, l);
          ev.push_back(absl::StrCat(wire::VersionName(f.version), " ", wire::GroupName(g), ": ",
                                    LevelName(l)));
        }
      }
      p.checks.push_back(
          Graded("groups", absl::StrCat("key-exchange groups: worst is ", LevelName(worst)), worst,
                 ev));
    } else {
      p.checks.push_back(Unknown("groups", "groups not scanned"));
    }
    // DHE sizes.
    if (!scan->dh_p_bits.empty()) {
      Level worst = Level::kGood;
      std::vector<std::string> ev;
      for (uint16_t bits : scan->dh_p_bits) {
        const Level l = NcscDhSizeLevel(bits);
        worst = Worst(worst, l);
        ev.push_back(absl::StrCat("DHE ", bits, " bits: ", LevelName(l)));
      }
      p.checks.push_back(Graded("dhe_size", "DHE parameter size", worst, ev));
    } else {
      p.checks.push_back(Make("dhe_size", "no DHE key exchange seen", Verdict::kPass));
    }
    // Key-exchange hash (TLS 1.2 ServerKeyExchange signatures).
    {
      Level worst = Level::kGood;
      std::vector<std::string> ev;
      bool any = false;
      for (const wire::SignatureFinding& f : scan->signature_algorithms) {
        if (f.version != wire::kTls12) continue;
        for (uint16_t s : f.accepted) {
          any = true;
          const Level l = NcscKexHashLevel(s);
          worst = Worst(worst, l);
          if (l != Level::kGood) {
            const wire::SignatureSchemeInfo* info = wire::FindSignatureScheme(s);
            ev.push_back(absl::StrCat(info != nullptr ? info->name : "?", ": ", LevelName(l)));
          }
        }
      }
      // internet.nl's own test: a hello offering only SHA-1 signature
      // schemes (SHA-224 ones are not offered by the scan) is accepted.
      if (Sha1OnlyAccepted(*scan)) {
        any = true;
        worst = Level::kInsufficient;
        ev.push_back("a ClientHello offering only SHA-1 signature algorithms is accepted");
      }
      if (any) {
        p.checks.push_back(Graded("kex_hash", "hash for key exchange", worst, ev));
      } else {
        p.checks.push_back(Unknown("kex_hash", "no TLS 1.2 signature algorithms seen"));
      }
    }
    if (scan->compression.value == wire::Tri::kUnknown) {
      p.checks.push_back(Unknown("compression", "compression not tested"));
    } else {
      const bool on = scan->compression.value == wire::Tri::kYes;
      p.checks.push_back(Graded("compression", on ? "TLS compression accepted" : "no TLS compression",
                                on ? Level::kInsufficient : Level::kGood, {}));
    }
    // Extended master secret (RFC 7627), for TLS 1.2 and older: internet.nl
    // (since 1.9) reports a server without it; our reading of its grading
    // is phase-out, not insufficient. Without TLS <= 1.2 it does not apply.
    if (!HasTls12OrOlder(*scan)) {
      p.checks.push_back(Graded("extended_master_secret",
                                "extended master secret: not applicable (no TLS 1.2 or older)",
                                Level::kGood, {}));
    } else if (scan->extended_master_secret.value == wire::Tri::kUnknown) {
      p.checks.push_back(Unknown("extended_master_secret", "extended master secret not tested"));
    } else {
      const bool on = scan->extended_master_secret.value == wire::Tri::kYes;
      p.checks.push_back(Graded("extended_master_secret",
                                on ? "extended master secret (RFC 7627) supported"
                                   : "no extended master secret (RFC 7627)",
                                on ? Level::kGood : Level::kPhaseOut, {}));
    }
    if (scan->secure_renegotiation.value == wire::Tri::kUnknown) {
      p.checks.push_back(Unknown("secure_renegotiation", "secure renegotiation not tested"));
    } else {
      const bool on = scan->secure_renegotiation.value == wire::Tri::kYes;
      p.checks.push_back(Graded("secure_renegotiation",
                                on ? "secure renegotiation (RFC 5746) supported"
                                   : "no secure renegotiation (RFC 5746)",
                                on ? Level::kGood : Level::kInsufficient, {}));
    }
  }
  p.checks.push_back(ClientRenegotiationCheck(r));
  // Certificate.
  if (r.certificate.summary.has_value()) {
    const x509::Summary& s = *r.certificate.summary;
    p.checks.push_back(Graded("cert.key", absl::StrCat(s.key_type, " ", s.key_bits, " bits"),
                              CertKeyLevel(s), {}));
    p.checks.push_back(Graded("cert.signature", absl::StrCat("signed with ", s.signature_algorithm),
                              s.signature_weak ? Level::kInsufficient : Level::kGood, {}));
  } else {
    p.checks.push_back(Unknown("cert.key", "no certificate"));
  }
  return p;
}

PolicyResult ForcedTls(absl::string_view mode, const ProbeReport& r) {
  PolicyResult p;
  p.name = absl::StrCat("forced-tls:", mode);
  p.version = "1";
  p.checks.push_back(Encryption(r));
  if (mode != "encryption-only") p.checks.push_back(ChainTrusted(r));
  if (mode == "chain-and-domain") {
    p.checks.push_back(Names(r, true));
    p.checks.push_back(Expiry(r));
  }
  return p;
}

PolicyResult PosttlsFinger(absl::string_view level, const ProbeReport& r) {
  PolicyResult p;
  p.name = absl::StrCat("posttls-finger:", level);
  p.version = "1";
  if (level == "may") {
    // Opportunistic: TLS when offered, else plaintext; only no SMTP fails.
    Check c = Encryption(r);
    if (c.verdict == Verdict::kFail && r.smtp.banner_code == 220 &&
        c.rfc8460 == "starttls-not-supported") {
      c = Make("tls", "no TLS: delivery falls back to plaintext", Verdict::kPass);
    } else if (c.verdict == Verdict::kFail && r.smtp.banner_code == 220) {
      // A failed handshake makes Postfix retry in plaintext at "may".
      c = Make("tls", absl::StrCat("TLS fails (", r.certificate.outcome,
                                   "): delivery retries in plaintext"),
               Verdict::kPass);
    }
    p.checks.push_back(c);
    return p;
  }
  p.checks.push_back(Encryption(r));
  if (level == "encrypt") return p;
  p.checks.push_back(ChainTrusted(r));
  p.checks.push_back(Names(r, level == "secure"));
  return p;
}

void Summarize(PolicyResult* p) {
  bool unknown = false;
  for (const Check& c : p->checks) {
    if (c.verdict == Verdict::kFail) {
      p->verdict = Verdict::kFail;
      return;
    }
    unknown = unknown || c.verdict == Verdict::kUnknown;
  }
  p->verdict = unknown ? Verdict::kUnknown : Verdict::kPass;
}

}  // namespace

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "fail";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kGood:
      return "good";
    case Level::kSufficient:
      return "sufficient";
    case Level::kPhaseOut:
      return "phase-out";
    case Level::kInsufficient:
      return "insufficient";
  }
  return "insufficient";
}

Level NcscVersionLevel(uint16_t version) {
  for (const VersionRow& row : kNcscVersions) {
    if (row.version == version) return row.level;
  }
  return Level::kInsufficient;
}

Level NcscSuiteLevel(uint16_t suite) {
  const wire::CipherSuiteInfo* info = wire::FindCipherSuite(suite);
  if (info == nullptr || info->export_grade || info->null_cipher || info->anonymous) {
    return Level::kInsufficient;
  }
  for (const SuiteRow& row : kNcscSuites) {
    if (In(row.key_exchange, info->key_exchange) &&
        In(row.authentication, info->authentication) && In(row.cipher, info->cipher) &&
        In(row.mode, info->mode) && In(row.mac, info->mac)) {
      return row.level;
    }
  }
  return Level::kInsufficient;
}

Level NcscGroupLevel(uint16_t group) {
  for (const GroupRow& row : kNcscGroups) {
    if (row.group == group) return row.level;
  }
  return Level::kInsufficient;
}

// DHE in TLS 1.2: 2025-05 keeps only the RFC 7919 groups of 3072 bits and
// up, as phase-out. The scan reports the modulus size, not whether it is the
// RFC 7919 prime: any prime of that size is taken for one.
Level NcscDhSizeLevel(int bits) {
  return bits >= 3072 ? Level::kPhaseOut : Level::kInsufficient;
}

Level NcscKexHashLevel(uint16_t signature_scheme) {
  const wire::SignatureSchemeInfo* info = wire::FindSignatureScheme(signature_scheme);
  if (info == nullptr) return Level::kInsufficient;
  switch (info->hash) {
    case wire::Hash::kSha256:
    case wire::Hash::kSha384:
    case wire::Hash::kSha512:
    case wire::Hash::kIntrinsic:
      return Level::kGood;
    case wire::Hash::kSha224:
      return Level::kPhaseOut;
    default:  // SHA-1, MD5
      return Level::kInsufficient;
  }
}

std::vector<std::string> PolicyNames() {
  return {"exchange-online",        "ncsc-nl-2025-05",           "forced-tls:encryption-only",
          "forced-tls:chain",       "forced-tls:chain-and-domain", "posttls-finger:may",
          "posttls-finger:encrypt", "posttls-finger:verify",     "posttls-finger:secure"};
}

absl::StatusOr<PolicyResult> Judge(absl::string_view policy, const ProbeReport& report,
                                   const wire::ScanResult* scan) {
  PolicyResult p;
  if (policy == "exchange-online") {
    p = ExchangeOnline(report, scan);
  } else if (policy == "ncsc-nl-2025-05") {
    p = Ncsc(report, scan);
  } else if (absl::ConsumePrefix(&policy, "forced-tls:") &&
             (policy == "encryption-only" || policy == "chain" || policy == "chain-and-domain")) {
    p = ForcedTls(policy, report);
  } else if (absl::ConsumePrefix(&policy, "posttls-finger:") &&
             (policy == "may" || policy == "encrypt" || policy == "verify" ||
              policy == "secure")) {
    p = PosttlsFinger(policy, report);
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown policy (known: ",
                                                   absl::StrJoin(PolicyNames(), ", "), ")"));
  }
  Summarize(&p);
  return p;
}

}  // namespace mailshake::probe
