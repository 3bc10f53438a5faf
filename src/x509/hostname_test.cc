#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/x509/testing.h"
#include "src/x509/x509.h"

namespace mailshake::x509 {
namespace {

using ::testing::HasSubstr;
using x509::testing::ReadTestdata;

struct PatternCase {
  const char* pattern;
  const char* host;
  bool match;
};

class DnsPatternTest : public ::testing::TestWithParam<PatternCase> {};

TEST_P(DnsPatternTest, FollowsRfc6125) {
  EXPECT_EQ(MatchDnsPattern(GetParam().pattern, GetParam().host),
            GetParam().match)
      << GetParam().pattern << " vs " << GetParam().host;
}

INSTANTIATE_TEST_SUITE_P(
    Table, DnsPatternTest,
    ::testing::Values(
        // Exact names, case-insensitive, trailing dot normalised.
        PatternCase{"mail.example.com", "mail.example.com", true},
        PatternCase{"MAIL.Example.COM", "mail.example.com", true},
        PatternCase{"mail.example.com", "MAIL.EXAMPLE.COM", true},
        PatternCase{"mail.example.com.", "mail.example.com", true},
        PatternCase{"mail.example.com", "mail.example.com.", true},
        PatternCase{"mail.example.com", "mail.example.co", false},
        PatternCase{"mail.example.com", "mail.example.com.au", false},
        PatternCase{"example.com", "mail.example.com", false},
        PatternCase{"mail.example.com", "example.com", false},
        PatternCase{"localhost", "localhost", true},
        // Wildcards: whole left-most label, exactly one label.
        PatternCase{"*.example.com", "mail.example.com", true},
        PatternCase{"*.example.com", "MX1.EXAMPLE.COM", true},
        PatternCase{"*.Example.Com", "a.example.com", true},
        PatternCase{"*.example.com", "example.com", false},
        PatternCase{"*.example.com", "a.b.example.com", false},
        PatternCase{"*.example.com", ".example.com", false},
        PatternCase{"*.example.com", "mail.example.org", false},
        PatternCase{"*.example.com.", "mx.example.com", true},
        // Partial and misplaced wildcards never match.
        PatternCase{"f*.example.com", "foo.example.com", false},
        PatternCase{"*o.example.com", "foo.example.com", false},
        PatternCase{"f*o.example.com", "foo.example.com", false},
        PatternCase{"*.*.example.com", "a.b.example.com", false},
        PatternCase{"mail.*.com", "mail.example.com", false},
        PatternCase{"mail.example.*", "mail.example.com", false},
        PatternCase{"**.example.com", "a.example.com", false},
        PatternCase{"*", "localhost", false},
        // At least two labels after the wildcard.
        PatternCase{"*.com", "example.com", false},
        PatternCase{"*.", "com", false},
        PatternCase{"*.co.uk", "example.co.uk", true},  // documented: no PSL
        // The reference itself is never a pattern.
        PatternCase{"*.example.com", "*.example.com", false},
        PatternCase{"mail.example.com", "*.example.com", false},
        // A-labels only: non-ASCII never matches, even identical bytes.
        PatternCase{"b\xc3\xbc" "cher.example", "b\xc3\xbc" "cher.example", false},
        PatternCase{"xn--bcher-kva.example", "xn--bcher-kva.example", true},
        PatternCase{"*.example.com", "b\xc3\xbc.example.com", false},
        // Malformed names.
        PatternCase{"", "", false},
        PatternCase{"mail..example.com", "mail..example.com", false},
        PatternCase{".example.com", ".example.com", false},
        PatternCase{"mail.example.com", "mail example.com", false},
        PatternCase{"a\tb.com", "a\tb.com", false},
        PatternCase{"mail.example.com..", "mail.example.com.", false}),
    [](const ::testing::TestParamInfo<PatternCase>& info) {
      return std::to_string(info.index);
    });

TEST(DnsPatternTest, RejectsOverlongLabelsAndNames) {
  const std::string label63(63, 'a');
  const std::string label64(64, 'a');
  EXPECT_TRUE(MatchDnsPattern(label63 + ".com", label63 + ".com"));
  EXPECT_FALSE(MatchDnsPattern(label64 + ".com", label64 + ".com"));
  std::string long_name;
  while (long_name.size() < 260) long_name += "abcdefghi.";
  long_name += "com";
  EXPECT_FALSE(MatchDnsPattern(long_name, long_name));
}

TEST(DnsPatternTest, EmbeddedNulNeverMatches) {
  const std::string host("mail.example.com\0.evil.com", 26);
  EXPECT_FALSE(MatchDnsPattern("mail.example.com", host));
  EXPECT_FALSE(MatchDnsPattern(host, "mail.example.com"));
}

TEST(IpAddressTest, ParsesOnlyCanonicalLiterals) {
  EXPECT_EQ(ParseIpAddress("192.0.2.25"), std::string("\xc0\x00\x02\x19", 4));
  EXPECT_EQ(ParseIpAddress("2001:db8::25")->size(), 16u);
  EXPECT_EQ(ParseIpAddress("::ffff:192.0.2.1")->size(), 16u);
  EXPECT_FALSE(ParseIpAddress("192.0.2").has_value());
  EXPECT_FALSE(ParseIpAddress("192.0.2.256").has_value());
  EXPECT_FALSE(ParseIpAddress("0x7f.0.0.1").has_value());
  EXPECT_FALSE(ParseIpAddress("[2001:db8::1]").has_value());
  EXPECT_FALSE(ParseIpAddress("mail.example.com").has_value());
  EXPECT_FALSE(ParseIpAddress("").has_value());
  EXPECT_FALSE(ParseIpAddress(std::string(100, '1')).has_value());
}

class MatchHostNameTest : public ::testing::Test {
 protected:
  Certificate Load(const char* file) {
    ders_.push_back(std::make_unique<std::string>(ReadTestdata(file)));
    absl::StatusOr<Certificate> cert = ParseCertificate(*ders_.back());
    EXPECT_TRUE(cert.ok()) << cert.status();
    return cert.ok() ? *std::move(cert) : Certificate{};
  }
  std::vector<std::unique_ptr<std::string>> ders_;
};

TEST_F(MatchHostNameTest, SanDnsNames) {
  const Certificate cert = Load("leaf-rsa2048.der");
  NameMatchResult r = MatchHostName(cert, "smtp.example.com");
  EXPECT_TRUE(r.matched);
  EXPECT_EQ(r.source, NameMatchSource::kSanDns);
  EXPECT_EQ(r.presented, "smtp.example.com");
  r = MatchHostName(cert, "imap.example.com");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.reason, HasSubstr("no subjectAltName DNS name matches"));
}

TEST_F(MatchHostNameTest, WildcardCertificate) {
  const Certificate cert = Load("wildcard.der");
  EXPECT_TRUE(MatchHostName(cert, "mx.example.org").matched);
  EXPECT_TRUE(MatchHostName(cert, "example.org").matched);
  EXPECT_FALSE(MatchHostName(cert, "a.mx.example.org").matched);
  EXPECT_FALSE(MatchHostName(cert, "example.com").matched);
}

TEST_F(MatchHostNameTest, CommonNameOnlyWithoutDnsSans) {
  const Certificate legacy = Load("cn-only.der");
  NameMatchResult r = MatchHostName(legacy, "LEGACY.example.com");
  EXPECT_TRUE(r.matched);
  EXPECT_EQ(r.source, NameMatchSource::kSubjectCommonName);
  // The leaf's CN is also in its SANs, but a CN that is not a SAN must not
  // match once any dNSName exists: multi-san has CN mx.example.com and SANs.
  const Certificate multi = Load("multi-san.der");
  EXPECT_EQ(MatchHostName(multi, "mx.example.com").source,
            NameMatchSource::kSanDns);
  const Certificate ip = Load("ip-san.der");
  // ip-san's CN is "192.0.2.25"; it has a dNSName, so CN is never consulted.
  NameMatchResult cn_as_dns = MatchHostName(ip, "mx.example.com");
  EXPECT_EQ(cn_as_dns.source, NameMatchSource::kSanDns);
}

TEST_F(MatchHostNameTest, IpLiteralsMatchOnlyIpSans) {
  const Certificate cert = Load("ip-san.der");
  NameMatchResult r = MatchHostName(cert, "192.0.2.25");
  EXPECT_TRUE(r.matched);
  EXPECT_EQ(r.source, NameMatchSource::kSanIp);
  r = MatchHostName(cert, "2001:DB8:0:0::25");
  EXPECT_TRUE(r.matched);
  EXPECT_EQ(r.presented, "2001:db8::25");
  EXPECT_FALSE(MatchHostName(cert, "192.0.2.26").matched);
  EXPECT_FALSE(MatchHostName(cert, "2001:db8::26").matched);
  // The CN says 192.0.2.25 but an IP reference never looks at the CN.
  const Certificate multi = Load("multi-san.der");
  EXPECT_TRUE(MatchHostName(multi, "198.51.100.7").matched);
  EXPECT_FALSE(MatchHostName(multi, "192.0.2.25").matched);
}

TEST_F(MatchHostNameTest, IpLiteralNeverMatchesCommonName) {
  // A certificate whose only name is a CN holding an IP literal.
  const Certificate cert = Load("cn-only.der");
  Certificate forged = cert;
  forged.subject.rdns.back().attributes.back().value = "192.0.2.25";
  NameMatchResult r = MatchHostName(forged, "192.0.2.25");
  EXPECT_FALSE(r.matched);
  EXPECT_THAT(r.reason, HasSubstr("IP literals never match"));
}

// A certificate with the given dNSName SANs and subject CN, for the rules
// tables below (only the fields name matching reads are set).
Certificate WithNames(std::vector<std::string> dns, std::string cn = "") {
  Certificate cert;
  for (std::string& name : dns) {
    GeneralName g;
    g.type = GeneralName::Type::kDns;
    g.value = std::move(name);
    cert.subject_alt_names.push_back(std::move(g));
  }
  if (!cn.empty()) {
    Attribute a;
    a.type = AttributeType::kCommonName;
    a.value = std::move(cn);
    Rdn rdn;
    rdn.attributes.push_back(std::move(a));
    cert.subject.rdns.push_back(std::move(rdn));
  }
  return cert;
}

struct RulesCase {
  NameRules rules;
  std::vector<std::string> sans;
  const char* cn;
  const char* reference;
  bool match;
};

class NameRulesTest : public ::testing::TestWithParam<RulesCase> {};

TEST_P(NameRulesTest, MatchesAsTheSenderWould) {
  const RulesCase& c = GetParam();
  const Certificate cert = WithNames(c.sans, c.cn);
  NameMatchResult r = MatchName(cert, c.reference, c.rules);
  EXPECT_EQ(r.matched, c.match)
      << NameRulesName(c.rules) << ": " << c.reference << " vs "
      << ::testing::PrintToString(c.sans) << " CN=" << c.cn;
  EXPECT_EQ(r.reason.empty(), c.match) << r.reason;
}

INSTANTIATE_TEST_SUITE_P(
    Table, NameRulesTest,
    ::testing::Values(
        // RFC 9525: SAN only, one-label wildcard, never the CN.
        RulesCase{NameRules::kRfc9525, {"mx.example.com"}, "", "mx.example.com", true},
        RulesCase{NameRules::kRfc9525, {"*.example.com"}, "", "mx.example.com", true},
        RulesCase{NameRules::kRfc9525, {"*.example.com"}, "", "a.mx.example.com", false},
        RulesCase{NameRules::kRfc9525, {"*.example.com"}, "", "example.com", false},
        RulesCase{NameRules::kRfc9525, {}, "mx.example.com", "mx.example.com", false},
        RulesCase{NameRules::kRfc6125, {}, "mx.example.com", "mx.example.com", true},
        RulesCase{NameRules::kRfc6125, {"other.example.com"}, "mx.example.com",
                  "mx.example.com", false},
        // MTA-STS: host names as RFC 9525; mx patterns allow one label.
        RulesCase{NameRules::kMtaSts, {"mx1.mail.example.net"}, "", "mx1.mail.example.net", true},
        RulesCase{NameRules::kMtaSts, {}, "mx1.mail.example.net", "mx1.mail.example.net", false},
        RulesCase{NameRules::kMtaSts, {"mx1.mail.example.net"}, "", "*.mail.example.net", true},
        RulesCase{NameRules::kMtaSts, {"*.mail.example.net"}, "", "*.mail.example.net", true},
        RulesCase{NameRules::kMtaSts, {"a.mx1.mail.example.net"}, "", "*.mail.example.net", false},
        RulesCase{NameRules::kMtaSts, {"mail.example.net"}, "", "*.mail.example.net", false},
        RulesCase{NameRules::kMtaSts, {"*.example.net"}, "", "*.mail.example.net", false},
        // Postfix: multi-label wildcards, dot-nexthop, CN without dNSName.
        RulesCase{NameRules::kPostfix, {"*.example.com"}, "", "a.b.example.com", true},
        RulesCase{NameRules::kPostfix, {"*.example.com"}, "", "mx.example.com", true},
        RulesCase{NameRules::kPostfix, {"*.example.com"}, "", "example.com", false},
        RulesCase{NameRules::kPostfix, {"*.example.com"}, "", "a.example.org", false},
        RulesCase{NameRules::kPostfix, {"mx.a.example.com"}, "", ".example.com", true},
        RulesCase{NameRules::kPostfix, {"example.com"}, "", ".example.com", false},
        RulesCase{NameRules::kPostfix, {}, "mx.example.com", "mx.example.com", true},
        RulesCase{NameRules::kPostfix, {"other.example.com"}, "mx.example.com", "mx.example.com",
                  false},
        // Exchange TlsDomain: the wildcard domain covers itself and below.
        RulesCase{NameRules::kExchangeTlsDomain, {"contoso.com"}, "", "*.contoso.com", true},
        RulesCase{NameRules::kExchangeTlsDomain, {"mail.contoso.com"}, "", "*.contoso.com", true},
        RulesCase{NameRules::kExchangeTlsDomain, {"a.mail.contoso.com"}, "", "*.contoso.com",
                  true},
        RulesCase{NameRules::kExchangeTlsDomain, {"*.contoso.com"}, "", "*.contoso.com", true},
        RulesCase{NameRules::kExchangeTlsDomain, {"contoso.com.evil"}, "", "*.contoso.com",
                  false},
        RulesCase{NameRules::kExchangeTlsDomain, {"notcontoso.com"}, "", "*.contoso.com", false},
        RulesCase{NameRules::kExchangeTlsDomain, {"mail.contoso.com"}, "", "contoso.com", false},
        RulesCase{NameRules::kExchangeTlsDomain, {}, "contoso.com", "contoso.com", true},
        RulesCase{NameRules::kExchangeTlsDomain, {"fabrikam.com"}, "contoso.com", "contoso.com",
                  true}));

TEST(NameRulesTest, ParsesEveryNameItPrints) {
  for (NameRules rules : {NameRules::kRfc9525, NameRules::kRfc6125, NameRules::kMtaSts,
                          NameRules::kPostfix, NameRules::kExchangeTlsDomain}) {
    absl::StatusOr<NameRules> parsed = ParseNameRules(NameRulesName(rules));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, rules);
  }
  EXPECT_FALSE(ParseNameRules("rfc2818").ok());
}

TEST(NameRulesTest, IpLiteralsMatchOnlyIpSansUnderEveryRule) {
  Certificate cert = WithNames({"192.0.2.25"}, "192.0.2.25");
  for (NameRules rules : {NameRules::kRfc9525, NameRules::kMtaSts, NameRules::kPostfix,
                          NameRules::kExchangeTlsDomain}) {
    EXPECT_FALSE(MatchName(cert, "192.0.2.25", rules).matched) << NameRulesName(rules);
  }
}

}  // namespace
}  // namespace mailshake::x509
