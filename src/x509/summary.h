// What an operator is told to check about a mail server's certificate
// (shared facts: root issuer, name, organization, key strength, validity,
// SANs, signature algorithm, EV, name match), as a plain value with text and
// JSON renderings. `mailshake cert` is a thin wrapper over this.

#ifndef MAILSHAKE_SRC_X509_SUMMARY_H_
#define MAILSHAKE_SRC_X509_SUMMARY_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "src/x509/x509.h"

namespace mailshake::x509 {

enum class ValidityStatus { kValid, kExpired, kNotYetValid };

// ValidityStatusName returns "valid", "expired" or "not yet valid".
absl::string_view ValidityStatusName(ValidityStatus status);

struct SummaryOptions {
  // The time validity is judged against.
  absl::Time now = absl::Now();
  // The name the client dialled; when set, the summary includes a match.
  std::optional<std::string> host_name;
};

struct Summary {
  std::string subject;              // RFC 4514 string
  std::string subject_common_name;  // last CN, or ""
  std::string organization;         // last O, or ""
  std::string organizational_unit;  // OUs joined with ", "
  std::string issuer;
  std::string issuer_organization;
  // The issuer of the last certificate of the chain: the root a validator
  // must trust. For a single certificate, its own issuer.
  std::string root_issuer;
  std::string serial_hex;

  std::string key_type;  // KeyName: "RSA", "ECDSA P-256", "ECDSA brainpoolP256r1", ...
  int key_bits = 0;
  // RSA below 2048 bits or an unrecognised key type.
  bool key_weak = false;

  std::string signature_algorithm;  // SignatureAlgorithmName, or the OID
  bool signature_weak = false;      // MD5 or SHA-1

  absl::Time not_before;
  absl::Time not_after;
  ValidityStatus validity = ValidityStatus::kValid;
  // Whole days from |now| until notAfter (negative once expired).
  int64_t days_until_expiry = 0;

  std::vector<std::string> subject_alt_names;  // ToString(GeneralName)
  bool has_wildcard = false;
  bool ev = false;
  bool self_signed = false;
  bool is_ca = false;
  std::vector<std::string> extended_key_usages;  // names, or OIDs
  std::vector<std::string> ocsp_urls;
  std::vector<std::string> ca_issuers_urls;
  std::vector<std::string> crl_urls;

  size_t chain_length = 1;
  bool chain_ordered = true;
  bool chain_ends_at_root = false;

  std::optional<std::string> host_name;
  std::optional<NameMatchResult> name_match;

  // Warnings states every fact above an operator must act on, one sentence
  // each (expired, weak key, SHA-1, name mismatch, misordered chain, ...).
  std::vector<std::string> warnings;
};

// Summarize describes |chain| (leaf first, as a server sends it; must not be
// empty) at |options.now|.
Summary Summarize(absl::Span<const Certificate> chain,
                  const SummaryOptions& options);

// Summarize describes one certificate.
Summary Summarize(const Certificate& cert, const SummaryOptions& options);

// FormatText renders |summary| as aligned "Field: value" lines for a
// terminal. Control characters in values (from untrusted certificates) are
// escaped as \xNN, C1 controls as \u00NN.
std::string FormatText(const Summary& summary);

// FormatText summarises |cert| against the current time and renders it.
std::string FormatText(const Certificate& cert);

// ToJson returns |summary| as a JSON object; times are RFC 3339 strings.
nlohmann::json ToJson(const Summary& summary);

}  // namespace mailshake::x509

#endif  // MAILSHAKE_SRC_X509_SUMMARY_H_
