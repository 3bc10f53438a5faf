// Host-name matching for mail servers (RFC 6125 6.4, RFC 9525 6.3).

#include <arpa/inet.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
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

NameMatchResult MatchHostName(const Certificate& cert,
                              absl::string_view reference) {
  NameMatchResult result;
  if (std::optional<std::string> ip = ParseIpAddress(reference)) {
    // RFC 6125 / RFC 9525: an IP reference matches only iPAddress SANs.
    for (const GeneralName& name : cert.subject_alt_names) {
      if (name.type == GeneralName::Type::kIp && name.ip == *ip) {
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
