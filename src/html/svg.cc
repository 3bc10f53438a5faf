#include "src/html/svg.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/html/escape.h"

namespace mailshake {
namespace html {
namespace internal {

std::string Px(double v) {
  if (!std::isfinite(v)) v = 0;
  v = std::round(v * 10) / 10;
  if (v == 0) v = 0;  // no "-0.0"
  return absl::StrFormat("%.1f", v);
}

namespace {

std::string TitleElement(absl::string_view tooltip) {
  if (tooltip.empty()) return "";
  return absl::StrCat("<title>", Escape(tooltip), "</title>");
}

// Closes a mark element: "/>" without a tooltip, "><title>..</title></TAG>"
// with one.
std::string Close(absl::string_view tag, absl::string_view tooltip) {
  if (tooltip.empty()) return "/>\n";
  return absl::StrCat(">", TitleElement(tooltip), "</", tag, ">\n");
}

}  // namespace

Svg::Svg(int width, int height, absl::string_view label)
    : width_(width), height_(height) {
  absl::StrAppend(&out_, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"",
                  width, "\" height=\"", height, "\" viewBox=\"0 0 ", width,
                  " ", height, "\" role=\"img\" aria-label=\"", Escape(label),
                  "\">\n");
}

void Svg::BeginMarks() {
  if (in_marks_) return;
  out_.append("<g class=\"marks\">\n");
  in_marks_ = true;
}

void Svg::EndMarks() {
  if (!in_marks_) return;
  out_.append("</g>\n");
  in_marks_ = false;
}

void Svg::Line(double x1, double y1, double x2, double y2,
               absl::string_view cls) {
  absl::StrAppend(&out_, "<line class=\"", cls, "\" x1=\"", Px(x1), "\" y1=\"",
                  Px(y1), "\" x2=\"", Px(x2), "\" y2=\"", Px(y2), "\"/>\n");
}

void Svg::Rect(double x, double y, double w, double h, absl::string_view cls,
               absl::string_view tooltip) {
  if (w < 0) {
    x += w;
    w = -w;
  }
  if (h < 0) {
    y += h;
    h = -h;
  }
  absl::StrAppend(&out_, "<rect class=\"", cls, "\" x=\"", Px(x), "\" y=\"",
                  Px(y), "\" width=\"", Px(w), "\" height=\"", Px(h), "\"",
                  Close("rect", tooltip));
}

void Svg::Circle(double x, double y, double r, absl::string_view cls,
                 absl::string_view tooltip) {
  absl::StrAppend(&out_, "<circle class=\"", cls, "\" cx=\"", Px(x),
                  "\" cy=\"", Px(y), "\" r=\"", Px(r), "\"",
                  Close("circle", tooltip));
}

void Svg::Polyline(const std::vector<std::pair<double, double>>& points,
                   absl::string_view cls, absl::string_view tooltip) {
  if (points.empty()) return;
  std::string d;
  double last_x = 0, last_y = 0;
  size_t kept = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& [x, y] = points[i];
    const bool last = i + 1 == points.size();
    if (kept > 0 && !last && std::abs(x - last_x) < 0.5 &&
        std::abs(y - last_y) < 0.5) {
      continue;
    }
    absl::StrAppend(&d, kept == 0 ? "" : " ", Px(x), ",", Px(y));
    last_x = x;
    last_y = y;
    ++kept;
  }
  absl::StrAppend(&out_, "<polyline class=\"", cls, "\" points=\"", d, "\"",
                  Close("polyline", tooltip));
}

void Svg::Text(double x, double y, absl::string_view text,
               absl::string_view cls, absl::string_view anchor) {
  absl::StrAppend(&out_, "<text class=\"", cls, "\" x=\"", Px(x), "\" y=\"",
                  Px(y), "\" text-anchor=\"", anchor, "\">", Escape(text),
                  "</text>\n");
}

void Svg::XAxis(const Plot& plot, const Scale& scale,
                const std::vector<Tick>& ticks, absl::string_view title) {
  for (const Tick& t : ticks) {
    const double x = scale.Map(t.value);
    if (x < plot.left - 0.5 || x > plot.right + 0.5) continue;
    Line(x, plot.top, x, plot.bottom, "grid");
    Line(x, plot.bottom, x, plot.bottom + 4, "axis");
    Text(x, plot.bottom + 16, t.label, "tick", "middle");
  }
  Line(plot.left, plot.bottom, plot.right, plot.bottom, "axis");
  Text((plot.left + plot.right) / 2, plot.bottom + 34, title, "axis-title",
       "middle");
}

void Svg::YAxis(const Plot& plot, const Scale& scale,
                const std::vector<Tick>& ticks, absl::string_view title) {
  for (const Tick& t : ticks) {
    const double y = scale.Map(t.value);
    if (y < plot.top - 0.5 || y > plot.bottom + 0.5) continue;
    Line(plot.left, y, plot.right, y, "grid");
    Line(plot.left - 4, y, plot.left, y, "axis");
    Text(plot.left - 7, y + 4, t.label, "tick", "end");
  }
  Line(plot.left, plot.top, plot.left, plot.bottom, "axis");
  Text(plot.left, plot.top - 8, title, "axis-title", "start");
}

std::string Svg::Finish() {
  EndMarks();
  out_.append("</svg>\n");
  return std::move(out_);
}

}  // namespace internal
}  // namespace html
}  // namespace mailshake
