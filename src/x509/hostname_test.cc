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

}  // namespace
}  // namespace mailshake::x509
