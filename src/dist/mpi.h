#ifndef MAILSHAKE_SRC_DIST_MPI_H_
#define MAILSHAKE_SRC_DIST_MPI_H_

// The MPI launcher's transport (OpenMPI), optional at build time: linked into
// //:mailshake_mpi (:mpi_openmpi) it talks MPI; in //:mailshake (:mpi)
// |MpiRun::Init| returns Unimplemented and nothing links against libmpi.
//
// Every exchange after the start is point to point towards rank 0 and
// non-blocking with deadlines, never a collective: a rank that dies mid-run
// would make a collective hang every other rank (OpenMPI 4.1 has no fault
// tolerant collectives), while rank 0 can give up on a rank that has gone
// silent and still write what the others measured. (mpirun itself must be
// told not to kill the job when one rank dies: --enable-recovery.)
//
//   auto mpi = MpiRun::Init();          // every rank
//   std::string spec = *(*mpi)->Broadcast(rank0_spec);
//   absl::Time start = *(*mpi)->AgreeOnStart(absl::Milliseconds(500));
//   ... run; non-root ranks PostProgress once a second, rank 0 PollProgress ...
//   non-root: (*mpi)->SendPart(json); (*mpi)->AwaitVerdict(...);
//   rank 0:   auto parts = (*mpi)->CollectParts(silence); (*mpi)->SendVerdict(lost);

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mailshake::dist {

// True when this binary was built with MPI support (//:mailshake_mpi).
bool MpiBuiltIn();

// Live counters one rank reports to rank 0.
struct RankProgress {
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t in_flight = 0;
};

class MpiRun {
 public:
  // Initializes MPI (threads funneled through the calling thread) with
  // errors returned rather than aborting. Unimplemented when built without
  // MPI, Internal when MPI_Init fails. Call once per process.
  static absl::StatusOr<std::unique_ptr<MpiRun>> Init();
  // Finalizes MPI when every rank is known to be alive (|SendVerdict| or
  // |AwaitVerdict| said so); otherwise leaves it, since finalizing with a
  // dead rank can hang.
  ~MpiRun();
  MpiRun(const MpiRun&) = delete;
  MpiRun& operator=(const MpiRun&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // This process's host name (MPI_Get_processor_name).
  const std::string& host() const { return host_; }

  // Every rank: returns rank 0's |text| (other ranks' argument is ignored).
  // Blocking; all ranks must call it.
  absl::StatusOr<std::string> Broadcast(const std::string& text);

  // Every rank: a barrier, then rank 0's wall clock plus |lead|, broadcast;
  // the same instant is returned on every rank. Clocks of several hosts
  // must be synchronized (NTP) for the instant to mean the same everywhere.
  absl::StatusOr<absl::Time> AgreeOnStart(absl::Duration lead);

  // Non-root ranks: sends |p| to rank 0 without waiting; skipped while the
  // previous report is still in flight. Doubles as a heartbeat.
  void PostProgress(const RankProgress& p);

  // Rank 0: takes every progress report that has arrived and returns the sum
  // of each other rank's latest report.
  RankProgress PollProgress();

  // Non-root ranks: sends this rank's result (JSON text) to rank 0 and waits
  // up to |timeout| for it to be taken. Sends heartbeats meanwhile.
  absl::Status SendPart(const std::string& json, absl::Duration timeout);

  // Rank 0: receives the parts of ranks 1..size-1. A rank that has sent
  // nothing (no progress, no part) for |silence| is given up. Returns
  // rank -> JSON text for the ranks that delivered.
  std::map<int, std::string> CollectParts(absl::Duration silence);

  // Rank 0: tells every rank that delivered whether the run lost a rank.
  void SendVerdict(bool lost);
  // Non-root ranks: waits up to |timeout| for rank 0's verdict; true when no
  // rank was lost (then MPI is finalized on destruction).
  bool AwaitVerdict(absl::Duration timeout);

 private:
  MpiRun() = default;
  int rank_ = 0;
  int size_ = 1;
  std::string host_;
  bool finalize_ = false;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mailshake::dist

#endif  // MAILSHAKE_SRC_DIST_MPI_H_
