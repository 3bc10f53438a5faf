#include "src/smtp/line_assembler.h"

#include "gtest/gtest.h"

namespace mailshake {
namespace smtp {
namespace internal {
namespace {

using Result = LineAssembler::Result;

TEST(LineAssemblerTest, CrlfOnlyKeepsBareCrAndLfAsContent) {
  LineAssembler line(100, LineEnding::kCrlfOnly);
  absl::string_view in = "a\nb\rc\r\r\nrest";
  ASSERT_EQ(line.Feed(&in), Result::kLine);
  EXPECT_EQ(line.line(), "a\nb\rc\r");
  EXPECT_EQ(line.terminator_length(), 2u);
  EXPECT_EQ(in, "rest");
  EXPECT_EQ(line.Feed(&in), Result::kNeedMore);
  EXPECT_TRUE(line.in_progress());
  EXPECT_EQ(line.line(), "rest");
}

TEST(LineAssemblerTest, CrlfOrLfEndsOnBareLfAndRejectsBareCr) {
  LineAssembler line(100, LineEnding::kCrlfOrLf);
  absl::string_view in = "ab\ncd\rx";
  ASSERT_EQ(line.Feed(&in), Result::kLine);
  EXPECT_EQ(line.line(), "ab");
  EXPECT_EQ(line.terminator_length(), 1u);
  EXPECT_EQ(line.Feed(&in), Result::kBareCr);
  EXPECT_EQ(in, "x");
}

TEST(LineAssemblerTest, CrAtLimitFollowedByLfIsNotOverflow) {
  LineAssembler line(3, LineEnding::kCrlfOnly);
  absl::string_view in = "abc\r";
  EXPECT_EQ(line.Feed(&in), Result::kNeedMore);
  in = "\n";
  EXPECT_EQ(line.Feed(&in), Result::kLine);
  EXPECT_FALSE(line.overflowed());
}

TEST(LineAssemblerTest, OverflowStopsAtTheFirstExcessOctetAndStoresNoMore) {
  LineAssembler line(3, LineEnding::kCrlfOnly);
  absl::string_view in = "abcdefgh\r\nxy";
  EXPECT_EQ(line.Feed(&in), Result::kOverflow);
  EXPECT_EQ(in, "efgh\r\nxy");
  EXPECT_EQ(line.Feed(&in), Result::kLine);
  EXPECT_TRUE(line.overflowed());
  EXPECT_EQ(line.length(), 8u);
  EXPECT_EQ(line.line(), "abc");
  EXPECT_EQ(in, "xy");
  // The next line starts clean.
  EXPECT_EQ(line.Feed(&in), Result::kNeedMore);
  EXPECT_FALSE(line.overflowed());
  EXPECT_EQ(line.line(), "xy");
}

TEST(LineAssemblerTest, CrThatIsContentCanOverflow) {
  LineAssembler line(3, LineEnding::kCrlfOnly);
  absl::string_view in = "abc\rx";
  EXPECT_EQ(line.Feed(&in), Result::kOverflow);
  EXPECT_EQ(in, "x");
}

}  // namespace
}  // namespace internal
}  // namespace smtp
}  // namespace mailshake
