#include "src/dist/split.h"

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mailshake::dist {

namespace {
constexpr int kMaxShards = 100000;
}  // namespace

absl::StatusOr<ShardId> ParseShardId(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  ShardId id;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &id.index) ||
      !absl::SimpleAtoi(parts[1], &id.count)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not I/N (share I, 0-based, of N)"));
  }
  if (id.count < 1 || id.count > kMaxShards) {
    return absl::InvalidArgumentError(absl::StrCat("N must be 1 to ", kMaxShards));
  }
  if (id.index < 0 || id.index >= id.count) {
    return absl::InvalidArgumentError(
        absl::StrCat("I must be 0 to ", id.count - 1, " (0-based), got ", id.index));
  }
  return id;
}

int64_t SplitEvenly(int64_t total, int index, int count) {
  return total / count + (index < total % count ? 1 : 0);
}

uint64_t ShareSeed(uint64_t seed, int index, int count) {
  if (count == 1) return seed;
  // SplitMix64's finalizer over the seed and the share's index.
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(index) + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

absl::StatusOr<engine::RunSpec> ShareOf(const engine::RunSpec& spec, ShardId id) {
  if (id.count < 1 || id.index < 0 || id.index >= id.count) {
    return absl::InvalidArgumentError(
        absl::StrCat("share ", id.index, "/", id.count, " does not exist"));
  }
  engine::RunSpec share = spec;
  if (id.count == 1) return share;
  if (spec.concurrency < id.count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--concurrency ", spec.concurrency, " cannot be split over ", id.count,
        " shares (each needs at least one session)"));
  }
  share.concurrency = static_cast<int>(SplitEvenly(spec.concurrency, id.index, id.count));
  share.threads = std::min(spec.threads, share.concurrency);
  share.rate = spec.rate / id.count;
  share.schedule_phase = static_cast<double>(id.index) / id.count;
  share.seed = ShareSeed(spec.seed, id.index, id.count);
  if (spec.handshakes > 0) {
    if (spec.handshakes < id.count) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--handshakes ", spec.handshakes, " cannot be split over ", id.count,
          " shares (each needs at least one)"));
    }
    share.handshakes = SplitEvenly(spec.handshakes, id.index, id.count);
  }
  if (!spec.sources.empty()) {
    const int64_t n = static_cast<int64_t>(spec.sources.size());
    if (n < id.count) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--source has ", n, " addresses, fewer than the ", id.count,
          " shares (shares never share a source address)"));
    }
    int64_t begin = 0;
    for (int i = 0; i < id.index; ++i) begin += SplitEvenly(n, i, id.count);
    share.sources.assign(spec.sources.begin() + begin,
                         spec.sources.begin() + begin + SplitEvenly(n, id.index, id.count));
  }
  return share;
}

}  // namespace mailshake::dist
