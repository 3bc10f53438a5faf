#include "src/x509/der.h"

#include <string>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mailshake::x509::der {
namespace {

using ::testing::HasSubstr;

Cursor Over(const std::string& bytes) {
  Cursor c;
  CBS_init(&c.cbs, reinterpret_cast<const uint8_t*>(bytes.data()),
           bytes.size());
  c.base = reinterpret_cast<const uint8_t*>(bytes.data());
  return c;
}

std::string ReadError(const std::string& bytes, unsigned tag) {
  Cursor in = Over(bytes), contents;
  absl::Status status = ReadElement(&in, tag, "f", &contents);
  return std::string(status.message());
}

TEST(ReadElementTest, NamesEachLengthDefect) {
  EXPECT_THAT(ReadError("", CBS_ASN1_SEQUENCE),
              HasSubstr("f at offset 0: missing SEQUENCE"));
  EXPECT_THAT(ReadError(std::string("\x30\x80\x00\x00", 4), CBS_ASN1_SEQUENCE),
              HasSubstr("indefinite length"));
  EXPECT_THAT(ReadError(std::string("\x04\x81\x05xxxxx", 8),
                        CBS_ASN1_OCTETSTRING),
              HasSubstr("non-minimal length encoding (5 in long form)"));
  EXPECT_THAT(ReadError(std::string("\x04\x82\x00\x80", 4) +
                            std::string(0x80, 'x'),
                        CBS_ASN1_OCTETSTRING),
              HasSubstr("non-minimal length encoding (leading zero)"));
  EXPECT_THAT(ReadError(std::string("\x04\x05xx", 4), CBS_ASN1_OCTETSTRING),
              HasSubstr("length 5 runs past the end of the enclosing data (2 "
                        "bytes left)"));
  EXPECT_THAT(ReadError(std::string("\x02\x01\x05", 3), CBS_ASN1_SEQUENCE),
              HasSubstr("expected SEQUENCE, found INTEGER"));
  EXPECT_THAT(ReadError(std::string("\x00\x00", 2), CBS_ASN1_SEQUENCE),
              HasSubstr("tag 0 (end-of-contents)"));
  EXPECT_THAT(ReadError(std::string("\x1f\x05\x00", 3), CBS_ASN1_SEQUENCE),
              HasSubstr("high tag number form used for a low tag"));
}

TEST(ReadElementTest, ReportsOffsetsRelativeToBase) {
  const std::string bytes("\x30\x03\x02\x01\x05\x04\x09", 7);
  Cursor in = Over(bytes), seq, integer;
  ASSERT_TRUE(ReadElement(&in, CBS_ASN1_SEQUENCE, "s", &seq).ok());
  ASSERT_TRUE(ReadElement(&seq, CBS_ASN1_INTEGER, "i", &integer).ok());
  EXPECT_EQ(integer.Offset(), 4u);
  Cursor oct;
  absl::Status status = ReadElement(&in, CBS_ASN1_OCTETSTRING, "o", &oct);
  EXPECT_THAT(status.message(), HasSubstr("o at offset 5:"));
}

TEST(OidTest, DecodesAndRejects) {
  EXPECT_EQ(*OidToText(std::string("\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", 9)),
            "1.2.840.113549.1.1.11");
  EXPECT_EQ(*OidToText(std::string("\x67\x81\x0c\x01\x01", 5)),
            "2.23.140.1.1");
  EXPECT_EQ(*OidToText(std::string("\x88\x37\x01", 3)), "2.999.1");
  EXPECT_FALSE(OidToText("").ok());
  EXPECT_THAT(OidToText(std::string("\x2a\x80\x01", 3)).status().message(),
              HasSubstr("non-minimal"));
  EXPECT_THAT(OidToText(std::string("\x2a\x86", 2)).status().message(),
              HasSubstr("truncated"));
  EXPECT_THAT(OidToText(std::string("\x2a") + std::string(10, '\xff') + "\x7f")
                  .status()
                  .message(),
              HasSubstr("64 bits"));
}

TEST(IntegerTest, RequiresMinimalEncoding) {
  EXPECT_TRUE(ValidateInteger(Over(std::string("\x00\x80", 2)), "f", true).ok());
  EXPECT_FALSE(ValidateInteger(Over(std::string("\x00\x7f", 2)), "f", true).ok());
  EXPECT_FALSE(ValidateInteger(Over(std::string("\xff\x80", 2)), "f", false).ok());
  EXPECT_FALSE(ValidateInteger(Over(""), "f", false).ok());
  EXPECT_THAT(ValidateInteger(Over("\x80"), "f", true).message(),
              HasSubstr("negative"));
  EXPECT_TRUE(ValidateInteger(Over("\x80"), "f", false).ok());
}

TEST(StringTest, DecodesEveryDirectoryStringType) {
  EXPECT_EQ(*DecodeString(CBS_ASN1_UTF8STRING, "gr\xc3\xbc\xc3\x9f"),
            "gr\xc3\xbc\xc3\x9f");
  EXPECT_EQ(*DecodeString(CBS_ASN1_PRINTABLESTRING, "Example (UK) Ltd."),
            "Example (UK) Ltd.");
  EXPECT_EQ(*DecodeString(CBS_ASN1_IA5STRING, "a@b.c"), "a@b.c");
  EXPECT_EQ(*DecodeString(CBS_ASN1_T61STRING, "\xe9t\xe9"),
            "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(*DecodeString(CBS_ASN1_BMPSTRING, std::string("\x00h\x20\xac", 4)),
            "h\xe2\x82\xac");
  EXPECT_EQ(*DecodeString(CBS_ASN1_UNIVERSALSTRING,
                          std::string("\x00\x01\xf6\x00", 4)),
            "\xf0\x9f\x98\x80");
  EXPECT_EQ(*DecodeString(CBS_ASN1_NUMERICSTRING, "12 34"), "12 34");
}

TEST(StringTest, RejectsInvalidContents) {
  EXPECT_THAT(DecodeString(CBS_ASN1_UTF8STRING, "\xc0\xaf").status().message(),
              HasSubstr("not valid UTF-8"));  // overlong '/'
  EXPECT_FALSE(DecodeString(CBS_ASN1_UTF8STRING, "\xed\xa0\x80").ok());  // surrogate
  EXPECT_FALSE(DecodeString(CBS_ASN1_UTF8STRING, "\xf4\x90\x80\x80").ok());
  EXPECT_FALSE(DecodeString(CBS_ASN1_UTF8STRING, "\xe2\x82").ok());  // truncated
  EXPECT_THAT(DecodeString(CBS_ASN1_UTF8STRING, std::string("a\0b", 3))
                  .status()
                  .message(),
              HasSubstr("NUL"));
  EXPECT_THAT(DecodeString(CBS_ASN1_PRINTABLESTRING, "a*b").status().message(),
              HasSubstr("PrintableString has invalid character 0x2a at index 1"));
  EXPECT_FALSE(DecodeString(CBS_ASN1_PRINTABLESTRING, "a@b").ok());
  EXPECT_FALSE(DecodeString(CBS_ASN1_PRINTABLESTRING, "a_b").ok());
  EXPECT_FALSE(DecodeString(CBS_ASN1_IA5STRING, "\x80").ok());
  EXPECT_THAT(DecodeString(CBS_ASN1_BMPSTRING, "abc").status().message(),
              HasSubstr("odd length"));
  EXPECT_FALSE(DecodeString(CBS_ASN1_BMPSTRING, std::string("\xd8\x00", 2)).ok());
  // Noncharacters are not characters (differential fuzzer finding: BoringSSL
  // refuses them in BMPString, UniversalString and UTF8String alike).
  EXPECT_FALSE(DecodeString(CBS_ASN1_BMPSTRING, std::string("\xff\xff", 2)).ok());
  EXPECT_FALSE(DecodeString(CBS_ASN1_BMPSTRING, std::string("\xfd\xd0", 2)).ok());
  EXPECT_TRUE(DecodeString(CBS_ASN1_BMPSTRING, std::string("\xfd\xcf", 2)).ok());
  EXPECT_FALSE(DecodeString(CBS_ASN1_UNIVERSALSTRING, std::string("\x00\x01\xff\xfe", 4)).ok());
  EXPECT_FALSE(DecodeString(CBS_ASN1_UTF8STRING, "a\xef\xbf\xbf").ok());
  EXPECT_TRUE(DecodeString(CBS_ASN1_UTF8STRING, "a\xef\xbf\xbd").ok());
  EXPECT_FALSE(
      DecodeString(CBS_ASN1_UNIVERSALSTRING, std::string("\x00\x11\x00\x00", 4))
          .ok());
  EXPECT_FALSE(DecodeString(CBS_ASN1_NUMERICSTRING, "12a").ok());
  EXPECT_FALSE(DecodeString(CBS_ASN1_VISIBLESTRING, "example").ok());
  EXPECT_THAT(DecodeString(CBS_ASN1_OCTETSTRING, "x").status().message(),
              HasSubstr("unsupported string type"));
}

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

TEST(TimeTest, UtcTimeUsesThe50YearPivot) {
  EXPECT_EQ(*ParseTime(CBS_ASN1_UTCTIME, "491231235959Z"),
            Utc(2049, 12, 31, 23, 59, 59));
  EXPECT_EQ(*ParseTime(CBS_ASN1_UTCTIME, "500101000000Z"),
            Utc(1950, 1, 1, 0, 0, 0));
  EXPECT_EQ(*ParseTime(CBS_ASN1_UTCTIME, "000229120000Z"),
            Utc(2000, 2, 29, 12, 0, 0));
}

TEST(TimeTest, GeneralizedTimeFrom2050) {
  EXPECT_EQ(*ParseTime(CBS_ASN1_GENERALIZEDTIME, "20500101000000Z"),
            Utc(2050, 1, 1, 0, 0, 0));
  EXPECT_EQ(*ParseTime(CBS_ASN1_GENERALIZEDTIME, "99991231235959Z"),
            Utc(9999, 12, 31, 23, 59, 59));
  EXPECT_THAT(ParseTime(CBS_ASN1_GENERALIZEDTIME, "20491231235959Z")
                  .status()
                  .message(),
              HasSubstr("before 2050"));
}

TEST(TimeTest, RejectsEveryNonRfc5280Form) {
  struct Case {
    unsigned tag;
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {CBS_ASN1_UTCTIME, "2401010000Z", "must be YYMMDDHHMMSSZ"},
      {CBS_ASN1_UTCTIME, "240101000000", "does not end in Z"},
      {CBS_ASN1_UTCTIME, "240101000000+0000", "time-zone offset"},
      {CBS_ASN1_UTCTIME, "240101000000-0500", "time-zone offset"},
      {CBS_ASN1_UTCTIME, "241301000000Z", "out of range"},
      {CBS_ASN1_UTCTIME, "240230000000Z", "out of range"},
      {CBS_ASN1_UTCTIME, "230229000000Z", "out of range"},
      {CBS_ASN1_UTCTIME, "240101240000Z", "out of range"},
      {CBS_ASN1_UTCTIME, "240101006000Z", "out of range"},
      {CBS_ASN1_UTCTIME, "240101000060Z", "out of range"},
      {CBS_ASN1_UTCTIME, "2401010000 0Z", "non-digit"},
      {CBS_ASN1_UTCTIME, "24010100000Z", "must be YYMMDDHHMMSSZ"},
      {CBS_ASN1_GENERALIZEDTIME, "20600101000000.5Z", "fractional seconds"},
      {CBS_ASN1_GENERALIZEDTIME, "206001010000Z", "must be YYYYMMDDHHMMSSZ"},
      {CBS_ASN1_GENERALIZEDTIME, "21000229000000Z", "out of range"},
      {CBS_ASN1_GENERALIZEDTIME, "20600101000000", "does not end in Z"},
      {CBS_ASN1_INTEGER, "20600101000000Z", "expected UTCTime"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<absl::Time> t = ParseTime(c.tag, c.text);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_THAT(t.status().message(), HasSubstr(c.error)) << c.text;
  }
  EXPECT_TRUE(ParseTime(CBS_ASN1_GENERALIZEDTIME, "24000229000000Z").ok());
}

}  // namespace
}  // namespace mailshake::x509::der
