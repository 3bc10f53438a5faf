#include "src/html/escape.h"

#include <string>

#include "gtest/gtest.h"

namespace mailshake {
namespace html {
namespace internal {
namespace {

TEST(EscapeTest, MarkupCharactersBecomeReferences) {
  EXPECT_EQ(Escape("</script><img src=x onerror=alert(1)>"),
            "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;");
  EXPECT_EQ(Escape("a & b \"c\" 'd'"), "a &amp; b &quot;c&quot; &#39;d&#39;");
  EXPECT_EQ(Escape("&amp;"), "&amp;amp;");
}

TEST(EscapeTest, KeepsValidUtf8AndWhitespace) {
  EXPECT_EQ(Escape("µs — ✓ 𝄞\tx\ny"), "µs — ✓ 𝄞\tx\ny");
}

TEST(EscapeTest, ReplacesControlsAndInvalidUtf8) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(Escape(std::string("a\0b", 3)), "a" + r + "b");
  EXPECT_EQ(Escape("\x1b[31m"), r + "[31m");
  EXPECT_EQ(Escape("\x7f"), r);
  EXPECT_EQ(Escape("\xC2\x85"), r);              // C1 control NEL
  EXPECT_EQ(Escape("\xC0\xBC"), r + r);          // overlong '<'
  EXPECT_EQ(Escape("\xED\xA0\x80"), r + r + r);  // surrogate
  EXPECT_EQ(Escape("\xF4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(Escape("ok\xE2\x9C"), "ok" + r + r);  // truncated sequence
}

TEST(EscapeTest, OutputNeverHoldsMarkupWhateverTheInput) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string out = Escape(all + all);
  EXPECT_EQ(out.find('<'), std::string::npos);
  EXPECT_EQ(out.find('>'), std::string::npos);
  EXPECT_EQ(out.find('"'), std::string::npos);
  EXPECT_EQ(out.find('\''), std::string::npos);
}

}  // namespace
}  // namespace internal
}  // namespace html
}  // namespace mailshake
