#include "src/x509/summary.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"

namespace mailshake::x509 {
namespace {

constexpr int kMinRsaBits = 2048;
// EC keys on curves below 224 bits (P-192, brainpoolP160r1/192r1, K-163, ...)
// give less than 112 bits of security (NIST SP 800-57).
constexpr int kMinEcBits = 224;

// The same text as absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, UTC), without
// its format-string interpreter: certificates hold years 1950-9999 (printed
// unpadded, like %Y).
std::string FormatRfc3339(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "infinite-future";
  if (t == absl::InfinitePast()) return "infinite-past";
  const absl::CivilSecond c = absl::ToCivilSecond(t, absl::UTCTimeZone());
  return absl::StrFormat("%d-%02d-%02dT%02d:%02d:%02dZ", c.year(), c.month(),
                         c.day(), c.hour(), c.minute(), c.second());
}

absl::string_view SourceName(NameMatchSource source) {
  switch (source) {
    case NameMatchSource::kNone: return "none";
    case NameMatchSource::kSanDns: return "subjectAltName DNS";
    case NameMatchSource::kSanIp: return "subjectAltName IP";
    case NameMatchSource::kSubjectCommonName: return "subject CN";
  }
  return "none";
}

// Certificates come from untrusted servers: a name holding ESC or a newline
// must not reach the terminal raw. C0 controls, DEL and C1 controls (UTF-8
// C2 80..C2 9F) become \xNN / \u00NN; everything else passes (values are
// valid UTF-8).
std::string EscapeForTerminal(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else if (c == 0xc2 && i + 1 < s.size() &&
               static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      absl::StrAppendFormat(&out, "\\u%04x",
                            static_cast<unsigned char>(s[i + 1]));
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

}  // namespace

absl::string_view ValidityStatusName(ValidityStatus status) {
  switch (status) {
    case ValidityStatus::kValid: return "valid";
    case ValidityStatus::kExpired: return "expired";
    case ValidityStatus::kNotYetValid: return "not yet valid";
  }
  return "valid";
}

Summary Summarize(absl::Span<const Certificate> chain,
                  const SummaryOptions& options) {
  Summary s;
  if (chain.empty()) {
    s.warnings.push_back("no certificate");
    return s;
  }
  const Certificate& cert = chain.front();
  s.subject = cert.subject.ToString();
  s.subject_common_name = cert.subject.Last(AttributeType::kCommonName);
  s.organization = cert.subject.Last(AttributeType::kOrganization);
  s.organizational_unit =
      absl::StrJoin(cert.subject.Values(AttributeType::kOrganizationalUnit),
                    ", ");
  s.issuer = cert.issuer.ToString();
  s.issuer_organization = cert.issuer.Last(AttributeType::kOrganization);
  s.root_issuer = chain.back().issuer.ToString();
  s.serial_hex = cert.SerialHex();

  s.key_type = KeyName(cert.public_key);
  s.key_bits = cert.public_key.bits;
  s.key_weak = cert.public_key.type == KeyType::kOther ||
               (cert.public_key.type == KeyType::kRsa &&
                cert.public_key.bits < kMinRsaBits) ||
               (cert.public_key.type == KeyType::kEcOther &&
                cert.public_key.bits != 0 && cert.public_key.bits < kMinEcBits);

  const SignatureAlgorithm alg = cert.signature_algorithm.algorithm;
  s.signature_algorithm = alg == SignatureAlgorithm::kUnknown
                              ? cert.signature_algorithm.oid
                              : std::string(SignatureAlgorithmName(alg));
  s.signature_weak = IsWeakSignatureAlgorithm(alg);

  s.not_before = cert.not_before;
  s.not_after = cert.not_after;
  if (options.now < cert.not_before) {
    s.validity = ValidityStatus::kNotYetValid;
  } else if (options.now > cert.not_after) {
    s.validity = ValidityStatus::kExpired;
  }
  s.days_until_expiry =
      absl::ToInt64Hours(cert.not_after - options.now) / 24;

  for (const GeneralName& name : cert.subject_alt_names) {
    s.subject_alt_names.push_back(ToString(name));
    if (name.type == GeneralName::Type::kDns &&
        absl::StartsWith(name.value, "*.")) {
      s.has_wildcard = true;
    }
  }
  s.ev = cert.IsEv();
  s.self_signed = IsSelfSigned(cert);
  s.is_ca = cert.basic_constraints.has_value() && cert.basic_constraints->ca;
  for (const std::string& oid : cert.extended_key_usages) {
    const absl::string_view name = ExtendedKeyUsageName(oid);
    s.extended_key_usages.push_back(name.empty() ? oid : std::string(name));
  }
  s.ocsp_urls = cert.ocsp_urls;
  s.ca_issuers_urls = cert.ca_issuers_urls;
  s.crl_urls = cert.crl_urls;

  const ChainAnalysis analysis = AnalyzeChain(chain);
  s.chain_length = chain.size();
  s.chain_ordered = analysis.ordered;
  s.chain_ends_at_root = analysis.ends_at_self_signed_root;

  if (options.host_name.has_value()) {
    s.host_name = options.host_name;
    s.name_match = MatchHostName(cert, *options.host_name);
  }

  // Warnings, most severe first.
  if (s.validity == ValidityStatus::kExpired) {
    s.warnings.push_back(
        absl::StrCat("certificate expired on ", FormatRfc3339(cert.not_after)));
  } else if (s.validity == ValidityStatus::kNotYetValid) {
    s.warnings.push_back(absl::StrCat("certificate is not valid before ",
                                      FormatRfc3339(cert.not_before)));
  }
  if (s.name_match.has_value() && !s.name_match->matched) {
    s.warnings.push_back(s.name_match->reason);
  }
  if (s.self_signed) {
    s.warnings.push_back(
        "certificate is self-signed: no partner validates it automatically");
  }
  if (s.signature_weak) {
    s.warnings.push_back(absl::StrCat("signature algorithm ",
                                      s.signature_algorithm,
                                      " uses a broken hash (MD5/SHA-1)"));
  }
  if (s.key_weak) {
    s.warnings.push_back(absl::StrCat("weak or unrecognised key: ",
                                      s.key_type, " ", s.key_bits, " bits"));
  }
  if (!s.chain_ordered) {
    s.warnings.push_back(
        "chain is not in order (each certificate must be followed by its "
        "issuer)");
  }
  if (s.ev && s.has_wildcard) {
    s.warnings.push_back("EV certificate carries a wildcard name");
  }
  return s;
}

Summary Summarize(const Certificate& cert, const SummaryOptions& options) {
  return Summarize(absl::MakeConstSpan(&cert, 1), options);
}

std::string FormatText(const Summary& s) {
  std::string out;
  auto line = [&out](absl::string_view field, absl::string_view value) {
    absl::StrAppendFormat(&out, "%-22s %s\n", absl::StrCat(field, ":"),
                          EscapeForTerminal(value));
  };
  line("Subject", s.subject);
  line("Common name", s.subject_common_name);
  line("Organization", s.organization);
  if (!s.organizational_unit.empty()) {
    line("Organizational unit", s.organizational_unit);
  }
  line("Issuer", s.issuer);
  line("Root issuer", s.root_issuer);
  line("Serial", s.serial_hex);
  line("Key", absl::StrCat(s.key_type, " ", s.key_bits, " bits",
                           s.key_weak ? " (WEAK)" : ""));
  line("Signature algorithm", absl::StrCat(s.signature_algorithm,
                                           s.signature_weak ? " (WEAK)" : ""));
  line("Not before", FormatRfc3339(s.not_before));
  line("Not after", FormatRfc3339(s.not_after));
  line("Validity",
       absl::StrCat(ValidityStatusName(s.validity),
                    s.validity == ValidityStatus::kValid
                        ? absl::StrCat(" (", s.days_until_expiry,
                                       " days left)")
                        : ""));
  line("Subject alt names", s.subject_alt_names.empty()
                                ? "(none)"
                                : absl::StrJoin(s.subject_alt_names, ", "));
  line("EV", s.ev ? "yes" : "no");
  line("Self-signed", s.self_signed ? "yes" : "no");
  line("CA", s.is_ca ? "yes" : "no");
  if (!s.extended_key_usages.empty()) {
    line("Extended key usage", absl::StrJoin(s.extended_key_usages, ", "));
  }
  if (!s.ocsp_urls.empty()) line("OCSP", absl::StrJoin(s.ocsp_urls, ", "));
  if (!s.ca_issuers_urls.empty()) {
    line("CA issuers", absl::StrJoin(s.ca_issuers_urls, ", "));
  }
  if (!s.crl_urls.empty()) line("CRL", absl::StrJoin(s.crl_urls, ", "));
  line("Chain",
       absl::StrCat(s.chain_length, " certificate",
                    s.chain_length == 1 ? "" : "s",
                    s.chain_ordered ? ", in order" : ", OUT OF ORDER",
                    s.chain_ends_at_root ? ", ends at a self-signed root"
                                         : ""));
  if (s.host_name.has_value() && s.name_match.has_value()) {
    line("Name check",
         s.name_match->matched
             ? absl::StrCat(*s.host_name, " matches ", s.name_match->presented,
                            " (", SourceName(s.name_match->source), ")")
             : absl::StrCat(*s.host_name, " DOES NOT MATCH"));
  }
  for (const std::string& warning : s.warnings) {
    line("Warning", warning);
  }
  return out;
}

std::string FormatText(const Certificate& cert) {
  return FormatText(Summarize(cert, SummaryOptions{}));
}

nlohmann::json ToJson(const Summary& s) {
  nlohmann::json j = {
      {"subject", s.subject},
      {"subject_common_name", s.subject_common_name},
      {"organization", s.organization},
      {"organizational_unit", s.organizational_unit},
      {"issuer", s.issuer},
      {"issuer_organization", s.issuer_organization},
      {"root_issuer", s.root_issuer},
      {"serial", s.serial_hex},
      {"key", {{"type", s.key_type}, {"bits", s.key_bits},
               {"weak", s.key_weak}}},
      {"signature_algorithm",
       {{"name", s.signature_algorithm}, {"weak", s.signature_weak}}},
      {"validity",
       {{"not_before", FormatRfc3339(s.not_before)},
        {"not_after", FormatRfc3339(s.not_after)},
        {"status", std::string(ValidityStatusName(s.validity))},
        {"days_until_expiry", s.days_until_expiry}}},
      {"subject_alt_names", s.subject_alt_names},
      {"wildcard", s.has_wildcard},
      {"ev", s.ev},
      {"self_signed", s.self_signed},
      {"ca", s.is_ca},
      {"extended_key_usages", s.extended_key_usages},
      {"ocsp_urls", s.ocsp_urls},
      {"ca_issuers_urls", s.ca_issuers_urls},
      {"crl_urls", s.crl_urls},
      {"chain",
       {{"length", s.chain_length},
        {"ordered", s.chain_ordered},
        {"ends_at_self_signed_root", s.chain_ends_at_root}}},
      {"warnings", s.warnings},
  };
  if (s.host_name.has_value() && s.name_match.has_value()) {
    j["name_match"] = {
        {"host_name", *s.host_name},
        {"matched", s.name_match->matched},
        {"source", std::string(SourceName(s.name_match->source))},
        {"presented", s.name_match->presented},
        {"reason", s.name_match->reason},
    };
  }
  return j;
}

}  // namespace mailshake::x509
