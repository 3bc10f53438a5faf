#include "src/smtp/reply_parser.h"

#include <random>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/smtp/split_testing.h"

namespace mailshake {
namespace smtp {
namespace {

using testing::CheckSameForAllSplits;
using testing::Chunks;
using ::testing::ElementsAre;

std::string Describe(const Reply& reply) {
  return absl::StrCat(reply.code, "{",
                      reply.enhanced ? reply.enhanced->ToString() : "-", "}[",
                      absl::StrJoin(reply.lines, "|"), "]/", reply.wire_size);
}

// Transcript feeds |chunks| in order and records every reply and the error,
// each with the absolute offset at which the parser stopped.
std::string Transcript(const Chunks& chunks, ReplyLimits limits = {}) {
  ReplyParser parser(limits);
  std::string out;
  size_t offset = 0;
  for (absl::string_view chunk : chunks) {
    for (;;) {
      size_t consumed = 0;
      const ParseResult r = parser.Feed(chunk, &consumed);
      EXPECT_LE(consumed, chunk.size());
      offset += consumed;
      chunk.remove_prefix(consumed);
      if (r == ParseResult::kError) {
        absl::StrAppend(&out, "error:", ReplyErrorName(parser.error()), "@",
                        offset);
        return out;
      }
      if (r == ParseResult::kNeedMore) {
        EXPECT_TRUE(chunk.empty());
        break;
      }
      absl::StrAppend(&out, Describe(parser.TakeReply()), "@", offset, ";");
    }
  }
  if (parser.in_progress()) out += "partial";
  return out;
}

std::string Whole(absl::string_view input, ReplyLimits limits = {}) {
  return Transcript({input}, limits);
}

// Parses exactly one reply from |input| and returns it.
Reply ParseOne(absl::string_view input) {
  ReplyParser parser;
  size_t consumed = 0;
  EXPECT_EQ(parser.Feed(input, &consumed), ParseResult::kReply)
      << parser.status();
  EXPECT_EQ(consumed, input.size());
  return parser.TakeReply();
}

TEST(ReplyParserTest, ParsesSingleLineReply) {
  const Reply reply = ParseOne("220 mx.example.com ESMTP ready\r\n");
  EXPECT_EQ(reply.code, 220);
  EXPECT_EQ(reply.Class(), 2);
  EXPECT_TRUE(reply.IsPositive());
  EXPECT_THAT(reply.lines, ElementsAre("mx.example.com ESMTP ready"));
  EXPECT_EQ(reply.wire_size, 32u);
  EXPECT_FALSE(reply.enhanced.has_value());
}

TEST(ReplyParserTest, ParsesMultiLineReply) {
  const Reply reply = ParseOne(
      "250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 "
      "STARTTLS\r\n");
  EXPECT_EQ(reply.code, 250);
  EXPECT_THAT(reply.lines, ElementsAre("mx.example.com", "PIPELINING",
                                       "SIZE 1000", "STARTTLS"));
  EXPECT_EQ(reply.Text(), "mx.example.com\nPIPELINING\nSIZE 1000\nSTARTTLS");
}

TEST(ReplyParserTest, AcceptsBareCodeAsLastLine) {
  EXPECT_EQ(Whole("250\r\n"), "250{-}[]/5@5;");
  EXPECT_EQ(Whole("250-first\r\n250\r\n"), "250{-}[first|]/16@16;");
}

TEST(ReplyParserTest, AcceptsEmptyContinuationText) {
  EXPECT_EQ(Whole("250-\r\n250 x\r\n"), "250{-}[|x]/13@13;");
}

TEST(ReplyParserTest, StopsRightAfterReplySoInjectedBytesAreVisible) {
  // A server answering STARTTLS and then injecting a second reply in the
  // same packet (CVE-2011-0411 class): the caller must see the extra bytes.
  const absl::string_view wire =
      "220 2.0.0 Ready to start TLS\r\n250 injected\r\n";
  ReplyParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed(wire, &consumed), ParseResult::kReply);
  EXPECT_EQ(wire.substr(consumed), "250 injected\r\n");
  EXPECT_EQ(parser.TakeReply().code, 220);
  EXPECT_FALSE(parser.in_progress());
}

TEST(ReplyParserTest, ParsesSeveralRepliesInOneBuffer) {
  EXPECT_EQ(Whole("250 a\r\n354 b\r\n"), "250{-}[a]/7@7;354{-}[b]/7@14;");
}

TEST(ReplyParserTest, AcceptsBareLfAsLineEnd) {
  EXPECT_EQ(Whole("250-a\n250 b\r\n"), "250{-}[a|b]/13@13;");
  EXPECT_EQ(Whole("220 x\n"), "220{-}[x]/6@6;");
}

TEST(ReplyParserTest, RejectsBareCrInsideLine) {
  EXPECT_EQ(Whole("250 a\rb\r\n"), "error:bare_cr@6");
  EXPECT_EQ(Whole("250 a\r\r\n"), "error:bare_cr@6");
}

TEST(ReplyParserTest, PendingCrAtEndOfInputIsNotAnErrorYet) {
  EXPECT_EQ(Whole("250 a\r"), "partial");
}

TEST(ReplyParserTest, RejectsNulByte) {
  EXPECT_EQ(Whole(absl::string_view("250 a\0b\r\n", 9)), "error:nul_byte@9");
}

TEST(ReplyParserTest, KeepsEightBitText) {
  const Reply reply = ParseOne("250 gr\xc3\xbc\xc3\x9f \xff\r\n");
  EXPECT_THAT(reply.lines, ElementsAre("gr\xc3\xbc\xc3\x9f \xff"));
}

TEST(ReplyParserTest, RejectsMalformedCodes) {
  for (absl::string_view bad :
       {"099 x\r\n", "199 x\r\n", "600 x\r\n", "260 x\r\n", "25\r\n", "\r\n",
        "abc\r\n", "25a x\r\n", " 250 x\r\n", "-250 x\r\n"}) {
    EXPECT_EQ(Whole(bad), absl::StrCat("error:bad_code@", bad.size())) << bad;
  }
}

TEST(ReplyParserTest, AcceptsEveryCodeOfTheRfcRange) {
  for (int code = 200; code <= 559; ++code) {
    if (code % 100 >= 60) continue;
    const std::string line = absl::StrCat(code, " x\r\n");
    EXPECT_EQ(ParseOne(line).code, code);
  }
}

TEST(ReplyParserTest, RejectsBadSeparator) {
  EXPECT_EQ(Whole("2500 x\r\n"), "error:bad_separator@8");
  EXPECT_EQ(Whole("250\tx\r\n"), "error:bad_separator@7");
  EXPECT_EQ(Whole("250_x\r\n"), "error:bad_separator@7");
}

TEST(ReplyParserTest, RejectsCodeChangeBetweenLines) {
  EXPECT_EQ(Whole("250-a\r\n251 b\r\n"), "error:code_mismatch@14");
}

TEST(ReplyParserTest, AcceptsLineOfExactly512Octets) {
  const std::string line = "250 " + std::string(506, 'x') + "\r\n";
  ASSERT_EQ(line.size(), 512u);
  EXPECT_EQ(ParseOne(line).lines[0].size(), 506u);
}

TEST(ReplyParserTest, ToleratesLinesOver512OctetsUpTo8KiBAndCountsThem) {
  // EHLO lines of real servers (long AUTH lists) run past RFC 5321's 512.
  const std::string long_line = "250-AUTH " + std::string(1500, 'X') + "\r\n";
  Reply reply = ParseOne("250-mx\r\n" + long_line + "250 STARTTLS\r\n");
  EXPECT_EQ(reply.long_lines, 1u);
  EXPECT_EQ(reply.lines.size(), 3u);
  EXPECT_TRUE(ParseEhlo(reply).starttls);
  const std::string longest = "250 " + std::string(8192 - 6, 'x') + "\r\n";
  ASSERT_EQ(longest.size(), 8192u);
  EXPECT_EQ(ParseOne(longest).long_lines, 1u);
  EXPECT_EQ(ParseOne("250 " + std::string(506, 'x') + "\r\n").long_lines, 0u);
}

TEST(ReplyParserTest, RejectsReplyLineLongerThan8KiBAsSoonAsPassed) {
  // 8191 octets of content can only make a line of 8193 octets with CR LF:
  // the parser fails at the 8191st octet and consumes nothing beyond it.
  const std::string flood = "250 " + std::string(1 << 20, 'x');
  EXPECT_EQ(Whole(flood), "error:line_too_long@8191");
  const std::string line = "250 " + std::string(8187, 'x') + "\r\n";
  EXPECT_EQ(Whole(line), "error:line_too_long@8191");
}

TEST(ReplyParserTest, LineLimitIsConfigurable) {
  ReplyLimits limits;
  limits.max_line_length = 10;
  limits.tolerated_line_length = 0;  // no tolerance
  EXPECT_EQ(Whole("250 abcd\r\n", limits), "250{-}[abcd]/10@10;");
  EXPECT_EQ(Whole("250 abcde\r\n", limits), "error:line_too_long@9");
  limits.tolerated_line_length = 12;
  EXPECT_EQ(Whole("250 abcdef\r\n", limits), "250{-}[abcdef]/12@12;");
  EXPECT_EQ(Whole("250 abcdefg\r\n", limits), "error:line_too_long@11");
}

TEST(ReplyParserTest, RejectsTooManyLines) {
  ReplyLimits limits;
  limits.max_lines = 3;
  EXPECT_EQ(Whole("250-a\r\n250-b\r\n250 c\r\n", limits),
            "250{-}[a|b|c]/21@21;");
  EXPECT_EQ(Whole("250-a\r\n250-b\r\n250-c\r\n250 d\r\n", limits),
            "error:too_many_lines@28");
}

TEST(ReplyParserTest, DefaultLimitStopsAHugeNumberOfLines) {
  std::string flood;
  for (int i = 0; i < 5000; ++i) flood += "250-x\r\n";
  EXPECT_EQ(Whole(flood), "error:too_many_lines@7007");
}

TEST(ReplyParserTest, RejectsReplyLargerThanLimit) {
  ReplyLimits limits;
  limits.max_reply_size = 20;
  EXPECT_EQ(Whole("250-abc\r\n250 defgh\r\n", limits),
            "250{-}[abc|defgh]/20@20;");
  EXPECT_EQ(Whole("250-abc\r\n250 defghi\r\n", limits),
            "error:reply_too_large@21");
}

TEST(ReplyParserTest, DefaultLimitStopsA64KiBReply) {
  std::string flood;
  const std::string line = "250-" + std::string(400, 'y') + "\r\n";
  while (flood.size() < 70000) flood += line;
  const std::string result = Whole(flood);
  EXPECT_EQ(result.rfind("error:reply_too_large@", 0), 0u) << result;
}

TEST(ReplyParserTest, ParsesEnhancedStatusMatchingTheReplyClass) {
  const Reply reply =
      ParseOne("550-5.7.1 Relaying denied\r\n550 5.7.1 see\r\n");
  ASSERT_TRUE(reply.enhanced.has_value());
  EXPECT_EQ(*reply.enhanced, (EnhancedStatus{5, 7, 1}));
  EXPECT_EQ(reply.lines[0], "5.7.1 Relaying denied");
  EXPECT_EQ(ParseOne("250 2.0.0\r\n").enhanced->ToString(), "2.0.0");
  EXPECT_EQ(ParseOne("452 4.5.3 x\r\n").enhanced->ToString(), "4.5.3");
  EXPECT_EQ(ParseOne("250 2.123.999 x\r\n").enhanced->ToString(), "2.123.999");
}

TEST(ReplyParserTest, IgnoresEnhancedStatusOfAnotherClassOrMalformed) {
  for (absl::string_view wire :
       {"250 5.0.0 x\r\n", "550 2.0.0 x\r\n", "354 3.0.0 x\r\n",
        "250 2.0.0x\r\n", "250 2.1000.0 x\r\n", "250 2.0 x\r\n",
        "250 2..0 x\r\n", "250 22.0.0 x\r\n"}) {
    EXPECT_FALSE(ParseOne(wire).enhanced.has_value()) << wire;
  }
}

TEST(ReplyParserTest, StaysFailedUntilReset) {
  ReplyParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed("xyz\r\n", &consumed), ParseResult::kError);
  EXPECT_EQ(parser.error(), ReplyError::kBadCode);
  EXPECT_THAT(std::string(parser.status().message()),
              ::testing::HasSubstr("line 1"));
  EXPECT_EQ(parser.Feed("250 ok\r\n", &consumed), ParseResult::kError);
  EXPECT_EQ(consumed, 0u);
  parser.Reset();
  EXPECT_TRUE(parser.status().ok());
  EXPECT_EQ(parser.Feed("250 ok\r\n", &consumed), ParseResult::kReply);
}

TEST(ReplyParserTest, ErrorMessageNamesTheLine) {
  ReplyParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed("250-a\r\n250-b\r\n220 c\r\n", &consumed),
            ParseResult::kError);
  EXPECT_EQ(parser.status().message(),
            "SMTP reply line 3 has a reply code different from the first "
            "line's");
}

TEST(ReplyParserTest, EverySplitGivesTheSameResult) {
  const std::string long_line = "250 " + std::string(600, 'z') + "\r\n";
  const absl::string_view inputs[] = {
      "220 mx.example.com ESMTP\r\n",
      "250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
      "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n",
      "220 2.0.0 Ready to start TLS\r\n250 injected\r\n",
      "250-a\n250 b\r\n354 go\n",
      "250\r\n221 2.0.0 bye\r\n",
      "250-a\r\n251 b\r\n",
      "250 a\rb\r\n",
      "250 a\r\r\n",
      absl::string_view("250 a\0b\r\n", 9),
      "2500 x\r\n",
      "550 5.7.1 no\r\n250 2.0.0",
      long_line,
      "\xff\xfe\r\n",
  };
  for (absl::string_view input : inputs) {
    EXPECT_EQ(CheckSameForAllSplits(
                  input, [](const Chunks& c) { return Transcript(c); }),
              "")
        << input;
  }
}

TEST(ReplyParserTest, RandomHostileInputsGiveTheSameResultForEverySplit) {
  std::mt19937 rng(777);
  const absl::string_view fragments[] = {
      "250", "251", "550", "-",  " ",    "ok",   "\r\n", "\n",
      "\r", "2.0.0", "5.7.1", "\xff", "\x80", "1",   "999"};
  ReplyLimits limits;
  limits.max_line_length = 24;
  limits.max_lines = 4;
  limits.max_reply_size = 64;
  for (int round = 0; round < 400; ++round) {
    std::string input;
    for (int k = rng() % 24; k > 0; --k) {
      if (rng() % 8 == 0) {
        input.push_back(static_cast<char>(rng() % 256));
      } else {
        const absl::string_view f = fragments[rng() % std::size(fragments)];
        input.append(f.data(), f.size());
      }
    }
    EXPECT_EQ(CheckSameForAllSplits(input,
                                    [&limits](const Chunks& c) {
                                      return Transcript(c, limits);
                                    }),
              "")
        << absl::CEscape(input);
  }
}

TEST(ParseEhloTest, RecognizesEveryKeywordCaseInsensitively) {
  const Reply reply = ParseOne(
      "250-mx.example.com Hello client\r\n"
      "250-pipelining\r\n"
      "250-Size 35882577\r\n"
      "250-8BITMIME\r\n"
      "250-smtputf8\r\n"
      "250-CHUNKING\r\n"
      "250-EnhancedStatusCodes\r\n"
      "250-DSN\r\n"
      "250-AUTH PLAIN login XOAUTH2\r\n"
      "250-X-EXPS GSSAPI NTLM\r\n"
      "250 StartTLS\r\n");
  const EhloExtensions ext = ParseEhlo(reply);
  EXPECT_EQ(ext.domain, "mx.example.com");
  EXPECT_TRUE(ext.pipelining);
  EXPECT_TRUE(ext.size);
  EXPECT_EQ(ext.size_limit, 35882577u);
  EXPECT_TRUE(ext.eightbitmime);
  EXPECT_TRUE(ext.smtputf8);
  EXPECT_TRUE(ext.chunking);
  EXPECT_TRUE(ext.enhancedstatuscodes);
  EXPECT_TRUE(ext.dsn);
  EXPECT_TRUE(ext.auth);
  EXPECT_THAT(ext.auth_mechanisms, ElementsAre("PLAIN", "LOGIN", "XOAUTH2"));
  EXPECT_TRUE(ext.starttls);
  EXPECT_THAT(ext.unknown, ElementsAre("X-EXPS GSSAPI NTLM"));
}

TEST(ParseEhloTest, NothingAdvertisedMeansAllFalse) {
  const EhloExtensions ext = ParseEhlo(ParseOne("250 mx.example.com\r\n"));
  EXPECT_EQ(ext.domain, "mx.example.com");
  EXPECT_FALSE(ext.starttls || ext.pipelining || ext.size || ext.eightbitmime ||
               ext.smtputf8 || ext.chunking || ext.enhancedstatuscodes ||
               ext.dsn || ext.auth);
  EXPECT_TRUE(ext.unknown.empty());
}

TEST(ParseEhloTest, SizeWithoutOrWithZeroParameterHasNoLimit) {
  EXPECT_TRUE(ParseEhlo(ParseOne("250-x\r\n250 SIZE\r\n")).size);
  EXPECT_FALSE(ParseEhlo(ParseOne("250-x\r\n250 SIZE\r\n")).size_limit);
  const EhloExtensions zero = ParseEhlo(ParseOne("250-x\r\n250 SIZE 0\r\n"));
  EXPECT_TRUE(zero.size);
  EXPECT_FALSE(zero.size_limit.has_value());
}

TEST(ParseEhloTest, MalformedParametersGoToUnknown) {
  const EhloExtensions ext = ParseEhlo(
      ParseOne("250-x\r\n250-SIZE big\r\n250-SIZE 99999999999999999999999\r\n"
               "250-STARTTLS now\r\n250-PIPELINING x\r\n250-_bad\r\n250 \r\n"));
  EXPECT_FALSE(ext.size);
  EXPECT_FALSE(ext.starttls);
  EXPECT_FALSE(ext.pipelining);
  EXPECT_THAT(ext.unknown,
              ElementsAre("SIZE big", "SIZE 99999999999999999999999",
                          "STARTTLS now", "PIPELINING x", "_bad", ""));
}

TEST(ParseEhloTest, MergesObsoleteAuthFormWithoutDuplicates) {
  const EhloExtensions ext = ParseEhlo(
      ParseOne("250-x\r\n250-AUTH=PLAIN LOGIN\r\n250 AUTH login cram-md5\r\n"));
  EXPECT_TRUE(ext.auth);
  EXPECT_THAT(ext.auth_mechanisms, ElementsAre("PLAIN", "LOGIN", "CRAM-MD5"));
}

TEST(ParseEhloTest, EmptyReplyGivesEmptyExtensions) {
  const EhloExtensions ext = ParseEhlo(Reply());
  EXPECT_TRUE(ext.domain.empty());
  EXPECT_TRUE(ext.unknown.empty());
}

}  // namespace
}  // namespace smtp
}  // namespace mailshake
