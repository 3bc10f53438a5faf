#include "src/html/parts.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "src/html/escape.h"

namespace mailshake {
namespace html {
namespace internal {

std::string SeriesClass(size_t i) { return absl::StrCat("s", i % kPalette); }

std::string TruncateLabel(absl::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<uint8_t>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars - 1) {
      // Is there more than one code point left?
      size_t rest = 0;
      for (size_t k = i; k < text.size(); ++k) {
        if ((static_cast<uint8_t>(text[k]) & 0xC0) != 0x80) ++rest;
      }
      if (rest > 1) return absl::StrCat(text.substr(0, i), "…");
      return std::string(text);
    }
    ++chars;
  }
  return std::string(text);
}

void Legend(const std::vector<std::string>& labels, std::string* out) {
  out->append("<ul class=\"legend\">");
  for (size_t i = 0; i < labels.size() && i < kMaxOverlaid; ++i) {
    absl::StrAppend(out, "<li><svg width=\"14\" height=\"10\" aria-hidden=\"true\"><rect class=\"",
                    SeriesClass(i), "\" x=\"0\" y=\"0\" width=\"14\" height=\"10\"/></svg>",
                    Escape(labels[i]), "</li>");
  }
  out->append("</ul>\n");
  if (labels.size() > kMaxOverlaid) {
    absl::StrAppend(out, "<p class=\"note\">The charts overlay the first ", kMaxOverlaid,
                    " of ", labels.size(), " series; the tables list all of them.</p>\n");
  }
}

void Table(const std::vector<std::vector<std::string>>& rows, size_t first_numeric,
           std::string* out) {
  out->append("<div class=\"data\"><table>\n");
  for (size_t r = 0; r < rows.size(); ++r) {
    out->append(r == 0 ? "<thead><tr>" : "<tr>");
    for (size_t c = 0; c < rows[r].size(); ++c) {
      const char* tag = r == 0 ? "th" : "td";
      absl::StrAppend(out, "<", tag, c >= first_numeric ? " class=\"num\"" : "", ">",
                      Escape(rows[r][c]), "</", tag, ">");
    }
    out->append(r == 0 ? "</tr></thead><tbody>\n" : "</tr>\n");
  }
  out->append("</tbody></table></div>\n");
}

void NoData(absl::string_view what, std::string* out) {
  absl::StrAppend(out, "<p class=\"nodata\">", Escape(what), "</p>\n");
}

void Figure(const std::string& svg, absl::string_view caption, const std::string& table,
            std::string* out) {
  absl::StrAppend(out, "<div class=\"figure\"><div>", svg, "<p class=\"caption\">",
                  Escape(caption), "</p></div>", table, "</div>\n");
}

}  // namespace internal
}  // namespace html
}  // namespace mailshake
