#include "src/html/escape.h"

#include <cstdint>

namespace mailshake {
namespace html {
namespace internal {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// SequenceLength returns the length of the well-formed UTF-8 sequence
// starting at |text[i]| (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), or 0 if there is none.
size_t SequenceLength(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

std::string Escape(absl::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t i = 0;
  while (i < text.size()) {
    const size_t n = SequenceLength(text, i);
    if (n == 0) {
      out.append(kReplacement);
      ++i;
      continue;
    }
    if (n == 1) {
      const char c = text[i];
      switch (c) {
        case '&': out.append("&amp;"); break;
        case '<': out.append("&lt;"); break;
        case '>': out.append("&gt;"); break;
        case '"': out.append("&quot;"); break;
        case '\'': out.append("&#39;"); break;
        case '\t':
        case '\n':
        case '\r': out.push_back(c); break;
        default:
          if (static_cast<uint8_t>(c) < 0x20 || c == 0x7F) {
            out.append(kReplacement);
          } else {
            out.push_back(c);
          }
      }
    } else if (n == 2 && static_cast<uint8_t>(text[i]) == 0xC2 &&
               static_cast<uint8_t>(text[i + 1]) < 0xA0) {
      out.append(kReplacement);  // C1 controls U+0080..U+009F
    } else {
      out.append(text.data() + i, n);
    }
    i += n;
  }
  return out;
}

}  // namespace internal
}  // namespace html
}  // namespace mailshake
