#ifndef MAILSHAKE_SRC_ENGINE_ENGINE_H_
#define MAILSHAKE_SRC_ENGINE_ENGINE_H_

// The load generator: worker threads, each with its own epoll loop, SSL_CTX,
// session cache and statistics, drive SMTP sessions (connect, banner, EHLO,
// STARTTLS, TLS handshake, post-TLS dialogue) and time every phase.
//
//   absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Start(spec);
//   while (!(*engine)->Wait(absl::Seconds(1))) Draw((*engine)->Progress());
//   RunResult result = (*engine)->TakeResult();
//
// Every attempt ends in exactly one outcome, so in every result
// attempted == succeeded + failed, and failed is the sum of the failure
// categories in |RunResult::outcomes|.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/net/address.h"
#include "src/net/socket.h"
#include "src/smtp/dialogue.h"
#include "src/stats/stats.h"
#include "src/tls/tls.h"

namespace mailshake::engine {

// Phases timed for each successful session. kTotal runs from the scheduled
// start (open loop) or the connect (closed loop) to the end of the session.
// A tls:// target has only kConnect, kTls and kTotal.
enum Phase { kConnect, kBanner, kEhlo, kStartTls, kTls, kPostTls, kTotal, kPhaseCount };
absl::string_view PhaseName(int phase);

// The most windows RunSpec::cpu_window records; later ones are not recorded.
inline constexpr int64_t kMaxCpuWindows = 100000;

// RunSpec is everything a run needs, as one plain value; |Validate| checks it.
struct RunSpec {
  net::Target target;
  tls::ClientConfig tls;
  // The SMTP side. |smtp.implicit_tls| must equal |target.implicit_tls|.
  smtp::ClientOptions smtp;

  int threads = 1;
  // Sessions in flight over all threads: fixed in closed loop, a cap in
  // open loop (arrivals beyond it wait, and their wait counts in kTotal).
  int concurrency = 64;
  // The run ends after |duration| (after warm-up), or once |handshakes|
  // attempts have been started when it is positive.
  absl::Duration duration = absl::Seconds(10);
  int64_t handshakes = 0;
  // Attempts started during the warm-up are run but not recorded.
  absl::Duration warmup = absl::ZeroDuration();
  // Open loop: attempts per second over all threads. 0 means closed loop.
  double rate = 0;
  enum class Arrivals { kConstant, kPoisson };
  Arrivals arrivals = Arrivals::kConstant;
  // The share of attempts that offer a saved session, when
  // |tls.resumption| is not kOff (the first handshake of a worker is full).
  double resume_ratio = 1.0;
  // Source addresses to rotate over (IPv4 loopback ranges spread the
  // 4-tuples over many addresses); empty: the kernel chooses.
  std::vector<net::SocketAddress> sources;
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration phase_timeout = absl::Seconds(10);
  // Close with RST (SO_LINGER 0) so that the client keeps no TIME_WAIT. Only
  // a session that closes first needs it: when the server's close (or reset)
  // was seen first, the client closes with FIN and keeps no TIME_WAIT either.
  bool close_with_rst = true;
  // Set TCP_QUICKACK after the connect and after every read, so that the
  // client never delays an ACK: separates a server's TLS cost from the
  // Nagle/delayed-ACK stall some servers show (off by default: real
  // senders delay ACKs).
  bool quickack = false;
  // Grace for sessions in flight after a stop request, before they are
  // counted as "interrupted".
  absl::Duration stop_grace = absl::Seconds(1);
  uint64_t seed = 1;

  // Scale-out (src/dist). When later than now, |Engine::Start| builds the
  // workers and then waits until this wall-clock instant before it starts
  // them, so that processes started apart measure over the same seconds.
  absl::Time start_at = absl::InfinitePast();
  // Open loop: shifts the first arrival of worker w from w/threads to
  // (w + schedule_phase)/threads of one worker's gap between arrivals, in
  // [0, 1). Share k of N uses k/N so that N processes running constant
  // schedules of rate/N interleave their arrivals evenly.
  double schedule_phase = 0;

  // When positive, the measured window is also cut into windows of this
  // length (from the end of warm-up), and each worker records per window
  // its successes and its CPU time (RunResult::cpu_windows): how the cost of
  // a handshake moved within the run. At most kMaxCpuWindows windows; the
  // lab sets it for trials (src/lab).
  absl::Duration cpu_window = absl::ZeroDuration();

  absl::Status Validate() const;
};

// RunResult is what a run measured: the merged recorders of every worker.
struct RunResult {
  absl::Time start;                  // wall clock at the start of measurement
  absl::Duration measured;           // from the end of warm-up to the last recorded outcome
  int64_t attempted = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t warmup_attempts = 0;       // run during warm-up, not in the counts above
  bool interrupted = false;          // stopped by the user
  // "ok" and the failure categories ("connect_refused", "timeout:banner",
  // "starttls_refused:454", "tls_alert:handshake_failure", ...).
  stats::CounterMap outcomes;
  // Deviations from the standards tolerated in measured attempts, with
  // counts: "long_reply_lines" (reply lines over 512 octets, accepted up to
  // smtp::ReplyLimits::tolerated_line_length).
  stats::CounterMap deviations;
  stats::PhaseHistograms phases;     // successful sessions only, nanoseconds
  stats::TimeSeries series;          // per wall-clock second
  // Open loop: how late each attempt started against its schedule.
  stats::LatencyHistogram schedule_lag;
  // Negotiated facts of successful handshakes.
  stats::CounterMap versions, cipher_suites, groups, signature_algorithms, resumption,
      peer_keys;
  // CPU of the worker threads over the recorded window (from the end of
  // warm-up until the threads end, just after the last outcome), the window
  // of the counts: user (BoringSSL and the engine) plus system (the kernel's
  // TCP work, which on loopback includes much of the peer's packet
  // processing). Sessions of the warm-up still in flight when it ends spend
  // some of it; none is spent before.
  double client_cpu_seconds = 0;
  double client_cpu_user_seconds = 0;
  double client_cpu_system_seconds = 0;
  // System calls the engine made for the recorded attempts, each attempt
  // from its socket() to its close() (see net::SyscallCounts: every call on
  // the connection's descriptor, including its epoll_ctl; BoringSSL makes
  // none, as it reads and writes the engine's buffers). epoll_wait serves
  // every session in flight at once and is counted apart: the worker loops'
  // calls over the recorded window.
  net::SyscallCounts syscalls;
  int64_t epoll_waits = 0;
  // With RunSpec::cpu_window: per window, in order from the end of warm-up,
  // the successes recorded and the client threads' CPU time spent (both
  // summed over the workers). A window's CPU is read by each worker at its
  // first loop turn past the window's end, and the successes are those
  // recorded between the same two readings, so the two agree; the last
  // window holds the drain after the run's end and is usually partial.
  // The window length (RunSpec::cpu_window); zero when none was recorded.
  absl::Duration cpu_window;
  std::vector<int64_t> window_successes;
  std::vector<int64_t> window_cpu_ns;

  RunResult();
};

// Live counters for the progress line.
struct Progress {
  absl::Duration elapsed;            // since the start, warm-up included
  bool warming_up = false;
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t in_flight = 0;
  int64_t p50_ns = 0;                // over successes so far (total phase)
  int64_t p99_ns = 0;
};

class Engine {
 public:
  // Validates |spec|, builds each worker's context and starts the threads.
  static absl::StatusOr<std::unique_ptr<Engine>> Start(const RunSpec& spec);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Waits up to |timeout| for the run to end; true once it has.
  bool Wait(absl::Duration timeout);

  // Stops starting sessions. In-flight sessions get |RunSpec::stop_grace|
  // (none when |abort|), then count as "interrupted". Thread-safe.
  void Stop(bool abort);

  // Thread-safe snapshot for progress output.
  Progress GetProgress() const;

  // Merges the workers' recorders. Call after |Wait| returned true.
  RunResult TakeResult();

 private:
  class Worker;
  Engine() = default;

  RunSpec spec_;
  int64_t start_ns_ = 0;
  int64_t measure_start_ns_ = 0;
  int64_t wall_start_unix_ = 0;
  absl::Time wall_start_;
  std::atomic<int64_t> tickets_{0};  // attempts left when |handshakes| > 0
  std::atomic<bool> interrupted_{false};
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace mailshake::engine

#endif  // MAILSHAKE_SRC_ENGINE_ENGINE_H_
