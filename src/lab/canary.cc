// The CPU speed canary: the workload, its measurement and the rule.

#include "src/lab/canary.h"

#include <time.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace mailshake {
namespace lab {
namespace {

// Field elements modulo 2^255-19 in five 51-bit limbs, as in the
// "donna-64" form: the kind of arithmetic X25519 and the P-curves spend a
// handshake on, written here so that it is not the code under test.
struct Fe {
  uint64_t v[5];
};

constexpr uint64_t kMask51 = (uint64_t{1} << 51) - 1;

inline void FeMul(Fe& out, const Fe& a, const Fe& b) {
  using u128 = unsigned __int128;
  const uint64_t b1 = b.v[1] * 19, b2 = b.v[2] * 19, b3 = b.v[3] * 19, b4 = b.v[4] * 19;
  u128 t0 = (u128)a.v[0] * b.v[0] + (u128)a.v[1] * b4 + (u128)a.v[2] * b3 +
            (u128)a.v[3] * b2 + (u128)a.v[4] * b1;
  u128 t1 = (u128)a.v[0] * b.v[1] + (u128)a.v[1] * b.v[0] + (u128)a.v[2] * b4 +
            (u128)a.v[3] * b3 + (u128)a.v[4] * b2;
  u128 t2 = (u128)a.v[0] * b.v[2] + (u128)a.v[1] * b.v[1] + (u128)a.v[2] * b.v[0] +
            (u128)a.v[3] * b4 + (u128)a.v[4] * b3;
  u128 t3 = (u128)a.v[0] * b.v[3] + (u128)a.v[1] * b.v[2] + (u128)a.v[2] * b.v[1] +
            (u128)a.v[3] * b.v[0] + (u128)a.v[4] * b4;
  u128 t4 = (u128)a.v[0] * b.v[4] + (u128)a.v[1] * b.v[3] + (u128)a.v[2] * b.v[2] +
            (u128)a.v[3] * b.v[1] + (u128)a.v[4] * b.v[0];
  t1 += (uint64_t)(t0 >> 51);
  t2 += (uint64_t)(t1 >> 51);
  t3 += (uint64_t)(t2 >> 51);
  t4 += (uint64_t)(t3 >> 51);
  uint64_t r0 = (uint64_t)t0 & kMask51;
  const uint64_t r1 = (uint64_t)t1 & kMask51, r2 = (uint64_t)t2 & kMask51,
                 r3 = (uint64_t)t3 & kMask51, r4 = (uint64_t)t4 & kMask51;
  r0 += (uint64_t)(t4 >> 51) * 19;
  out.v[0] = r0 & kMask51;
  out.v[1] = r1 + (r0 >> 51);
  out.v[2] = r2;
  out.v[3] = r3;
  out.v[4] = r4;
}

constexpr int kBlocks = 4;
constexpr int kMulsPerBlock = 18432;

int64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The seed is read through a volatile so that the chain cannot be folded
// at compile time; the result is written through one so that it is kept.
volatile uint64_t canary_seed = 0x1234567;
volatile uint64_t canary_sink = 0;

std::string SideKey(const std::string& workload, const std::string& side,
                    const std::string& cpus) {
  return absl::StrCat(workload, "|", side, "|", cpus);
}

}  // namespace

int64_t RunCanaryWorkload() {
  Fe x, y;
  for (int i = 0; i < 5; ++i) {
    x.v[i] = (canary_seed * (2 * i + 1)) & kMask51;
    y.v[i] = (canary_seed * (2 * i + 7) + 3) & kMask51;
  }
  int64_t fastest = INT64_MAX;
  for (int block = 0; block < kBlocks; ++block) {
    const int64_t start = ThreadCpuNs();
    for (int i = 0; i < kMulsPerBlock; ++i) FeMul(x, x, y);  // a dependent chain
    fastest = std::min(fastest, ThreadCpuNs() - start);
  }
  canary_sink = canary_sink + x.v[0] + x.v[4];
  return fastest * kBlocks;
}

absl::StatusOr<int64_t> MeasureCanary(const CpuList& cpus) {
  int64_t ns = 0;
  absl::Status pinned = RunPinned(cpus, [&] { ns = RunCanaryWorkload(); });
  if (!pinned.ok()) return pinned;
  return ns;
}

absl::Status MeasureCanarySides(const CpuList& client, const CpuList* server, bool after,
                                report::CpuCanary* canary) {
  canary->workload = kCanaryWorkload;
  auto measure = [&](const CpuList& cpus, report::CanaryReading* r) -> absl::Status {
    absl::StatusOr<int64_t> ns = MeasureCanary(cpus);
    if (!ns.ok()) return ns.status();
    r->cpus = FormatCpuList(cpus);
    (after ? r->after_ns : r->before_ns) = *ns;
    return absl::OkStatus();
  };
  if (absl::Status s = measure(client, &canary->client); !s.ok()) return s;
  if (server == nullptr) return absl::OkStatus();
  if (!canary->server.has_value()) canary->server.emplace();
  return measure(*server, &*canary->server);
}

const CpuList* ServerCanaryCpus(const Placement& placement, bool embedded_server) {
  if (!embedded_server || placement.server.empty() || placement.server == placement.client) {
    return nullptr;
  }
  return &placement.server;
}

void CanaryBaseline::AddReading(const std::string& workload, const std::string& side,
                                const report::CanaryReading& r) {
  for (int64_t ns : {r.before_ns, r.after_ns}) {
    if (ns <= 0) continue;
    auto [it, added] = fastest_.emplace(SideKey(workload, side, r.cpus), ns);
    if (!added) it->second = std::min(it->second, ns);
  }
}

void CanaryBaseline::Add(const report::CpuCanary& canary) {
  AddReading(canary.workload, "client", canary.client);
  if (canary.server.has_value()) AddReading(canary.workload, "server", *canary.server);
}

std::optional<int64_t> CanaryBaseline::Fastest(const std::string& workload,
                                               const std::string& side,
                                               const std::string& cpus) const {
  auto it = fastest_.find(SideKey(workload, side, cpus));
  if (it == fastest_.end()) return std::nullopt;
  return it->second;
}

CanaryBaseline CanaryBaselineOf(const std::vector<report::Scenario>& trials) {
  CanaryBaseline baseline;
  for (const report::Scenario& t : trials) {
    if (t.cpu_canary.has_value()) baseline.Add(*t.cpu_canary);
  }
  return baseline;
}

CanaryVerdict JudgeCanary(const report::CpuCanary& canary, const CanaryBaseline& baseline) {
  CanaryVerdict v;
  auto judge = [&](const char* side, const report::CanaryReading& r) {
    if (r.before_ns <= 0 || r.after_ns <= 0) return;
    const std::string where =
        r.cpus.empty() ? absl::StrCat("the ", side, "'s CPUs (not pinned)")
                       : absl::StrCat("the ", side, "'s CPU", r.cpus.find_first_of(",-") ==
                                                                      std::string::npos
                                                                  ? " "
                                                                  : "s ",
                                      r.cpus);
    const int64_t slower = std::max(r.before_ns, r.after_ns);
    const int64_t faster = std::min(r.before_ns, r.after_ns);
    const double apart = static_cast<double>(slower) / static_cast<double>(faster) - 1;
    v.before_after = std::max(v.before_after, apart);
    const std::optional<int64_t> fastest = baseline.Fastest(canary.workload, side, r.cpus);
    double behind = 0;
    if (fastest.has_value() && *fastest > 0) {
      behind = static_cast<double>(slower) / static_cast<double>(*fastest) - 1;
      v.slower_than_fastest = std::max(v.slower_than_fastest, behind);
    }
    std::string reason;
    if (behind > kCanarySlowerThanFastest) {
      reason = absl::StrFormat("%s ran the CPU canary in %.2f ms, %.0f%% slower than the run's "
                               "fastest %.2f ms",
                               where, slower / 1e6, 100 * behind, *fastest / 1e6);
    } else if (apart > kCanaryBeforeAfterDisagree) {
      reason = absl::StrFormat("%s ran the CPU canary in %.2f ms before and %.2f ms after the "
                               "trial (%.0f%% apart)",
                               where, r.before_ns / 1e6, r.after_ns / 1e6, 100 * apart);
    }
    if (!reason.empty()) {
      v.slowed = true;
      absl::StrAppend(&v.why, v.why.empty() ? "" : "; ", reason);
    }
  };
  judge("client", canary.client);
  if (canary.server.has_value()) judge("server", *canary.server);
  return v;
}

bool IsSlowed(const report::Scenario& trial, const CanaryBaseline& baseline) {
  return trial.cpu_canary.has_value() && JudgeCanary(*trial.cpu_canary, baseline).slowed;
}

std::optional<double> ClientCanarySeconds(const report::Scenario& trial) {
  if (!trial.cpu_canary.has_value()) return std::nullopt;
  const report::CanaryReading& r = trial.cpu_canary->client;
  if (r.before_ns <= 0 || r.after_ns <= 0) return std::nullopt;
  return static_cast<double>(r.before_ns + r.after_ns) / 2e9;
}

}  // namespace lab
}  // namespace mailshake
