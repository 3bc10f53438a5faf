// Internal to //src/smtp: assembles one protocol line at a time from a byte
// stream that arrives in arbitrary pieces. Shared by the reply parser (client
// side), the server's command reader and its DATA reader, so that the three
// agree on what ends a line and how long a line may grow.

#ifndef MAILSHAKE_SRC_SMTP_LINE_ASSEMBLER_H_
#define MAILSHAKE_SRC_SMTP_LINE_ASSEMBLER_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace mailshake {
namespace smtp {
namespace internal {

// LineEnding selects which byte sequences terminate a line.
enum class LineEnding {
  // Only CR LF ends a line. A CR not followed by LF and a bare LF are ordinary
  // content bytes (the caller decides what to make of them). This is what a
  // server must do to be immune to "SMTP smuggling" (CVE-2023-51766).
  kCrlfOnly,
  // CR LF or a bare LF ends a line; a CR followed by anything other than LF
  // is an error (kBareCr). This is the tolerant client-side reading.
  kCrlfOrLf,
};

class LineAssembler {
 public:
  enum class Result {
    // Every byte offered was consumed and no line is complete yet.
    kNeedMore,
    // A line is complete: line() holds its content without the terminator.
    kLine,
    // The content just grew past max_content(). Only max_content() bytes are
    // stored; Feed may be called again to skip to the end of the line, which
    // is then reported as kLine with overflowed() true.
    kOverflow,
    // kCrlfOrLf only: a CR was followed by a byte other than LF. The offending
    // byte is not consumed.
    kBareCr,
  };

  // Lines may hold at most |max_content| octets, terminator excluded.
  LineAssembler(size_t max_content, LineEnding ending);

  // Consumes bytes from the front of |*in|, stopping right after the end of
  // one line, at the byte that made the line overflow, or at a bare CR error.
  Result Feed(absl::string_view* in);

  // line returns the stored content of the line completed by the last Feed
  // (or assembled so far). It is truncated to max_content() when overflowed().
  absl::string_view line() const { return buffer_; }

  // length returns the number of content octets seen in the current line,
  // including those not stored because of overflow.
  size_t length() const { return length_; }
  bool overflowed() const { return length_ > max_content_; }
  // terminator_length returns the size of the completed line's terminator
  // (2 for CR LF, 1 for a bare LF), 0 while the line is incomplete.
  size_t terminator_length() const { return terminator_length_; }
  // in_progress returns true if bytes of an incomplete line are held.
  bool in_progress() const {
    return !complete_ && (length_ != 0 || cr_pending_);
  }

  size_t max_content() const { return max_content_; }
  // set_max_content changes the limit for the next line. Call only between
  // lines (after kLine, or before the first Feed).
  void set_max_content(size_t max_content);

  // Clear forgets the line, complete or not, so that the next Feed starts a
  // new one.
  void Clear();

 private:
  // Appends |bytes| as content, storing only what fits. Returns false if the
  // line went over the limit with these bytes for the first time.
  bool Append(absl::string_view bytes);

  size_t max_content_;
  LineEnding ending_;
  std::string buffer_;
  size_t length_ = 0;
  size_t terminator_length_ = 0;
  bool cr_pending_ = false;
  bool complete_ = false;
};

}  // namespace internal
}  // namespace smtp
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_SMTP_LINE_ASSEMBLER_H_
