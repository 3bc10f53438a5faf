// SplitInput reads a fuzz input as a few control octets followed by the byte
// stream under test, so that libFuzzer mutates where the stream is cut into
// reads (and a harness's options) along with the stream itself. The SMTP
// harnesses use it to check that their parsers give the same result however
// the network delivers the bytes.
//
// Layout:
//   octet 0       flags, for the harness to interpret (options, limits)
//   octet 1       n: the low three bits give the number (0 to 7) of size
//                 octets that follow
//   n octets      chunk sizes, used in turn and cyclically: octet b gives a
//                 chunk of 1 + (b & 0x7f) stream octets, marked if b & 0x80
//   the rest      the stream
// With no size octets the stream is one chunk. A missing header octet reads
// as zero, so every input is valid.

#ifndef MAILSHAKE_FUZZ_SPLIT_INPUT_H_
#define MAILSHAKE_FUZZ_SPLIT_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"

namespace mailshake {
namespace fuzz {

struct Chunk {
  absl::string_view bytes;
  // marked carries the size octet's top bit: a harness event that happens
  // before this chunk is delivered (e.g. the TLS handshake completing).
  bool marked = false;
};

class SplitInput {
 public:
  SplitInput(const uint8_t* data, size_t size) {
    absl::string_view in(reinterpret_cast<const char*>(data), size);
    flags_ = TakeOctet(&in);
    const size_t count = TakeOctet(&in) & 7;
    for (size_t i = 0; i < count && !in.empty(); ++i) {
      sizes_[size_count_++] = TakeOctet(&in);
    }
    stream_ = in;
  }

  uint8_t flags() const { return flags_; }
  absl::string_view stream() const { return stream_; }

  // Chunks returns the stream cut as the header says. The chunks are
  // non-empty and concatenate back to stream().
  std::vector<Chunk> Chunks() const {
    std::vector<Chunk> out;
    ForEachChunk([&out](const Chunk& chunk) { out.push_back(chunk); });
    return out;
  }

  // ForEachChunk calls |f| with each chunk of Chunks() in turn, without
  // allocating, and returns how many there were.
  template <typename F>
  size_t ForEachChunk(F&& f) const {
    absl::string_view rest = stream_;
    if (size_count_ == 0) {
      if (rest.empty()) return 0;
      f(Chunk{rest, false});
      return 1;
    }
    size_t i = 0;
    for (; !rest.empty(); ++i) {
      const uint8_t octet = sizes_[i % size_count_];
      const size_t size = 1 + (octet & 0x7f);
      const Chunk chunk{rest.substr(0, size), (octet & 0x80) != 0};
      rest.remove_prefix(chunk.bytes.size());
      f(chunk);
    }
    return i;
  }

  // chunk_count returns Chunks().size() without cutting the stream.
  size_t chunk_count() const {
    if (stream_.empty()) return 0;
    if (size_count_ == 0) return 1;
    size_t per_cycle = 0;
    for (size_t i = 0; i < size_count_; ++i) per_cycle += 1 + (sizes_[i] & 0x7f);
    size_t rest = stream_.size() % per_cycle;
    size_t count = stream_.size() / per_cycle * size_count_;
    for (size_t i = 0; rest > 0; ++i) {
      rest -= std::min<size_t>(rest, 1 + (sizes_[i] & 0x7f));
      ++count;
    }
    return count;
  }

 private:
  static uint8_t TakeOctet(absl::string_view* in) {
    if (in->empty()) return 0;
    const uint8_t octet = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    return octet;
  }

  uint8_t flags_ = 0;
  uint8_t sizes_[7] = {};
  size_t size_count_ = 0;
  absl::string_view stream_;
};

}  // namespace fuzz
}  // namespace mailshake

#endif  // MAILSHAKE_FUZZ_SPLIT_INPUT_H_
