#ifndef MAILSHAKE_SRC_DIST_SPLIT_H_
#define MAILSHAKE_SRC_DIST_SPLIT_H_

// Split rules: one run specification as N shares that, run side by side
// (other processes, other machines) from one start instant, load the target
// as the whole spec would.
//
//   absl::StatusOr<ShardId> id = ParseShardId("2/8");
//   absl::StatusOr<engine::RunSpec> mine = ShareOf(spec, *id);
//
// - Closed loop: --concurrency is split, the remainder spread over the first
//   shares, so the shares' sessions in flight sum to the spec's exactly.
// - Open loop: each share runs rate/N (its in-flight cap is split as
//   concurrency is). Poisson shares draw from independent streams seeded by
//   ShareSeed (N independent Poisson streams of R/N sum to one of R);
//   constant shares are phase-shifted by k/N of a gap so their arrivals
//   interleave into one evenly spaced schedule.
// - --handshakes is split exactly (remainder spread), --duration and
//   --warmup are the same for every share.
// - --source addresses are cut into N contiguous, disjoint ranges.
// - A share's --threads is lowered to its concurrency when that is smaller.

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/engine/engine.h"

namespace mailshake::dist {

// ShardId names share |index| (0-based) of |count|.
struct ShardId {
  int index = 0;
  int count = 1;
};

// ParseShardId parses "I/N" with 0 <= I < N <= 100000 (I is 0-based, as a
// Kubernetes Indexed Job's completion index is). It returns InvalidArgument
// with a message naming the form otherwise.
absl::StatusOr<ShardId> ParseShardId(absl::string_view text);

// SplitEvenly returns share |index| of |total| split |count| ways: total/count,
// plus one for the first total%count shares. The shares sum to |total|.
int64_t SplitEvenly(int64_t total, int index, int count);

// ShareSeed returns the seed share |index| of a run seeded with |seed| uses:
// |seed| itself for a run of one share, otherwise a well-mixed function of
// both, so that shares draw independent pseudo-random streams.
uint64_t ShareSeed(uint64_t seed, int index, int count);

// ShareOf returns the spec share |id| runs, by the rules above. |spec| must
// be valid. It returns InvalidArgument when the spec cannot be split |count|
// ways: fewer sessions in flight, handshakes or source addresses than shares.
absl::StatusOr<engine::RunSpec> ShareOf(const engine::RunSpec& spec, ShardId id);

}  // namespace mailshake::dist

#endif  // MAILSHAKE_SRC_DIST_SPLIT_H_
