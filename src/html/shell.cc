// The page shell every mailshake HTML page shares: head, Content-Security-
// Policy, style and the self-check script.

#include "src/html/shell.h"

#include <openssl/sha.h>

#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "src/html/escape.h"

namespace mailshake {
namespace html {
namespace internal {
namespace {

// The page's only script. It records script errors and policy violations
// into the page (so a headless browser's DOM dump shows them) and, once
// loaded, counts the charts whose marks have a non-empty bounding box.
constexpr absl::string_view kScript = R"JS(
(function () {
  var errors = [];
  function show() {
    var box = document.getElementById('page-errors');
    if (!box || errors.length === 0) return;
    box.textContent = errors.join('\n');
    box.hidden = false;
  }
  window.addEventListener('error', function (e) {
    errors.push('script error: ' + e.message);
    show();
  });
  document.addEventListener('securitypolicyviolation', function (e) {
    errors.push('blocked by the page policy: ' + e.violatedDirective + ' ' + e.blockedURI);
    show();
  });
  window.addEventListener('load', function () {
    var charts = document.querySelectorAll('svg.chart'), drawn = 0;
    for (var i = 0; i < charts.length; i++) {
      var marks = charts[i].querySelector('g.marks');
      if (!marks || marks.childElementCount === 0) continue;
      var box = marks.getBBox();
      if (box.width > 0 || box.height > 0) drawn++;
    }
    document.body.setAttribute('data-charts', String(charts.length));
    document.body.setAttribute('data-charts-drawn', String(drawn));
    show();
  });
})();
)JS";

constexpr absl::string_view kStyle = R"CSS(
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; padding: 16px 24px 48px; max-width: 1400px; color: #1d1d1f; background: #fff; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
p.note, .caption { color: #555; font-size: 12.5px; margin: 4px 0; max-width: 70em; }
nav a { margin-right: 14px; }
table { border-collapse: collapse; font-size: 12.5px; }
th, td { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f6f6f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.env td:first-child { color: #555; }
.figure { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; margin: 8px 0 20px; }
.figure > div:first-child { max-width: 880px; }
.data { max-height: 360px; overflow: auto; border: 1px solid #eee; }
pre { background: #f6f6f6; padding: 8px; font-size: 12px; overflow: auto; max-height: 320px; }
#page-errors { background: #fdecea; color: #8a1c12; }
.nodata { color: #8a5a00; background: #fff6e0; padding: 6px 10px; display: inline-block; }
ul.legend { list-style: none; padding: 0; margin: 4px 0 8px; display: flex; flex-wrap: wrap; gap: 4px 16px; }
ul.legend svg { vertical-align: -2px; margin-right: 4px; }
svg.chart { background: #fff; overflow: visible; }
svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: #333; }
svg text.axis-title { font-weight: 600; fill: #444; }
svg text.row { fill: #222; }
.grid { stroke: #eee; stroke-width: 1; }
.axis { stroke: #888; stroke-width: 1; }
.line { fill: none; stroke-width: 1.8; stroke-linejoin: round; }
.thin { stroke-width: 1.2; }
.whisker { stroke-width: 2; }
.zero { stroke: #555; stroke-width: 1; }
.band { fill: #f1f1f1; stroke: none; }
.target { fill: none; stroke: #222; stroke-width: 1.5; stroke-dasharray: 5 3; }
.ok { fill: #59a14f; stroke: #59a14f; }
.fail { fill: #e15759; stroke: #e15759; }
.worse { fill: #c0392b; stroke: #c0392b; }
.better { fill: #2e8b57; stroke: #2e8b57; }
.same { fill: #8c8c8c; stroke: #8c8c8c; }
.s0 { stroke: #4e79a7; fill: #4e79a7; } .s1 { stroke: #f28e2b; fill: #f28e2b; }
.s2 { stroke: #76b7b2; fill: #76b7b2; } .s3 { stroke: #b07aa1; fill: #b07aa1; }
.s4 { stroke: #59a14f; fill: #59a14f; } .s5 { stroke: #edc948; fill: #edc948; }
.s6 { stroke: #e15759; fill: #e15759; } .s7 { stroke: #9c755f; fill: #9c755f; }
.s8 { stroke: #ff9da7; fill: #ff9da7; } .s9 { stroke: #bab0ac; fill: #bab0ac; }
.line.s0, .line.s1, .line.s2, .line.s3, .line.s4, .line.s5, .line.s6, .line.s7, .line.s8, .line.s9 { fill: none; }
.f0 { fill: #e15759; } .f1 { fill: #f28e2b; } .f2 { fill: #b07aa1; } .f3 { fill: #9c755f; }
.f4 { fill: #edc948; } .f5 { fill: #76b7b2; } .f6 { fill: #ff9da7; } .f7 { fill: #bab0ac; }
.sev-ok { color: #2e7d32; } .sev-info { color: #555; } .sev-warning { color: #a15c00; }
.sev-problem { color: #b71c1c; font-weight: 600; } .sev-unknown { color: #6a1b9a; }
.verdict { font-size: 18px; font-weight: 700; padding: 4px 10px; display: inline-block; }
.verdict.pass { background: #e8f5e9; color: #1b5e20; } .verdict.fail { background: #fdecea; color: #8a1c12; }
.verdict.unknown { background: #f3e5f5; color: #4a148c; }
.lv-good { fill: #2e8b57; } .lv-sufficient { fill: #76b7b2; } .lv-phase-out { fill: #edc948; }
.lv-insufficient { fill: #e15759; }
details > summary { cursor: pointer; }
)CSS";

std::string CspHash(absl::string_view text) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(text.data()), text.size(), digest);
  return absl::StrCat(
      "'sha256-",
      absl::Base64Escape(absl::string_view(reinterpret_cast<char*>(digest),
                                           sizeof(digest))),
      "'");
}

}  // namespace

std::string Page(absl::string_view title, absl::string_view body) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src ",
      CspHash(kScript), "; style-src ", CspHash(kStyle),
      "; img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; "
      "form-action 'none'\">\n",
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
      "<meta name=\"referrer\" content=\"no-referrer\">\n",
      "<title>", Escape(title), "</title>\n",
      "<style>", kStyle, "</style>\n<script>", kScript, "</script>\n</head>\n<body>\n", body,
      "</body>\n</html>\n");
}

}  // namespace internal
}  // namespace html
}  // namespace mailshake
