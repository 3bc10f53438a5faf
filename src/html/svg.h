// Private to //src/html: a small writer of inline SVG charts. Every piece of
// text it is given is escaped; coordinates are written with one decimal.

#ifndef MAILSHAKE_SRC_HTML_SVG_H_
#define MAILSHAKE_SRC_HTML_SVG_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "src/html/scale.h"

namespace mailshake {
namespace html {
namespace internal {

// Tick is one labelled position on an axis, in data units.
struct Tick {
  double value = 0;
  std::string label;
};

// Plot is the rectangle, in pixels, where a chart's marks go.
struct Plot {
  double left = 0, top = 0, right = 0, bottom = 0;
};

// Svg accumulates one <svg class="chart"> element. Marks (the data) go
// between BeginMarks and EndMarks into a <g class="marks">, which the page's
// self-check measures to tell that a chart drew; axes, grid and labels go
// outside it.
class Svg {
 public:
  // |label| is the chart's accessible name (aria-label).
  Svg(int width, int height, absl::string_view label);

  int width() const { return width_; }
  int height() const { return height_; }

  void BeginMarks();
  void EndMarks();

  // Each |cls| is a space-separated list of the page's CSS classes (trusted:
  // written by this package). |tooltip|, when not empty, becomes a <title>
  // child that the browser shows on hover.
  void Line(double x1, double y1, double x2, double y2, absl::string_view cls);
  void Rect(double x, double y, double w, double h, absl::string_view cls,
            absl::string_view tooltip = "");
  void Circle(double x, double y, double r, absl::string_view cls,
              absl::string_view tooltip = "");
  // Polyline through |points| (pixels), with consecutive points closer than
  // half a pixel in both directions merged (keeping the later one).
  void Polyline(const std::vector<std::pair<double, double>>& points,
                absl::string_view cls, absl::string_view tooltip = "");
  // |anchor| is "start", "middle" or "end".
  void Text(double x, double y, absl::string_view text, absl::string_view cls,
            absl::string_view anchor = "start");

  // XAxis draws the bottom axis of |plot| with |ticks| mapped by |scale|,
  // vertical grid lines and |title| under it. YAxis does the same on the
  // left, with horizontal grid lines.
  void XAxis(const Plot& plot, const Scale& scale,
             const std::vector<Tick>& ticks, absl::string_view title);
  void YAxis(const Plot& plot, const Scale& scale,
             const std::vector<Tick>& ticks, absl::string_view title);

  // Finish closes the element and returns its markup.
  std::string Finish();

 private:
  std::string out_;
  int width_, height_;
  bool in_marks_ = false;
};

// Px formats a coordinate with one decimal ("12.5", "-0.0" avoided).
std::string Px(double v);

}  // namespace internal
}  // namespace html
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_HTML_SVG_H_
