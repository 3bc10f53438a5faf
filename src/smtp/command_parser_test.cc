#include "src/smtp/command_parser.h"

#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace mailshake {
namespace smtp {
namespace {

Command MustParse(absl::string_view line) {
  Command command;
  CommandError error;
  EXPECT_TRUE(ParseCommand(line, &command, &error))
      << "'" << line << "': " << error.ToReply();
  return command;
}

// ErrorOf returns "<code> <enhanced>" for a line that must fail.
std::string ErrorOf(absl::string_view line) {
  Command command;
  CommandError error;
  if (ParseCommand(line, &command, &error)) return "accepted";
  return absl::StrCat(error.code, " ", error.enhanced);
}

TEST(CommandParserTest, RecognizesEveryVerbCaseInsensitively) {
  const struct {
    absl::string_view line;
    Verb verb;
  } cases[] = {
      {"EHLO a.example", Verb::kEhlo}, {"ehlo a.example", Verb::kEhlo},
      {"HeLo a.example", Verb::kHelo}, {"MAIL FROM:<>", Verb::kMail},
      {"rcpt to:<a@b>", Verb::kRcpt},  {"DATA", Verb::kData},
      {"rset", Verb::kRset},           {"NOOP", Verb::kNoop},
      {"QuIt", Verb::kQuit},           {"starttls", Verb::kStartTls},
      {"VRFY someone", Verb::kVrfy},   {"help", Verb::kHelp},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MustParse(c.line).verb, c.verb) << c.line;
  }
  EXPECT_EQ(VerbName(Verb::kStartTls), "STARTTLS");
}

// The server reuses one Command and CommandError for every line: what a
// line leaves in them must not leak into the next one's result.
TEST(CommandParserTest, ReusedCommandGivesTheResultOfAFreshOne) {
  const char* lines[] = {
      "MAIL FROM:<\"quoted local\"@[IPv6:2001:db8::1]> SIZE=100 BODY=8BITMIME "
      "SMTPUTF8",
      "RCPT TO:<Postmaster>",
      "MAIL FROM:<>",
      "EHLO mail.example.org",
      "VRFY someone",
      "NOOP",
      "HELO [192.0.2.1]",
      "MAIL FROM:<a@b.example> BODY=7BIT",
      "RCPT TO:<@relay.example:user@d\xc3\xa9.example>",
      "bogus line",
      "DATA",
  };
  Command reused;
  CommandError reused_error;
  for (const char* first : lines) {
    for (const char* second : lines) {
      ParseCommand(first, &reused, &reused_error);
      Command fresh;
      CommandError fresh_error;
      const bool ok = ParseCommand(second, &fresh, &fresh_error);
      ASSERT_EQ(ParseCommand(second, &reused, &reused_error), ok)
          << first << " then " << second;
      if (!ok) {
        EXPECT_EQ(reused_error.ToReply(), fresh_error.ToReply());
        continue;
      }
      EXPECT_EQ(reused.verb, fresh.verb) << first << " then " << second;
      EXPECT_EQ(reused.argument, fresh.argument);
      EXPECT_EQ(reused.path.is_null, fresh.path.is_null);
      EXPECT_EQ(reused.path.local_part, fresh.path.local_part);
      EXPECT_EQ(reused.path.domain, fresh.path.domain);
      EXPECT_EQ(reused.path.non_ascii, fresh.path.non_ascii);
      EXPECT_EQ(reused.size, fresh.size);
      EXPECT_EQ(reused.body, fresh.body);
      EXPECT_EQ(reused.smtputf8, fresh.smtputf8);
    }
  }
}

TEST(CommandParserTest, UnknownVerbIs500) {
  EXPECT_EQ(ErrorOf("FOO"), "500 5.5.2");
  EXPECT_EQ(ErrorOf("NOOPX"), "500 5.5.2");
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1"), "500 5.5.2");
  EXPECT_EQ(ErrorOf(""), "500 5.5.2");
  EXPECT_EQ(ErrorOf(" NOOP"), "500 5.5.2");
}

TEST(CommandParserTest, KnownButUnimplementedVerbIs502) {
  EXPECT_EQ(ErrorOf("EXPN list"), "502 5.5.1");
  EXPECT_EQ(ErrorOf("AUTH PLAIN"), "502 5.5.1");
  EXPECT_EQ(ErrorOf("bdat 10 LAST"), "502 5.5.1");
}

TEST(CommandParserTest, EhloTakesDomainOrAddressLiteral) {
  EXPECT_EQ(MustParse("EHLO mail.example.com").argument, "mail.example.com");
  EXPECT_EQ(MustParse("EHLO localhost").argument, "localhost");
  EXPECT_EQ(MustParse("EHLO [192.0.2.1]").argument, "[192.0.2.1]");
  EXPECT_EQ(MustParse("EHLO [IPv6:2001:db8::1]").argument,
            "[IPv6:2001:db8::1]");
  EXPECT_EQ(MustParse("HELO x").argument, "x");
}

TEST(CommandParserTest, EhloWithBadArgumentIs501) {
  for (absl::string_view bad :
       {"EHLO", "EHLO ", "EHLO  a.com", "EHLO a.com extra", "EHLO -a.com",
        "EHLO a-.com", "EHLO a..com", "EHLO a_b.com", "EHLO .a", "EHLO a.",
        "EHLO [300.1.1.1]", "EHLO [1.2.3.4", "EHLO gr\xc3\xbc\xc3\x9f.de",
        "HELO"}) {
    EXPECT_EQ(ErrorOf(bad), "501 5.5.4") << bad;
  }
  EXPECT_EQ(ErrorOf("EHLO " + std::string(64, 'a') + ".com"), "501 5.5.4");
  EXPECT_EQ(MustParse("EHLO " + std::string(63, 'a') + ".com").verb,
            Verb::kEhlo);
}

TEST(CommandParserTest, ParsesMailFromWithPath) {
  const Command c = MustParse("MAIL FROM:<john.doe@example.com>");
  EXPECT_FALSE(c.path.is_null);
  EXPECT_EQ(c.path.local_part, "john.doe");
  EXPECT_EQ(c.path.domain, "example.com");
  EXPECT_EQ(c.path.ToString(), "john.doe@example.com");
  EXPECT_FALSE(c.size.has_value());
  EXPECT_EQ(c.body, Body::kUnspecified);
  EXPECT_FALSE(c.smtputf8);
}

TEST(CommandParserTest, AcceptsNullReversePathOnlyForMail) {
  EXPECT_TRUE(MustParse("MAIL FROM:<>").path.is_null);
  EXPECT_EQ(MustParse("MAIL FROM:<>").path.ToString(), "");
  EXPECT_EQ(ErrorOf("RCPT TO:<>"), "501 5.1.3");
}

TEST(CommandParserTest, ToleratesSpaceAfterColonAndLowerCaseKeyword) {
  EXPECT_EQ(MustParse("mail from: <a@b.c>").path.ToString(), "a@b.c");
  EXPECT_EQ(MustParse("Rcpt To: <a@b.c>").path.ToString(), "a@b.c");
  EXPECT_EQ(ErrorOf("MAIL FROM:  <a@b.c>"), "501 5.1.7");
  EXPECT_EQ(ErrorOf("MAIL FROM <a@b.c>"), "501 5.5.4");
  EXPECT_EQ(ErrorOf("MAIL TO:<a@b.c>"), "501 5.5.4");
  EXPECT_EQ(ErrorOf("RCPT FROM:<a@b.c>"), "501 5.5.4");
}

TEST(CommandParserTest, ParsesQuotedLocalParts) {
  EXPECT_EQ(MustParse("MAIL FROM:<\"john doe\"@example.com>").path.local_part,
            "\"john doe\"");
  EXPECT_EQ(MustParse("RCPT TO:<\"a\\\"b\\\\c\"@x.org>").path.local_part,
            "\"a\\\"b\\\\c\"");
  EXPECT_EQ(MustParse("RCPT TO:<\"\"@x.org>").path.local_part, "\"\"");
  EXPECT_EQ(ErrorOf("RCPT TO:<\"unterminated@x.org>"), "501 5.1.3");
  EXPECT_EQ(ErrorOf("RCPT TO:<\"a\tb\"@x.org>"), "501 5.1.3");
}

TEST(CommandParserTest, ParsesAddressLiteralDomains) {
  EXPECT_EQ(MustParse("RCPT TO:<u@[192.0.2.7]>").path.domain, "[192.0.2.7]");
  EXPECT_EQ(MustParse("RCPT TO:<u@[IPv6:::1]>").path.domain, "[IPv6:::1]");
  EXPECT_EQ(ErrorOf("RCPT TO:<u@[192.0.2]>"), "501 5.1.3");
}

TEST(CommandParserTest, DropsSourceRoute) {
  const Command c = MustParse("RCPT TO:<@relay1.org,@relay2.org:user@x.org>");
  EXPECT_EQ(c.path.ToString(), "user@x.org");
  EXPECT_EQ(ErrorOf("RCPT TO:<@relay1.org user@x.org>"), "501 5.1.3");
  EXPECT_EQ(ErrorOf("RCPT TO:<@:user@x.org>"), "501 5.1.3");
}

TEST(CommandParserTest, AcceptsPostmasterWithoutDomainForRcptOnly) {
  EXPECT_EQ(MustParse("RCPT TO:<Postmaster>").path.ToString(), "Postmaster");
  EXPECT_EQ(MustParse("RCPT TO:<postmaster>").path.domain, "");
  EXPECT_EQ(ErrorOf("MAIL FROM:<postmaster>"), "501 5.1.7");
  EXPECT_EQ(ErrorOf("RCPT TO:<bob>"), "501 5.1.3");
}

TEST(CommandParserTest, RejectsMalformedPaths) {
  for (absl::string_view bad :
       {"MAIL FROM:a@b.c", "MAIL FROM:<a@b.c", "MAIL FROM:<a@>",
        "MAIL FROM:<@b.c>", "MAIL FROM:<a..b@c.d>", "MAIL FROM:<.a@c.d>",
        "MAIL FROM:<a.@c.d>", "MAIL FROM:<a b@c.d>", "MAIL FROM:<a@b@c.d>",
        "MAIL FROM:<a@-b.c>", "MAIL FROM:<(comment)a@b.c>",
        "MAIL FROM:", "MAIL FROM:<a@b.c>>"}) {
    const std::string error = ErrorOf(bad);
    EXPECT_TRUE(error == "501 5.1.7" || error == "501 5.5.4")
        << bad << " -> " << error;
  }
}

TEST(CommandParserTest, EnforcesPathLengthLimits) {
  const std::string local64(64, 'l');
  EXPECT_EQ(MustParse("RCPT TO:<" + local64 + "@x.org>").path.local_part,
            local64);
  EXPECT_EQ(ErrorOf("RCPT TO:<" + local64 + "l@x.org>"), "501 5.1.3");
  // A 255-octet domain is allowed but the path (with <, @, >) then exceeds
  // 256 octets.
  std::string domain;
  while (domain.size() < 250) domain += std::string(49, 'd') + ".";
  domain += "abcd";
  ASSERT_EQ(domain.size(), 254u);
  EXPECT_EQ(ErrorOf("RCPT TO:<aa@" + domain + ">"), "501 5.1.3");
  EXPECT_EQ(MustParse("RCPT TO:<a@" + domain.substr(2) + ">").verb,
            Verb::kRcpt);
}

TEST(CommandParserTest, ParsesMailParameters) {
  const Command c =
      MustParse("MAIL FROM:<a@b.c> SIZE=12345 BODY=8BITMIME SMTPUTF8");
  EXPECT_EQ(c.size, 12345u);
  EXPECT_EQ(c.body, Body::k8BitMime);
  EXPECT_TRUE(c.smtputf8);
  EXPECT_EQ(MustParse("MAIL FROM:<> body=7bit size=0").body, Body::k7Bit);
  EXPECT_EQ(MustParse("MAIL FROM:<> SIZE=0").size, 0u);
}

TEST(CommandParserTest, SaturatesHugeSizeSoTheDialogueCanAnswer552) {
  EXPECT_EQ(MustParse("MAIL FROM:<> SIZE=99999999999999999999").size,
            UINT64_MAX);
  EXPECT_EQ(MustParse("MAIL FROM:<> SIZE=18446744073709551615").size,
            UINT64_MAX);
  EXPECT_EQ(MustParse("MAIL FROM:<> SIZE=18446744073709551614").size,
            UINT64_MAX - 1);
  EXPECT_EQ(ErrorOf("MAIL FROM:<> SIZE=999999999999999999999"), "501 5.5.4");
}

TEST(CommandParserTest, MalformedParametersAre501) {
  for (absl::string_view bad :
       {"MAIL FROM:<> SIZE", "MAIL FROM:<> SIZE=", "MAIL FROM:<> SIZE=-1",
        "MAIL FROM:<> SIZE=1x", "MAIL FROM:<> SIZE=1 SIZE=2",
        "MAIL FROM:<> BODY", "MAIL FROM:<> BODY=8BITMIME BODY=7BIT",
        "MAIL FROM:<> SMTPUTF8=yes", "MAIL FROM:<> SMTPUTF8 SMTPUTF8",
        "MAIL FROM:<>  SIZE=1", "MAIL FROM:<> SIZE=1 ", "MAIL FROM:<> ",
        "MAIL FROM:<>SIZE=1", "MAIL FROM:<> -X=1", "MAIL FROM:<> X_Y=1",
        "MAIL FROM:<> X=a=b"}) {
    EXPECT_EQ(ErrorOf(bad), "501 5.5.4") << bad;
  }
}

TEST(CommandParserTest, UnsupportedParametersAre555) {
  EXPECT_EQ(ErrorOf("MAIL FROM:<> RET=HDRS"), "555 5.5.4");
  EXPECT_EQ(ErrorOf("MAIL FROM:<> BODY=BINARYMIME"), "555 5.5.4");
  EXPECT_EQ(ErrorOf("RCPT TO:<a@b.c> NOTIFY=NEVER"), "555 5.5.4");
}

TEST(CommandParserTest, NonAsciiAddressNeedsSmtpUtf8) {
  const std::string from =
      "MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc"
      "cher.de>";
  EXPECT_EQ(ErrorOf(from), "553 5.6.7");
  const Command c = MustParse(from + " SMTPUTF8");
  EXPECT_TRUE(c.path.non_ascii);
  EXPECT_EQ(c.path.domain,
            "b\xc3\xbc"
            "cher.de");
  // RCPT cannot know about MAIL's SMTPUTF8: it reports, the dialogue judges.
  EXPECT_TRUE(MustParse("RCPT TO:<\xc3\xa9@x.org>").path.non_ascii);
  EXPECT_FALSE(MustParse("RCPT TO:<e@x.org>").path.non_ascii);
}

TEST(CommandParserTest, RejectsInvalidUtf8InAddresses) {
  for (absl::string_view bad :
       {"MAIL FROM:<\xff@x.org> SMTPUTF8", "MAIL FROM:<a@\xc3.org> SMTPUTF8",
        "MAIL FROM:<\xc0\xaf@x.org> SMTPUTF8",
        "MAIL FROM:<\xed\xa0\x80@x.org> SMTPUTF8",
        "MAIL FROM:<\xf4\x90\x80\x80@x.org> SMTPUTF8"}) {
    EXPECT_EQ(ErrorOf(bad), "501 5.1.7") << bad;
  }
}

TEST(CommandParserTest, CommandsWithoutArgumentsRejectArguments) {
  EXPECT_EQ(ErrorOf("DATA now"), "501 5.5.4");
  EXPECT_EQ(ErrorOf("STARTTLS please"), "501 5.5.4");
  EXPECT_EQ(ErrorOf("STARTTLS "), "501 5.5.4");
  EXPECT_EQ(ErrorOf("QUIT x"), "501 5.5.4");
  EXPECT_EQ(ErrorOf("RSET x"), "501 5.5.4");
}

TEST(CommandParserTest, StringArguments) {
  EXPECT_EQ(MustParse("NOOP").argument, "");
  EXPECT_EQ(MustParse("NOOP hello there").argument, "hello there");
  EXPECT_EQ(MustParse("HELP MAIL").argument, "MAIL");
  EXPECT_EQ(MustParse("VRFY postmaster").argument, "postmaster");
  EXPECT_EQ(ErrorOf("VRFY"), "501 5.5.4");
  EXPECT_EQ(ErrorOf("NOOP "), "501 5.5.4");
}

TEST(CommandParserTest, LineOf510OctetsIsAcceptedAnd511Is500) {
  const std::string ok = "NOOP " + std::string(505, 'x');
  ASSERT_EQ(ok.size(), kMaxCommandLine - 2);
  EXPECT_EQ(MustParse(ok).argument.size(), 505u);
  EXPECT_EQ(ErrorOf(ok + "x"), "500 5.5.2");
  EXPECT_EQ(ErrorOf(std::string(100000, 'A')), "500 5.5.2");
}

TEST(CommandParserTest, BareCrLfOrNulInLineIs501) {
  EXPECT_EQ(ErrorOf("NOOP\nQUIT"), "501 5.5.2");
  EXPECT_EQ(ErrorOf("NOOP a\rb"), "501 5.5.2");
  EXPECT_EQ(ErrorOf("QUIT\n"), "501 5.5.2");
  EXPECT_EQ(ErrorOf(absl::string_view("NOOP \0", 6)), "501 5.5.2");
}

TEST(CommandParserTest, ErrorRendersAsReplyLine) {
  Command command;
  CommandError error;
  ASSERT_FALSE(ParseCommand("MAIL FROM:<> RET=FULL", &command, &error));
  EXPECT_EQ(error.ToReply(), "555 5.5.4 Unsupported MAIL parameter RET\r\n");
}

TEST(AddressLiteralTest, AcceptsValidLiterals) {
  for (absl::string_view ok :
       {"[0.0.0.0]", "[255.255.255.255]", "[IPv6:::]", "[IPv6:::1]",
        "[ipv6:2001:DB8::]", "[IPv6:1:2:3:4:5:6:7:8]", "[IPv6:1:2:3:4:5:6::]",
        "[IPv6:::2:3:4:5:6:7]", "[IPv6:1:2:3:4:5:6:1.2.3.4]",
        "[IPv6:::ffff:192.0.2.1]", "[IPv6:1:2:3:4::1.2.3.4]",
        "[x-tag:some-content]", "[a:b]"}) {
    EXPECT_TRUE(IsValidAddressLiteral(ok)) << ok;
  }
}

TEST(AddressLiteralTest, RejectsInvalidLiterals) {
  for (absl::string_view bad : {"[]",
                                "[1.2.3]",
                                "[1.2.3.4.5]",
                                "[256.1.1.1]",
                                "[1.2.3.04444]",
                                "[1..2.3]",
                                "1.2.3.4",
                                "[1.2.3.4",
                                "[IPv6:]",
                                "[IPv6:1:2:3:4:5:6:7]",
                                "[IPv6:1:2:3:4:5:6:7:8:9]",
                                "[IPv6:1::2::3]",
                                "[IPv6:1:2:3:4:5:6:7::]",
                                "[IPv6::::]",
                                "[IPv6:12345::]",
                                "[IPv6:g::]",
                                "[IPv6:1.2.3.4::]",
                                "[IPv6:1:2:3:4:5:1.2.3.4]",
                                "[IPv6:1:2:3:4:5::1.2.3.4]",
                                "[IPv6::1]",
                                "[IPv6:1:]",
                                "[tag-:x]",
                                "[tag:]",
                                "[tag:a b]",
                                "[tag:a[b]"}) {
    EXPECT_FALSE(IsValidAddressLiteral(bad)) << bad;
  }
}

TEST(DomainTest, ChecksLdhLabelsAndLength) {
  EXPECT_TRUE(IsValidDomain("a", false));
  EXPECT_TRUE(IsValidDomain("xn--bcher-kva.example", false));
  EXPECT_TRUE(IsValidDomain("1.2.3.4", false));
  EXPECT_FALSE(IsValidDomain("", false));
  EXPECT_FALSE(
      IsValidDomain("b\xc3\xbc"
                    "cher.de",
                    false));
  EXPECT_TRUE(
      IsValidDomain("b\xc3\xbc"
                    "cher.de",
                    true));
  EXPECT_FALSE(
      IsValidDomain("b\xc3"
                    "cher.de",
                    true));
  std::string long_domain;
  while (long_domain.size() < 256) long_domain += "abcdefghi.";
  long_domain.resize(256);
  long_domain.back() = 'z';
  EXPECT_FALSE(IsValidDomain(long_domain, false));
  EXPECT_TRUE(IsValidDomain(long_domain.substr(1), false));
}

TEST(CommandParserTest, SurvivesHostileBytes) {
  // Any line gives a verdict; under ASan/UBSan this also checks for memory
  // errors. Lines are built from SMTP-looking fragments and random bytes.
  std::mt19937 rng(12345);
  const absl::string_view fragments[] = {
      "MAIL FROM:", "RCPT TO:", "EHLO ", "<",  ">", "@", "\"", "\\",
      "[",          "]",        "IPv6:", ":",  ".", ",", " ",  "=",
      "SIZE=",      "\xc3",     "\xff",  "\0", "a", "9", "::"};
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    const int n = rng() % 20;
    for (int k = 0; k < n; ++k) {
      if (rng() % 4 == 0) {
        line.push_back(static_cast<char>(rng() % 256));
      } else {
        const absl::string_view f = fragments[rng() % std::size(fragments)];
        if (f.empty()) {
          line.push_back('\0');
        } else {
          line.append(f.data(), f.size());
        }
      }
    }
    Command command;
    CommandError error;
    if (!ParseCommand(line, &command, &error)) {
      EXPECT_TRUE(error.code == 500 || error.code == 501 || error.code == 502 ||
                  error.code == 553 || error.code == 555)
          << error.code;
      EXPECT_FALSE(error.text.empty());
    }
  }
}

}  // namespace
}  // namespace smtp
}  // namespace mailshake
