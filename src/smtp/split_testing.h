// Test helper for //src/smtp: incremental parsers must give the same result
// however their input is cut into pieces.

#ifndef MAILSHAKE_SRC_SMTP_SPLIT_TESTING_H_
#define MAILSHAKE_SRC_SMTP_SPLIT_TESTING_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace mailshake {
namespace smtp {
namespace testing {

using Chunks = std::vector<absl::string_view>;

// AllSplits returns the ways to cut |input| that the tests try: whole; in two
// at every byte boundary; one byte at a time; and, for inputs up to
// |max_three_way| octets, in three at every pair of boundaries. Each entry
// concatenates back to |input|.
inline std::vector<Chunks> AllSplits(absl::string_view input,
                                     size_t max_three_way = 96) {
  std::vector<Chunks> out;
  out.push_back({input});
  const size_t n = input.size();
  for (size_t i = 0; i <= n; ++i) {
    out.push_back({input.substr(0, i), input.substr(i)});
  }
  Chunks bytes;
  for (size_t i = 0; i < n; ++i) bytes.push_back(input.substr(i, 1));
  out.push_back(bytes);
  if (n <= max_three_way) {
    for (size_t i = 1; i < n; ++i) {
      for (size_t j = i + 1; j < n; ++j) {
        out.push_back(
            {input.substr(0, i), input.substr(i, j - i), input.substr(j)});
      }
    }
  }
  return out;
}

// DescribeChunks renders a split for failure messages, e.g. [3|7].
inline std::string DescribeChunks(const Chunks& chunks) {
  std::string out = "[";
  for (size_t i = 0; i < chunks.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : "|", chunks[i].size());
  }
  return out + "]";
}

// CheckSameForAllSplits runs |run| on every split of |input| and returns an
// empty string if all runs agree with the unsplit one, or a description of
// the first disagreement. It returns the unsplit result in |*whole|.
inline std::string CheckSameForAllSplits(
    absl::string_view input,
    const std::function<std::string(const Chunks&)>& run,
    std::string* whole = nullptr) {
  const std::string expected = run({input});
  if (whole != nullptr) *whole = expected;
  for (const Chunks& chunks : AllSplits(input)) {
    const std::string got = run(chunks);
    if (got != expected) {
      return absl::StrCat("split ", DescribeChunks(chunks), " gave\n  ", got,
                          "\ninstead of\n  ", expected);
    }
  }
  return "";
}

}  // namespace testing
}  // namespace smtp
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_SMTP_SPLIT_TESTING_H_
