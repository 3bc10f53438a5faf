// CPU placement: which CPUs the client's worker threads and the embedded
// server's threads may run on. On a machine of few cores, where the
// scheduler puts the two sides changes CPU per handshake for a whole run
// (README, "Performance"); pinning them to disjoint CPU sets makes runs
// comparable.
//
// Threads take the CPU affinity of the thread that creates them
// (pthread_create(3)), so placement is applied where the threads are made:
// the caller pins itself, starts the server or the engine, and returns to
// its own mask. Neither the engine nor the server needs to know.
//
//   absl::StatusOr<Placement> p = ResolvePlacement("auto", *AllowedCpus(),
//                                                  CpuCores(*AllowedCpus()), true);
//   RunPinned(p->server, [&] { server = server::Server::Start(...); });
//   RunPinned(p->client, [&] { engine = engine::Engine::Start(...); });
//   ThreadCpus(kServerThreadPrefix) ... reads back what the threads got.

#ifndef MAILSHAKE_SRC_LAB_PLACEMENT_H_
#define MAILSHAKE_SRC_LAB_PLACEMENT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mailshake {
namespace lab {

// A set of CPU numbers, ascending, without repeats.
using CpuList = std::vector<int>;

// ParseCpuList reads a list as taskset -c and /proc write it: "0-3,6",
// "1". InvalidArgument for an empty list, a malformed or descending range,
// a repeated CPU, or a CPU at or above CPU_SETSIZE.
absl::StatusOr<CpuList> ParseCpuList(absl::string_view text);

// FormatCpuList writes |cpus| in that form, ranges joined ("0-3,6"); ""
// for an empty list.
std::string FormatCpuList(const CpuList& cpus);

// AllowedCpus returns the CPUs the calling thread may run on
// (sched_getaffinity), Internal when the kernel does not say.
absl::StatusOr<CpuList> AllowedCpus();

// CpuCores groups |allowed| by physical core (CPUs that are hyperthreads of
// one core share it), in the order of their lowest CPU, from
// /sys/devices/system/cpu/cpuN/topology/thread_siblings_list; a CPU whose
// topology cannot be read is a core of its own.
std::vector<CpuList> CpuCores(const CpuList& allowed);

// Placement is the CPU sets the run's threads are pinned to. An empty set
// means "not pinned": those threads may run on every allowed CPU.
struct Placement {
  // What was asked: "auto", "off" or "CLIENT[:SERVER]".
  std::string asked;
  CpuList client;
  CpuList server;
  // Why "auto" pinned nothing or less than it could (one CPU, an external
  // target), for the user; empty otherwise.
  std::string note;

  bool pinned() const { return !client.empty() || !server.empty(); }
};

// ResolvePlacement turns an --affinity value into sets of CPUs among
// |allowed| (grouped into |cores| as CpuCores does):
//   "off"            nothing is pinned.
//   "auto"           with |embedded_server| and at least two allowed CPUs,
//                    the client and the server on disjoint sets: whole cores
//                    split in two (the client takes the first half, rounded
//                    up), or, on a single core with several hyperthreads,
//                    its CPUs split the same way. Otherwise nothing is
//                    pinned, and |note| says why.
//   "CLIENT"         the client's threads on CLIENT; the server not pinned.
//   "CLIENT:SERVER"  each side on its list (only with |embedded_server|).
// InvalidArgument (naming the CPUs and the allowed set) for a malformed
// value, a CPU outside |allowed|, or a server list without an embedded
// server. Overlapping explicit lists are allowed: the user asked for them.
absl::StatusOr<Placement> ResolvePlacement(absl::string_view value, const CpuList& allowed,
                                           const std::vector<CpuList>& cores,
                                           bool embedded_server);

// PlacementForThisProcess is ResolvePlacement over the CPUs this process
// may use (AllowedCpus, CpuCores).
absl::StatusOr<Placement> PlacementForThisProcess(absl::string_view value,
                                                  bool embedded_server);

// ThreadsFor returns |asked| threads, or, for 0 ("one per core"), one per
// CPU of |cpus|, or, when |cpus| is empty (not pinned), one per CPU this
// process may use (AllowedCpus: `taskset -c 0 mailshake ...` runs one).
int ThreadsFor(int asked, const CpuList& cpus);

// PlacementSpec returns the fields a result's spec records (SCHEMA.md,
// "CPU placement"): "affinity" (what was asked), "cpus_client" and
// "cpus_server" (the lists applied, "" when not pinned).
std::map<std::string, std::string> PlacementSpec(const Placement& placement);

// CheckAffinityValue checks the syntax of an --affinity value (for
// FlagSet::String): "auto", "off", "LIST" or "LIST:LIST".
absl::Status CheckAffinityValue(absl::string_view value);

// RunPinned pins the calling thread to |cpus|, runs |start| (which creates
// the threads to be placed: they inherit the mask), and restores the
// calling thread's previous mask. With an empty |cpus| it only runs
// |start|. Returns the error of sched_setaffinity (|start| is then not
// run), or Internal when the mask read back differs from |cpus|.
absl::Status RunPinned(const CpuList& cpus, absl::FunctionRef<void()> start);

// Names (prefixes of /proc/self/task/TID/comm) of the threads the placement
// is about: the engine's workers and the embedded server's workers.
inline constexpr char kClientThreadPrefix[] = "ms-bench-";
inline constexpr char kServerThreadPrefix[] = "ms-serve-";

// ThreadCpus returns the union of the CPU masks (sched_getaffinity of each
// thread) of this process's threads whose name starts with |prefix|, and
// sets |*threads| to how many there are. NotFound when there is none.
absl::StatusOr<CpuList> ThreadCpus(absl::string_view prefix, int* threads);

// DescribePlacement says it for people: "client on CPU 0, embedded server
// on CPU 1", "not pinned (auto: this process may use only CPU 0)".
std::string DescribePlacement(const Placement& placement);

}  // namespace lab
}  // namespace mailshake

#endif  // MAILSHAKE_SRC_LAB_PLACEMENT_H_
