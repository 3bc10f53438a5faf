// The probe page: what `mailshake probe --html FILE` writes. One
// self-contained page (the same shell, policy and self-check as the report
// page, see html.h): the chosen policy's verdict first, then every policy's
// checks with their levels, TLS-RPT result types and evidence; a chart of the
// accepted cipher suites per TLS version by NCSC-NL level and one of the
// findings by severity, each with its data as a table; then every finding
// with its evidence. Every string from the server (banner, transcripts,
// certificate names) is escaped.
//
//   probe::Outputs out = ...;  // as `mailshake probe` assembles it
//   std::string page = html::RenderProbePage(out);

#ifndef MAILSHAKE_SRC_HTML_PROBE_PAGE_H_
#define MAILSHAKE_SRC_HTML_PROBE_PAGE_H_

#include <string>

#include "src/probe/render.h"

namespace mailshake {
namespace html {

// RenderProbePage returns the page for |outputs|. It never fails; a probe
// without a scan shows "no data" where the scan's chart would be.
std::string RenderProbePage(const probe::Outputs& outputs);

}  // namespace html
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_HTML_PROBE_PAGE_H_
