// Fuzzes the host-name matcher. Input: "<presented>\n<reference>" (no
// newline: the whole input is both). Invariants from RFC 6125 / RFC 9525 as
// documented in src/x509/x509.h.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "src/x509/x509.h"

namespace {

using mailshake::x509::MatchDnsPattern;

absl::string_view StripDot(absl::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

std::vector<absl::string_view> Labels(absl::string_view s) {
  return absl::StrSplit(StripDot(s), '.');
}

// An independent model of the rule sets of x509.h's NameRules, written from
// their documentation: MatchName under every rule must agree with it.
namespace model {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

bool Same(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

absl::string_view Strip(absl::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

// A plausible host name (after one trailing dot is dropped): printable
// ASCII, at most 253 octets, labels of 1 to 63 octets. '*' passes here.
bool Split(absl::string_view s, std::vector<absl::string_view>* labels, bool strip = true) {
  if (strip) s = Strip(s);
  labels->clear();
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size()) {
      const unsigned char u = static_cast<unsigned char>(s[i]);
      if (u < 0x21 || u > 0x7e) return false;
      if (s[i] != '.') continue;
    }
    if (i == start || i - start > 63) return false;
    labels->push_back(s.substr(start, i - start));
    start = i + 1;
  }
  return true;
}

bool HasStar(absl::string_view s) { return s.find('*') != absl::string_view::npos; }

// RFC 9525 6.3: presented |p| against reference |r|.
bool Dns(absl::string_view p, absl::string_view r) {
  std::vector<absl::string_view> pl, rl;
  if (!Split(p, &pl) || !Split(r, &rl) || HasStar(r) || pl.size() != rl.size()) {
    return false;
  }
  size_t first = 0;
  if (pl[0] == "*") {
    if (pl.size() < 3) return false;
    first = 1;
  }
  for (size_t i = first; i < pl.size(); ++i) {
    if (HasStar(pl[i]) || !Same(pl[i], rl[i])) return false;
  }
  return true;
}

// "*.a.b" -> "a.b" (two labels or more, no other '*'); "" otherwise.
absl::string_view WildcardBase(absl::string_view p) {
  p = Strip(p);
  if (p.size() < 2 || p[0] != '*' || p[1] != '.') return "";
  absl::string_view base = p.substr(2);
  std::vector<absl::string_view> labels;
  // (Only the pattern's one trailing dot is dropped: "*.a.b.." has none.)
  if (!Split(base, &labels, /*strip=*/false) || labels.size() < 2 || HasStar(base)) return "";
  return base;
}

// |n| is |d| with one or more labels on the left.
bool Below(absl::string_view n, absl::string_view d) {
  std::vector<absl::string_view> nl, dl;
  if (!Split(n, &nl) || !Split(d, &dl) || HasStar(n) || HasStar(d)) return false;
  if (nl.size() <= dl.size()) return false;
  for (size_t i = 0; i < dl.size(); ++i) {
    if (!Same(nl[nl.size() - dl.size() + i], dl[i])) return false;
  }
  return true;
}

// The same name (|a| a plausible host name without '*').
bool SameName(absl::string_view a, absl::string_view b) {
  std::vector<absl::string_view> labels;
  return Split(a, &labels) && !HasStar(a) && Same(Strip(a), Strip(b));
}

using mailshake::x509::NameRules;

bool Presented(absl::string_view p, absl::string_view r, NameRules rules) {
  switch (rules) {
    case NameRules::kRfc9525:
    case NameRules::kRfc6125:
      return Dns(p, r);
    case NameRules::kMtaSts:
      // A policy mx pattern allows one label under its base, or the same
      // wildcard.
      if (WildcardBase(r).empty()) return Dns(p, r);
      return Dns(r, p) ||
             (!WildcardBase(p).empty() && Same(WildcardBase(p), WildcardBase(r)));
    case NameRules::kPostfix:
      if (!r.empty() && r[0] == '.') {
        const absl::string_view d = r.substr(1);
        const absl::string_view b = WildcardBase(p);
        return b.empty() ? Below(p, d) : Below(b, d) || SameName(b, d);
      }
      // A certificate wildcard stands for one or more labels.
      if (!WildcardBase(p).empty()) return Below(r, WildcardBase(p));
      return Dns(p, r);
    case NameRules::kExchangeTlsDomain: {
      const absl::string_view d = WildcardBase(r);
      if (d.empty()) return Dns(p, r);
      const absl::string_view b = WildcardBase(p);
      if (!b.empty()) return SameName(b, d);
      return SameName(p, d) || Below(p, d);
    }
  }
  return false;
}

// A certificate whose only name is |p|: a dNSName SAN, or (|as_cn|) the
// subject CN without any SAN.
bool Match(absl::string_view p, bool as_cn, absl::string_view r, NameRules rules) {
  if (mailshake::x509::ParseIpAddress(r).has_value()) return false;  // no iPAddress SAN
  if (!as_cn) return Presented(p, r, rules);
  if (p.empty()) return false;
  const bool cn_counts = rules == NameRules::kRfc6125 || rules == NameRules::kPostfix ||
                         rules == NameRules::kExchangeTlsDomain;
  return cn_counts && Presented(p, r, rules);
}

}  // namespace model

void CheckRules(absl::string_view pattern, absl::string_view host) {
  using mailshake::x509::NameRules;
  mailshake::x509::Certificate san, cn;
  mailshake::x509::GeneralName name;
  name.type = mailshake::x509::GeneralName::Type::kDns;
  name.value = std::string(pattern);
  san.subject_alt_names.push_back(name);
  mailshake::x509::Attribute attr;
  attr.type = mailshake::x509::AttributeType::kCommonName;
  attr.oid = "2.5.4.3";
  attr.value = std::string(pattern);
  cn.subject.rdns.emplace_back().attributes.push_back(attr);
  const std::string upper_pattern = absl::AsciiStrToUpper(pattern);
  mailshake::x509::Certificate san_upper = san;
  san_upper.subject_alt_names[0].value = upper_pattern;
  const std::string upper_host = absl::AsciiStrToUpper(host);
  for (NameRules rules : {NameRules::kRfc9525, NameRules::kRfc6125, NameRules::kMtaSts,
                          NameRules::kPostfix, NameRules::kExchangeTlsDomain}) {
    for (bool as_cn : {false, true}) {
      const mailshake::x509::NameMatchResult r =
          mailshake::x509::MatchName(as_cn ? cn : san, host, rules);
      const bool want = model::Match(pattern, as_cn, host, rules);
      FUZZ_CHECK(r.matched == want, "%s rules, %s '%s', reference '%s': matched %d, the model %d",
                 std::string(mailshake::x509::NameRulesName(rules)).c_str(),
                 as_cn ? "subject CN" : "dNSName", std::string(pattern).c_str(),
                 std::string(host).c_str(), r.matched, want);
      FUZZ_CHECK(!r.matched || r.presented == pattern, "presented '%s'", r.presented.c_str());
      FUZZ_CHECK(r.matched == r.reason.empty(), "reason '%s' with matched %d",
                 r.reason.c_str(), r.matched);
    }
    // Case never matters, on either side.
    FUZZ_CHECK(mailshake::x509::MatchName(san_upper, upper_host, rules).matched ==
                   model::Match(pattern, false, host, rules),
               "%s rules: upper case changed the result for '%s' / '%s'",
               std::string(mailshake::x509::NameRulesName(rules)).c_str(),
               std::string(pattern).c_str(), std::string(host).c_str());
  }
}

// Rule-set names: each rule set parses back from its name in any case, and
// a text parses exactly when it is one of the five names.
void CheckRuleNames(absl::string_view text) {
  using mailshake::x509::NameRules;
  bool named = false;
  for (NameRules rules : {NameRules::kRfc9525, NameRules::kRfc6125, NameRules::kMtaSts,
                          NameRules::kPostfix, NameRules::kExchangeTlsDomain}) {
    const absl::string_view name = mailshake::x509::NameRulesName(rules);
    const absl::StatusOr<NameRules> back =
        mailshake::x509::ParseNameRules(absl::AsciiStrToUpper(name));
    FUZZ_CHECK(back.ok() && *back == rules, "rule set '%s' does not parse back",
               std::string(name).c_str());
    named = named || absl::EqualsIgnoreCase(text, name);
  }
  const absl::StatusOr<NameRules> parsed = mailshake::x509::ParseNameRules(text);
  FUZZ_CHECK(parsed.ok() == named, "rule set name '%s' %s", std::string(text).c_str(),
             parsed.ok() ? "accepted" : "refused");
  if (parsed.ok()) {
    FUZZ_CHECK(absl::EqualsIgnoreCase(mailshake::x509::NameRulesName(*parsed), text),
               "'%s' parsed as '%s'", std::string(text).c_str(),
               std::string(mailshake::x509::NameRulesName(*parsed)).c_str());
  } else {
    FUZZ_CHECK(!parsed.status().message().empty(), "refused without a message");
  }
}

// iPAddress SANs (the rule every rule set shares): a certificate whose SANs
// are the IP literal |pattern| and a dNSName |host| matches an IP reference
// exactly when the reference has the SAN's octets, from that SAN, under every
// rule set; a DNS reference never matches the iPAddress SAN.
void CheckIpSan(absl::string_view pattern, absl::string_view host) {
  using mailshake::x509::NameRules;
  const std::optional<std::string> pattern_ip = mailshake::x509::ParseIpAddress(pattern);
  if (!pattern_ip.has_value()) return;
  const std::optional<std::string> host_ip = mailshake::x509::ParseIpAddress(host);
  mailshake::x509::Certificate cert;
  mailshake::x509::GeneralName ip;
  ip.type = mailshake::x509::GeneralName::Type::kIp;
  ip.ip = *pattern_ip;
  ip.value = std::string(pattern);
  cert.subject_alt_names.push_back(ip);
  mailshake::x509::GeneralName dns;
  dns.type = mailshake::x509::GeneralName::Type::kDns;
  dns.value = std::string(host);
  cert.subject_alt_names.push_back(dns);
  for (NameRules rules : {NameRules::kRfc9525, NameRules::kRfc6125, NameRules::kMtaSts,
                          NameRules::kPostfix, NameRules::kExchangeTlsDomain}) {
    const mailshake::x509::NameMatchResult r = mailshake::x509::MatchName(cert, host, rules);
    const std::string rules_name(mailshake::x509::NameRulesName(rules));
    const char* name = rules_name.c_str();
    if (host_ip.has_value()) {
      FUZZ_CHECK(r.matched == (*host_ip == *pattern_ip),
                 "%s rules: IP reference '%s' against iPAddress SAN '%s': matched %d", name,
                 std::string(host).c_str(), std::string(pattern).c_str(), r.matched);
      if (r.matched) {
        FUZZ_CHECK(r.source == mailshake::x509::NameMatchSource::kSanIp &&
                       r.presented == pattern,
                   "%s rules: IP matched from '%s'", name, r.presented.c_str());
      } else {
        FUZZ_CHECK(!r.reason.empty(), "%s rules: no reason", name);
      }
    } else if (r.matched) {
      FUZZ_CHECK(r.source != mailshake::x509::NameMatchSource::kSanIp,
                 "%s rules: DNS reference '%s' matched an iPAddress SAN", name,
                 std::string(host).c_str());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1024) return 0;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const absl::string_view pattern = input.substr(0, newline);
  const absl::string_view host =
      newline == absl::string_view::npos ? input : input.substr(newline + 1);

  const bool match = MatchDnsPattern(pattern, host);
  CheckRules(pattern, host);
  CheckRuleNames(pattern);
  CheckIpSan(pattern, host);

  // Case-insensitive in ASCII, on both sides.
  FUZZ_CHECK(match == MatchDnsPattern(absl::AsciiStrToUpper(pattern),
                                      absl::AsciiStrToLower(host)),
             "case changed the result");
  // One trailing dot is normalised on either side.
  if (!absl::EndsWith(host, ".")) {
    FUZZ_CHECK(match == MatchDnsPattern(pattern, std::string(host) + "."),
               "trailing dot on the reference changed the result");
  }
  if (!absl::EndsWith(pattern, ".")) {
    FUZZ_CHECK(match == MatchDnsPattern(std::string(pattern) + ".", host),
               "trailing dot on the pattern changed the result");
  }

  if (match) {
    for (char c : host) {
      const unsigned char u = static_cast<unsigned char>(c);
      FUZZ_CHECK(u > 0x20 && u < 0x7f && c != '*',
                 "matched a reference with byte 0x%02x", u);
    }
    const std::vector<absl::string_view> p = Labels(pattern);
    const std::vector<absl::string_view> h = Labels(host);
    FUZZ_CHECK(p.size() == h.size(), "label counts differ");
    const bool wildcard = p[0] == "*";
    FUZZ_CHECK(!wildcard || p.size() >= 3, "wildcard with < 2 labels after");
    for (size_t i = wildcard ? 1 : 0; i < p.size(); ++i) {
      FUZZ_CHECK(absl::EqualsIgnoreCase(p[i], h[i]), "label %zu differs", i);
      FUZZ_CHECK(!absl::StrContains(p[i], '*'), "partial wildcard matched");
    }
    // A wildcard stands for exactly one label: never two, never zero.
    if (wildcard) {
      FUZZ_CHECK(!MatchDnsPattern(pattern, "x." + std::string(host)),
                 "wildcard matched across labels");
      const size_t dot = StripDot(host).find('.');
      FUZZ_CHECK(!MatchDnsPattern(pattern, host.substr(dot + 1)),
                 "wildcard matched zero labels");
    }
    // Matching never depends on which side is which for exact names.
    if (!wildcard) {
      FUZZ_CHECK(MatchDnsPattern(host, pattern), "exact match not symmetric");
    }
  }

  // A valid reference always matches itself.
  if (MatchDnsPattern(host, host)) {
    FUZZ_CHECK(MatchDnsPattern(absl::AsciiStrToUpper(host), host),
               "self-match is case-sensitive");
  }

  // IP literals: 4 or 16 octets, stable under re-parsing of either input.
  if (auto ip = mailshake::x509::ParseIpAddress(host)) {
    FUZZ_CHECK(ip->size() == 4 || ip->size() == 16, "ip size %zu",
               ip->size());
    FUZZ_CHECK(mailshake::x509::ParseIpAddress(host) == ip, "unstable");
  }
  return 0;
}
