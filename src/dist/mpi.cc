#include "src/dist/mpi.h"

#include <unistd.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"

#ifdef MAILSHAKE_WITH_MPI
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace mailshake::dist {

#ifdef MAILSHAKE_WITH_MPI

namespace {

enum Tag { kProgressTag = 11, kPartTag = 12, kVerdictTag = 13 };

absl::Status MpiError(const char* what, int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  return absl::InternalError(absl::StrCat(what, ": ", std::string(text, len)));
}

}  // namespace

struct MpiRun::State {
  int64_t out_progress[3] = {};
  MPI_Request progress_request = MPI_REQUEST_NULL;
  std::vector<RankProgress> latest;  // rank 0: each rank's last report
  std::vector<absl::Time> heard;     // rank 0: when each rank last sent anything
  std::vector<bool> delivered;       // rank 0: parts received
};

bool MpiBuiltIn() { return true; }

absl::StatusOr<std::unique_ptr<MpiRun>> MpiRun::Init() {
  int provided = 0;
  int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  if (rc != MPI_SUCCESS) return absl::InternalError("MPI_Init_thread failed");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  std::unique_ptr<MpiRun> run(new MpiRun());
  MPI_Comm_rank(MPI_COMM_WORLD, &run->rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &run->size_);
  char name[MPI_MAX_PROCESSOR_NAME];
  int len = 0;
  MPI_Get_processor_name(name, &len);
  run->host_.assign(name, len);
  run->state_ = std::make_unique<State>();
  run->state_->latest.resize(run->size_);
  run->state_->heard.assign(run->size_, absl::Now());
  run->state_->delivered.assign(run->size_, false);
  return run;
}

MpiRun::~MpiRun() {
  if (finalize_) MPI_Finalize();
}

absl::StatusOr<std::string> MpiRun::Broadcast(const std::string& text) {
  int64_t len = rank_ == 0 ? static_cast<int64_t>(text.size()) : 0;
  int rc = MPI_Bcast(&len, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) return MpiError("MPI_Bcast", rc);
  std::string out = rank_ == 0 ? text : std::string(static_cast<size_t>(len), '\0');
  rc = MPI_Bcast(out.data(), static_cast<int>(len), MPI_CHAR, 0, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) return MpiError("MPI_Bcast", rc);
  return out;
}

absl::StatusOr<absl::Time> MpiRun::AgreeOnStart(absl::Duration lead) {
  int rc = MPI_Barrier(MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) return MpiError("MPI_Barrier", rc);
  int64_t start_ns = rank_ == 0 ? absl::ToUnixNanos(absl::Now() + lead) : 0;
  rc = MPI_Bcast(&start_ns, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) return MpiError("MPI_Bcast", rc);
  return absl::FromUnixNanos(start_ns);
}

void MpiRun::PostProgress(const RankProgress& p) {
  if (rank_ == 0) return;
  if (state_->progress_request != MPI_REQUEST_NULL) {
    int done = 0;
    MPI_Test(&state_->progress_request, &done, MPI_STATUS_IGNORE);
    if (!done) return;
  }
  state_->out_progress[0] = p.succeeded;
  state_->out_progress[1] = p.failed;
  state_->out_progress[2] = p.in_flight;
  MPI_Isend(state_->out_progress, 3, MPI_INT64_T, 0, kProgressTag, MPI_COMM_WORLD,
            &state_->progress_request);
}

RankProgress MpiRun::PollProgress() {
  RankProgress sum;
  if (rank_ != 0) return sum;
  for (;;) {
    int flag = 0;
    MPI_Status status;
    if (MPI_Iprobe(MPI_ANY_SOURCE, kProgressTag, MPI_COMM_WORLD, &flag, &status) != MPI_SUCCESS ||
        !flag) {
      break;
    }
    int64_t v[3];
    if (MPI_Recv(v, 3, MPI_INT64_T, status.MPI_SOURCE, kProgressTag, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE) != MPI_SUCCESS) {
      break;
    }
    state_->latest[status.MPI_SOURCE] = {v[0], v[1], v[2]};
    state_->heard[status.MPI_SOURCE] = absl::Now();
  }
  for (int r = 1; r < size_; ++r) {
    sum.succeeded += state_->latest[r].succeeded;
    sum.failed += state_->latest[r].failed;
    sum.in_flight += state_->latest[r].in_flight;
  }
  return sum;
}

absl::Status MpiRun::SendPart(const std::string& json, absl::Duration timeout) {
  MPI_Request request;
  int rc = MPI_Isend(json.data(), static_cast<int>(json.size()), MPI_CHAR, 0, kPartTag,
                     MPI_COMM_WORLD, &request);
  if (rc != MPI_SUCCESS) return MpiError("MPI_Isend", rc);
  absl::Time deadline = absl::Now() + timeout;
  absl::Time next_beat = absl::Now();
  for (;;) {
    int done = 0;
    rc = MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) return MpiError("MPI_Test", rc);
    if (done) return absl::OkStatus();
    absl::Time now = absl::Now();
    if (now >= deadline) {
      MPI_Cancel(&request);
      return absl::DeadlineExceededError("rank 0 did not take this rank's result in time");
    }
    if (now >= next_beat) {
      // The part travels as one rendezvous message; heartbeats keep rank 0
      // from giving up on us meanwhile.
      PostProgress({state_->out_progress[0], state_->out_progress[1], 0});
      next_beat = now + absl::Milliseconds(500);
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
}

std::map<int, std::string> MpiRun::CollectParts(absl::Duration silence) {
  std::map<int, std::string> parts;
  if (rank_ != 0) return parts;
  // Rank 0 was busy with its own run: count silence from now at the least.
  absl::Time now = absl::Now();
  for (int r = 1; r < size_; ++r) {
    state_->heard[r] = std::max(state_->heard[r], now - silence / 2);
  }
  for (;;) {
    PollProgress();
    int flag = 0;
    MPI_Status status;
    if (MPI_Iprobe(MPI_ANY_SOURCE, kPartTag, MPI_COMM_WORLD, &flag, &status) == MPI_SUCCESS &&
        flag) {
      int count = 0;
      MPI_Get_count(&status, MPI_CHAR, &count);
      std::string text(static_cast<size_t>(count), '\0');
      if (MPI_Recv(text.data(), count, MPI_CHAR, status.MPI_SOURCE, kPartTag, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE) == MPI_SUCCESS) {
        parts[status.MPI_SOURCE] = std::move(text);
        state_->delivered[status.MPI_SOURCE] = true;
      }
      continue;
    }
    bool waiting = false;
    now = absl::Now();
    for (int r = 1; r < size_; ++r) {
      if (!state_->delivered[r] && now - state_->heard[r] < silence) waiting = true;
    }
    if (!waiting) return parts;
    absl::SleepFor(absl::Milliseconds(2));
  }
}

void MpiRun::SendVerdict(bool lost) {
  if (rank_ != 0) return;
  int64_t verdict = lost ? 1 : 0;
  std::vector<MPI_Request> requests;
  for (int r = 1; r < size_; ++r) {
    if (!state_->delivered[r]) continue;
    requests.emplace_back();
    MPI_Isend(&verdict, 1, MPI_INT64_T, r, kVerdictTag, MPI_COMM_WORLD, &requests.back());
  }
  // Small messages go eagerly; wait a little for them to leave.
  absl::Time deadline = absl::Now() + absl::Seconds(2);
  for (MPI_Request& request : requests) {
    int done = 0;
    while (!done && absl::Now() < deadline) {
      MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (!done) absl::SleepFor(absl::Milliseconds(1));
    }
  }
  finalize_ = !lost;
}

bool MpiRun::AwaitVerdict(absl::Duration timeout) {
  if (rank_ == 0) return finalize_;
  int64_t verdict = 1;
  MPI_Request request;
  MPI_Irecv(&verdict, 1, MPI_INT64_T, 0, kVerdictTag, MPI_COMM_WORLD, &request);
  absl::Time deadline = absl::Now() + timeout;
  int done = 0;
  while (!done && absl::Now() < deadline) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (!done) absl::SleepFor(absl::Milliseconds(2));
  }
  if (!done) MPI_Cancel(&request);
  finalize_ = done && verdict == 0;
  return finalize_;
}

#else  // !MAILSHAKE_WITH_MPI

struct MpiRun::State {};

bool MpiBuiltIn() { return false; }

absl::StatusOr<std::unique_ptr<MpiRun>> MpiRun::Init() {
  return absl::UnimplementedError(
      "this mailshake was built without MPI; build the MPI one with `bazel build "
      "//:mailshake_mpi` or `scripts/mailshake --mpi-binary` (needs libopenmpi-dev) and start it under mpirun");
}

MpiRun::~MpiRun() = default;
absl::StatusOr<std::string> MpiRun::Broadcast(const std::string& text) { return text; }
absl::StatusOr<absl::Time> MpiRun::AgreeOnStart(absl::Duration lead) { return absl::Now() + lead; }
void MpiRun::PostProgress(const RankProgress&) {}
RankProgress MpiRun::PollProgress() { return {}; }
absl::Status MpiRun::SendPart(const std::string&, absl::Duration) { return absl::OkStatus(); }
std::map<int, std::string> MpiRun::CollectParts(absl::Duration) { return {}; }
void MpiRun::SendVerdict(bool) {}
bool MpiRun::AwaitVerdict(absl::Duration) { return true; }

#endif  // MAILSHAKE_WITH_MPI

}  // namespace mailshake::dist
