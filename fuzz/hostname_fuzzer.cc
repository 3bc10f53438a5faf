// Fuzzes the host-name matcher. Input: "<presented>\n<reference>" (no
// newline: the whole input is both). Invariants from RFC 6125 / RFC 9525 as
// documented in src/x509/x509.h.

#include <cstdint>
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1024) return 0;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const absl::string_view pattern = input.substr(0, newline);
  const absl::string_view host =
      newline == absl::string_view::npos ? input : input.substr(newline + 1);

  const bool match = MatchDnsPattern(pattern, host);

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
