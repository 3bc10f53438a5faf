#include "src/smtp/line_assembler.h"

#include <algorithm>

namespace mailshake {
namespace smtp {
namespace internal {

// The buffer is not reserved up front: it grows with the lines a connection
// actually sends (never past max_content octets stored) and keeps its
// capacity between lines, so an idle connection, or one whose lines fit the
// string's inline storage, holds no line buffer at all.
LineAssembler::LineAssembler(size_t max_content, LineEnding ending)
    : max_content_(max_content), ending_(ending) {}

void LineAssembler::set_max_content(size_t max_content) {
  max_content_ = max_content;
}

void LineAssembler::Clear() {
  buffer_.clear();
  length_ = 0;
  terminator_length_ = 0;
  cr_pending_ = false;
  complete_ = false;
}

bool LineAssembler::Append(absl::string_view bytes) {
  const bool was_over = overflowed();
  if (length_ < max_content_) {
    const size_t room = max_content_ - length_;
    buffer_.append(bytes.data(), std::min(room, bytes.size()));
  }
  length_ += bytes.size();
  return was_over || !overflowed();
}

LineAssembler::Result LineAssembler::Feed(absl::string_view* in) {
  if (complete_) Clear();
  while (!in->empty()) {
    if (cr_pending_) {
      if (in->front() == '\n') {
        in->remove_prefix(1);
        cr_pending_ = false;
        complete_ = true;
        terminator_length_ = 2;
        return Result::kLine;
      }
      if (ending_ == LineEnding::kCrlfOrLf) return Result::kBareCr;
      cr_pending_ = false;
      if (!Append("\r")) return Result::kOverflow;
      continue;
    }
    size_t run = ending_ == LineEnding::kCrlfOnly ? in->find('\r')
                                                  : in->find_first_of("\r\n");
    if (run == absl::string_view::npos) run = in->size();
    if (run > 0) {
      // Stop at the byte that first takes the line over the limit, so that a
      // caller treating overflow as an error has consumed no more than that.
      if (!overflowed() && length_ + run > max_content_) {
        run = max_content_ - length_ + 1;
      }
      const bool ok = Append(in->substr(0, run));
      in->remove_prefix(run);
      if (!ok) return Result::kOverflow;
      continue;
    }
    const char c = in->front();
    in->remove_prefix(1);
    if (c == '\r') {
      cr_pending_ = true;
      continue;
    }
    // A bare LF, which only kCrlfOrLf searches for.
    complete_ = true;
    terminator_length_ = 1;
    return Result::kLine;
  }
  return Result::kNeedMore;
}

}  // namespace internal
}  // namespace smtp
}  // namespace mailshake
