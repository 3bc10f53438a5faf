// Policies: named, versioned tables that judge a probe's facts. Each check of
// a policy has a verdict, a level where the policy grades (NCSC-NL's good /
// sufficient / phase-out / insufficient), the evidence it used, and, when it
// fails a sender that requires authenticated TLS, the RFC 8460 (TLS-RPT)
// result type.
//
// Policies (|PolicyNames|):
//   exchange-online        what Microsoft tells partners: TLS 1.2 or newer,
//                          forward secrecy only, a certificate that validates
//                          (chain, name, RSA >= 2048 or ECDSA, no SHA-1, not
//                          expired)
//   ncsc-nl-2025-05        the levels internet.nl (1.11) applies from the NCSC-NL TLS
//                          guidelines version 2025-05: versions, suites, groups, DHE size,
//                          key-exchange hash, certificate key and signature,
//                          compression, secure and client-initiated
//                          renegotiation, extended master secret
//   forced-tls:encryption-only, forced-tls:chain, forced-tls:chain-and-domain
//                          an Exchange connector that forces TLS, by how much
//                          of the certificate it validates
//   posttls-finger:may, :encrypt, :verify, :secure
//                          Postfix's TLS security levels as posttls-finger
//                          tests them
//
// TLS-level facts (versions, accepted suites, groups, ...) come from src/wire's
// scan; without one, checks that need it are kUnknown, except where the
// full handshake of a modern client (ProbeReport::certificate) answers them.

#ifndef MAILSHAKE_SRC_PROBE_POLICY_H_
#define MAILSHAKE_SRC_PROBE_POLICY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/probe/probe.h"
#include "src/wire/scan.h"

namespace mailshake::probe {

enum class Verdict { kPass, kFail, kUnknown };
const char* VerdictName(Verdict verdict);  // "pass", "fail", "unknown"

// Level is NCSC-NL's grading, best first.
enum class Level { kGood, kSufficient, kPhaseOut, kInsufficient };
const char* LevelName(Level level);  // "good", "sufficient", "phase-out", "insufficient"

struct Check {
  std::string id;     // stable within a policy version, e.g. "versions", "cert.trust"
  std::string title;  // one line
  Verdict verdict = Verdict::kUnknown;
  std::optional<Level> level;
  std::string rfc8460;                // result type when it fails, or ""
  std::vector<std::string> evidence;  // the items judged, with their levels
};

struct PolicyResult {
  std::string name;     // e.g. "ncsc-nl-2025-05"
  std::string version;  // the table version, e.g. "2025-05"
  // kFail when any check fails; else kUnknown when a check could not be
  // decided; else kPass.
  Verdict verdict = Verdict::kUnknown;
  std::vector<Check> checks;
};

// PolicyNames lists every policy name |Judge| accepts, in documentation order.
std::vector<std::string> PolicyNames();

// Judge applies |policy| to |report| and |scan| (null when no scan ran).
// Unknown policy names are an error listing the known ones.
absl::StatusOr<PolicyResult> Judge(absl::string_view policy, const ProbeReport& report,
                                   const wire::ScanResult* scan);

// The NCSC-NL tables, exposed for tests and the schema documentation.
Level NcscVersionLevel(uint16_t version);
Level NcscSuiteLevel(uint16_t suite);
Level NcscGroupLevel(uint16_t group);
Level NcscDhSizeLevel(int bits);
Level NcscKexHashLevel(uint16_t signature_scheme);

}  // namespace mailshake::probe

#endif  // MAILSHAKE_SRC_PROBE_POLICY_H_
