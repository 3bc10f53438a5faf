// Host-name matching for mail servers (RFC 6125 6.4, RFC 9525 6.3).

#include <arpa/inet.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/x509/x509.h"

namespace mailshake::x509 {
namespace {

constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxHostName = 253;

absl::string_view StripTrailingDot(absl::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

// Splits a normalised name into labels, or returns false when the name is
// not a plausible ASCII host name: empty, too long, an empty or overlong
// label, or a byte outside printable ASCII. '*' is allowed through here; the
// callers decide where it may appear.
bool SplitLabels(absl::string_view name, std::vector<absl::string_view>* out) {
  if (name.empty() || name.size() > kMaxHostName) return false;
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  *out = absl::StrSplit(name, '.');
  for (absl::string_view label : *out) {
    if (label.empty() || label.size() > kMaxLabel) return false;
  }
  return true;
}

}  // namespace

bool MatchDnsPattern(absl::string_view pattern, absl::string_view host) {
  pattern = StripTrailingDot(pattern);
  host = StripTrailingDot(host);
  // Refuse most mismatches without splitting (MatchHostName tries every SAN,
  // and a certificate may carry a thousand): whatever the labels, a match
  // needs the same text (ignoring case) after any leading "*." of the pattern
  // and the first label of the host.
  if (pattern.empty() || pattern[0] != '*') {
    if (!absl::EqualsIgnoreCase(pattern, host)) return false;
  } else if (pattern.size() >= 2 && pattern[1] == '.') {
    const size_t dot = host.find('.');
    if (dot == absl::string_view::npos ||
        !absl::EqualsIgnoreCase(pattern.substr(2), host.substr(dot + 1))) {
      return false;
    }
  }
  std::vector<absl::string_view> p, h;
  if (!SplitLabels(pattern, &p) || !SplitLabels(host, &h)) return false;
  if (host.find('*') != absl::string_view::npos) return false;
  if (p.size() != h.size()) return false;

  size_t first = 0;
  if (p[0] == "*") {
    // The wildcard must be followed by at least two labels ("*.com" is
    // refused) and stands for exactly one label of |host|.
    if (p.size() < 3) return false;
    first = 1;
  }
  for (size_t i = first; i < p.size(); ++i) {
    if (p[i].find('*') != absl::string_view::npos) return false;
    if (!absl::EqualsIgnoreCase(p[i], h[i])) return false;
  }
  return true;
}

std::optional<std::string> ParseIpAddress(absl::string_view text) {
  // inet_pton needs a NUL-terminated string; bound the copy.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  unsigned char buf[16];
  if (s.find(':') != std::string::npos) {
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
      return std::string(reinterpret_cast<char*>(buf), 16);
    }
    return std::nullopt;
  }
  // glibc's inet_pton accepts exactly four decimal octets, no leading zeros.
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    return std::string(reinterpret_cast<char*>(buf), 4);
  }
  return std::nullopt;
}

namespace {

// MatchIp checks the IP literal |ip| (octets; |reference| as written) against
// the iPAddress SANs of |cert|: the one rule every name rule shares.
NameMatchResult MatchIp(const Certificate& cert, absl::string_view reference,
                        const std::string& ip) {
  NameMatchResult result;
  for (const GeneralName& name : cert.subject_alt_names) {
    if (name.type == GeneralName::Type::kIp && name.ip == ip) {
      result.matched = true;
      result.source = NameMatchSource::kSanIp;
      result.presented = name.value;
      return result;
    }
  }
  result.reason = absl::StrCat("certificate has no IP address SAN for ",
                               reference,
                               " (IP literals never match DNS names or CN)");
  return result;
}

// IsBelow reports whether |name| is |domain| with at least one more label on
// the left (case-insensitive; both plausible host names without '*').
bool IsBelow(absl::string_view name, absl::string_view domain) {
  name = StripTrailingDot(name);
  domain = StripTrailingDot(domain);
  std::vector<absl::string_view> n, d;
  if (!SplitLabels(name, &n) || !SplitLabels(domain, &d)) return false;
  if (name.find('*') != absl::string_view::npos ||
      domain.find('*') != absl::string_view::npos) {
    return false;
  }
  if (n.size() <= d.size()) return false;
  for (size_t i = 0; i < d.size(); ++i) {
    if (!absl::EqualsIgnoreCase(n[n.size() - d.size() + i], d[i])) return false;
  }
  return true;
}

bool SameName(absl::string_view a, absl::string_view b) {
  a = StripTrailingDot(a);
  b = StripTrailingDot(b);
  std::vector<absl::string_view> unused;
  return SplitLabels(a, &unused) && a.find('*') == absl::string_view::npos &&
         absl::EqualsIgnoreCase(a, b);
}

// WildcardBase returns "example.com" for "*.example.com" with at least two
// labels after the wildcard, and "" otherwise.
absl::string_view WildcardBase(absl::string_view pattern) {
  pattern = StripTrailingDot(pattern);
  if (!absl::StartsWith(pattern, "*.")) return "";
  absl::string_view base = pattern.substr(2);
  std::vector<absl::string_view> labels;
  if (!SplitLabels(base, &labels) || labels.size() < 2 ||
      base.find('*') != absl::string_view::npos) {
    return "";
  }
  return base;
}

// PresentedMatch decides whether one presented DNS identifier matches the
// reference under |rules| (never kRfc6125, which is |MatchHostName|).
bool PresentedMatch(absl::string_view presented, absl::string_view reference,
                    NameRules rules) {
  switch (rules) {
    case NameRules::kRfc9525:
    case NameRules::kRfc6125:
      return MatchDnsPattern(presented, reference);
    case NameRules::kMtaSts: {
      if (WildcardBase(reference).empty()) {
        return MatchDnsPattern(presented, reference);
      }
      // An mx pattern: a host it allows, or the same wildcard.
      return MatchDnsPattern(reference, presented) ||
             (!WildcardBase(presented).empty() &&
              absl::EqualsIgnoreCase(WildcardBase(presented),
                                     WildcardBase(reference)));
    }
    case NameRules::kPostfix: {
      if (absl::StartsWith(reference, ".")) {
        // dot-nexthop: any name below the domain, wildcards included.
        const absl::string_view domain = reference.substr(1);
        const absl::string_view base = WildcardBase(presented);
        return IsBelow(base.empty() ? presented : base, domain) ||
               (!base.empty() && SameName(base, domain));
      }
      const absl::string_view base = WildcardBase(presented);
      if (!base.empty()) return IsBelow(reference, base);
      return MatchDnsPattern(presented, reference);
    }
    case NameRules::kExchangeTlsDomain: {
      const absl::string_view domain = WildcardBase(reference);
      if (domain.empty()) return MatchDnsPattern(presented, reference);
      const absl::string_view base = WildcardBase(presented);
      if (!base.empty()) return SameName(base, domain);
      return SameName(presented, domain) || IsBelow(presented, domain);
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<NameRules> ParseNameRules(absl::string_view name) {
  for (NameRules rules :
       {NameRules::kRfc9525, NameRules::kRfc6125, NameRules::kMtaSts,
        NameRules::kPostfix, NameRules::kExchangeTlsDomain}) {
    if (absl::EqualsIgnoreCase(name, NameRulesName(rules))) return rules;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown name rules '", name,
      "' (expected rfc9525, rfc6125, mta-sts, postfix or exchange)"));
}

absl::string_view NameRulesName(NameRules rules) {
  switch (rules) {
    case NameRules::kRfc9525:
      return "rfc9525";
    case NameRules::kRfc6125:
      return "rfc6125";
    case NameRules::kMtaSts:
      return "mta-sts";
    case NameRules::kPostfix:
      return "postfix";
    case NameRules::kExchangeTlsDomain:
      return "exchange";
  }
  return "unknown";
}

NameMatchResult MatchName(const Certificate& cert, absl::string_view reference,
                          NameRules rules) {
  if (rules == NameRules::kRfc6125) return MatchHostName(cert, reference);
  if (std::optional<std::string> ip = ParseIpAddress(reference)) {
    return MatchIp(cert, reference, *ip);
  }
  NameMatchResult result;
  bool has_dns_san = false;
  for (const GeneralName& name : cert.subject_alt_names) {
    if (name.type != GeneralName::Type::kDns) continue;
    has_dns_san = true;
    if (PresentedMatch(name.value, reference, rules)) {
      result.matched = true;
      result.source = NameMatchSource::kSanDns;
      result.presented = name.value;
      return result;
    }
  }
  const std::string cn = cert.subject.Last(AttributeType::kCommonName);
  const bool cn_counts =
      !cn.empty() && (rules == NameRules::kExchangeTlsDomain ||
                      (rules == NameRules::kPostfix && !has_dns_san));
  if (cn_counts && PresentedMatch(cn, reference, rules)) {
    result.matched = true;
    result.source = NameMatchSource::kSubjectCommonName;
    result.presented = cn;
    return result;
  }
  result.reason = absl::StrCat(
      has_dns_san ? "no subjectAltName DNS name matches "
                  : "certificate has no subjectAltName DNS name to match ",
      reference, " under ", NameRulesName(rules), " rules",
      cn_counts ? absl::StrCat(" (nor does subject CN ", cn, ")") : "");
  return result;
}

NameMatchResult MatchHostName(const Certificate& cert,
                              absl::string_view reference) {
  NameMatchResult result;
  if (std::optional<std::string> ip = ParseIpAddress(reference)) {
    return MatchIp(cert, reference, *ip);
  }
  bool has_dns_san = false;
  for (const GeneralName& name : cert.subject_alt_names) {
    if (name.type != GeneralName::Type::kDns) continue;
    has_dns_san = true;
    if (MatchDnsPattern(name.value, reference)) {
      result.matched = true;
      result.source = NameMatchSource::kSanDns;
      result.presented = name.value;
      return result;
    }
  }
  if (has_dns_san) {
    result.reason =
        absl::StrCat("no subjectAltName DNS name matches ", reference);
    return result;
  }
  // Legacy fallback: only without any dNSName, and only the most specific CN.
  const std::string cn = cert.subject.Last(AttributeType::kCommonName);
  if (!cn.empty() && MatchDnsPattern(cn, reference)) {
    result.matched = true;
    result.source = NameMatchSource::kSubjectCommonName;
    result.presented = cn;
    return result;
  }
  result.reason =
      cn.empty()
          ? absl::StrCat("certificate has no DNS name and no subject CN to "
                         "match ",
                         reference)
          : absl::StrCat("subject CN ", cn, " does not match ", reference,
                         " (and there is no subjectAltName DNS name)");
  return result;
}

}  // namespace mailshake::x509
