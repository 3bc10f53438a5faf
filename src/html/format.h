// Private to //src/html: how the page writes figures.

#ifndef MAILSHAKE_SRC_HTML_FORMAT_H_
#define MAILSHAKE_SRC_HTML_FORMAT_H_

#include <string>

namespace mailshake {
namespace html {
namespace internal {

// FormatLatency writes |ns| nanoseconds with three significant digits in the
// largest unit that keeps it at 1 or more: "850 ns", "12.3 µs", "1.05 ms",
// "2.50 s". Non-finite values give "-".
std::string FormatLatency(double ns);

// FormatLatencyTick is FormatLatency for axis ticks, which sit on round
// values: without trailing zeros ("10 µs", "1 ms", "2.5 s").
std::string FormatLatencyTick(double ns);

// FormatTick writes a round axis value without trailing zeros ("0", "2.5",
// "1000", "0.02").
std::string FormatTick(double v);

}  // namespace internal
}  // namespace html
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_HTML_FORMAT_H_
