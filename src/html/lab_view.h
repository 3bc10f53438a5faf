// Private to //src/html: the page's two views of the cipher lab, drawn from
// src/lab's own figures (lab::SampleSetFromResults, lab::Summarize,
// lab::Compare): no statistics are computed here.

#ifndef MAILSHAKE_SRC_HTML_LAB_VIEW_H_
#define MAILSHAKE_SRC_HTML_LAB_VIEW_H_

#include <string>
#include <vector>

#include "src/html/html.h"

namespace mailshake {
namespace html {
namespace internal {

// RunLegend appends the legend of the runs' labels when there are several
// runs (one run needs none).
void RunLegend(const std::vector<Run>& runs, std::string* out);

// HasMatrix is true when some run holds more than one scenario or more than
// one trial of a scenario: then the page has a matrix view.
bool HasMatrix(const std::vector<Run>& runs);

// MatrixSection appends the matrix view of |runs|: for each of handshakes per
// client CPU-second, handshakes/s, server CPU per handshake and the TLS
// phase's p50 and p99, one chart with a row per scenario (runs overlaid) of
// the median over trials and its 95% interval as a whisker, rows sorted by
// cost (fewest handshakes per client CPU-second first), and its table.
// Problems go to |notes|.
void MatrixSection(const std::vector<Run>& runs, std::vector<std::string>* notes,
                   std::string* out);

// CompareSection appends the compare view of |view| (nothing when it holds
// neither a comparison nor a reason): the verdict and regressions, then for
// each headline metric (and any other that changed significantly) a chart
// with a row per scenario of the Hodges-Lehmann shift in percent with its
// interval, coloured by verdict, over the ±threshold band, and its table
// (medians with intervals per side, change, p and Holm-adjusted p); then the
// geometric means, what one side lacks and the footer.
void CompareSection(const CompareView& view, std::string* out);

}  // namespace internal
}  // namespace html
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_HTML_LAB_VIEW_H_
