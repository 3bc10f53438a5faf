// Private to //src/html: the pieces every section of the page is built from
// (legends, data tables, figures, "no data" notes) and the chart constants
// they share.

#ifndef MAILSHAKE_SRC_HTML_PARTS_H_
#define MAILSHAKE_SRC_HTML_PARTS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace mailshake {
namespace html {
namespace internal {

// Series colours: the page's CSS classes s0 … s9.
inline constexpr int kPalette = 10;
// Charts that overlay series draw at most this many; their tables list all.
inline constexpr size_t kMaxOverlaid = kPalette;
// Charts with one row per label (bars, dots with whiskers): the height of a
// row and the room for the labels left of the plot, in pixels.
inline constexpr double kRowHeight = 20;
inline constexpr double kLabelWidth = 250;

// SeriesClass returns the CSS class of the |i|th series ("s0" … "s9", then
// again from "s0").
std::string SeriesClass(size_t i);

// TruncateLabel shortens |text| to at most |max_chars| code points, ending
// with an ellipsis when it cut.
std::string TruncateLabel(absl::string_view text, size_t max_chars);

// Legend appends a legend of |labels| in series colours (the first
// kMaxOverlaid, with a note when there are more) to |out|.
void Legend(const std::vector<std::string>& labels, std::string* out);

// Table appends rows of cells, the first row as the header. Cells are
// escaped; columns from |first_numeric| on are right-aligned.
void Table(const std::vector<std::vector<std::string>>& rows, size_t first_numeric,
           std::string* out);

// NoData appends |what| as a visible "nothing to draw" note.
void NoData(absl::string_view what, std::string* out);

// Figure appends a chart (|svg|, trusted markup), its |caption| and its data
// |table| (trusted markup, from Table) side by side.
void Figure(const std::string& svg, absl::string_view caption, const std::string& table,
            std::string* out);

}  // namespace internal
}  // namespace html
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_HTML_PARTS_H_
