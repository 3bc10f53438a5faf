// Private to //src/html: the shell of every page (the report page and the
// probe page). The page works offline and makes no request: its style and its
// one small script are inline and allowed by hash in a
// Content-Security-Policy that forbids every network source. The script
// records script errors and policy violations into the element with id
// "page-errors" and, once loaded, sets data-charts and data-charts-drawn on
// <body> (html.h's kChartsAttribute and kChartsDrawnAttribute).

#ifndef MAILSHAKE_SRC_HTML_SHELL_H_
#define MAILSHAKE_SRC_HTML_SHELL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mailshake {
namespace html {
namespace internal {

// Page returns the whole document: the head (policy, style, script) with
// |title| (escaped) and |body| (trusted markup) as the body's contents.
std::string Page(absl::string_view title, absl::string_view body);

}  // namespace internal
}  // namespace html
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_HTML_SHELL_H_
