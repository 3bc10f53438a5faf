// Private to //src/html: making untrusted text safe inside the page.

#ifndef MAILSHAKE_SRC_HTML_ESCAPE_H_
#define MAILSHAKE_SRC_HTML_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mailshake {
namespace html {
namespace internal {

// Escape returns |text| made safe as HTML (or inline SVG) text content and as
// a double- or single-quoted attribute value: '&', '<', '>', '"' and '\''
// become character references, and every byte that is not part of valid
// UTF-8, every C0 control other than tab, LF and CR, DEL and the C1 controls
// become U+FFFD. The result never holds markup, so a string from a result
// file (which may come from anywhere) cannot open an element, end a <script>
// or <style>, or leave an attribute. It is not safe inside <script>/<style>
// bodies or unquoted attributes; the page never puts data there.
std::string Escape(absl::string_view text);

}  // namespace internal
}  // namespace html
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_HTML_ESCAPE_H_
