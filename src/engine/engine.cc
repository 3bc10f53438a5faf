#include "src/engine/engine.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <random>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include <mutex>
#include "src/net/event_loop.h"
#include "src/net/socket.h"
#include "src/outcome/outcome.h"
#include "src/smtp/reply_parser.h"
#include "src/stats/cpu_time.h"
#include "src/tls/transport.h"

namespace mailshake::engine {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr int64_t kNanosPerSecond = 1000000000;
const stats::HistogramConfig kHistogramConfig = {3, int64_t{3600} * kNanosPerSecond};

int64_t Nanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }


// The engine phase a dialogue phase is timed as.
Phase EnginePhase(smtp::Phase p) {
  switch (p) {
    case smtp::Phase::kBanner: return kBanner;
    case smtp::Phase::kEhlo: return kEhlo;
    case smtp::Phase::kStartTls: return kStartTls;
    case smtp::Phase::kTls: return kTls;
    case smtp::Phase::kPostTls:
    case smtp::Phase::kQuit: return kPostTls;
  }
  return kPostTls;
}

std::string ErrnoCategory(int err, Phase phase) {
  return outcome::ErrnoCategory(err, PhaseName(phase));
}

}  // namespace

absl::string_view PhaseName(int phase) {
  static constexpr absl::string_view kNames[] = {"connect", "banner",   "ehlo", "starttls",
                                                 "tls",     "post_tls", "total"};
  return phase >= 0 && phase < kPhaseCount ? kNames[phase] : "unknown";
}

absl::Status RunSpec::Validate() const {
  if (threads < 1 || threads > 1024) return absl::InvalidArgumentError("--threads must be 1 to 1024");
  if (concurrency < threads) {
    return absl::InvalidArgumentError("--concurrency must be at least --threads");
  }
  if (concurrency > 1000000) return absl::InvalidArgumentError("--concurrency must be at most 1000000");
  if (handshakes < 0) return absl::InvalidArgumentError("--handshakes must not be negative");
  if (cpu_window < absl::ZeroDuration() ||
      (cpu_window > absl::ZeroDuration() && cpu_window < absl::Milliseconds(1))) {
    return absl::InvalidArgumentError("the CPU window must be 0 (off) or at least 1ms");
  }
  if (handshakes == 0 && duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--duration must be positive (or give --handshakes)");
  }
  if (warmup < absl::ZeroDuration()) return absl::InvalidArgumentError("--warmup must not be negative");
  if (rate < 0 || !std::isfinite(rate)) return absl::InvalidArgumentError("--rate must be positive");
  if (resume_ratio < 0 || resume_ratio > 1) {
    return absl::InvalidArgumentError("--resume-ratio must be between 0 and 1");
  }
  if (!(schedule_phase >= 0 && schedule_phase < 1)) {
    return absl::InvalidArgumentError("internal: schedule_phase must be in [0, 1)");
  }
  if (connect_timeout <= absl::ZeroDuration() || phase_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--connect-timeout and --phase-timeout must be positive");
  }
  if (target.tls_only && smtp.after_tls != smtp::ClientOptions::kQuit) {
    return absl::InvalidArgumentError("--after-tls applies to smtp:// and smtps:// targets only");
  }
  if (smtp.implicit_tls != target.implicit_tls) {
    return absl::InvalidArgumentError("internal: smtp.implicit_tls differs from the target's");
  }
  for (const net::SocketAddress& s : sources) {
    if (s.family() != target.address.family()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--source ", s.IpString(), " is not of the target's address family"));
    }
  }
  return absl::OkStatus();
}

RunResult::RunResult()
    : phases(*stats::PhaseHistograms::Create(kPhaseCount, kHistogramConfig)),
      schedule_lag(*stats::LatencyHistogram::Create(kHistogramConfig)) {}

// One thread's recorders. Only the owning thread touches them until the
// thread has ended.
struct Recorder {
  int64_t attempted = 0, succeeded = 0, failed = 0, warmup_attempts = 0;
  stats::CounterMap outcomes;
  stats::PhaseHistograms phases = *stats::PhaseHistograms::Create(kPhaseCount, kHistogramConfig);
  stats::TimeSeries series;
  stats::LatencyHistogram schedule_lag = *stats::LatencyHistogram::Create(kHistogramConfig);
  // Negotiated facts by id; named when merged, so the hot path allocates no
  // strings.
  absl::flat_hash_map<uint16_t, int64_t> versions, cipher_suites, groups, sigalgs;
  int64_t full = 0, resumed = 0;
  int64_t long_reply_lines = 0;
  absl::flat_hash_map<std::string, int64_t> peer_keys;
  int64_t cpu_user_ns = 0, cpu_system_ns = 0;
  // System calls of the recorded attempts, and the loop's epoll_wait calls
  // over the recorded window.
  net::SyscallCounts syscalls;
  int64_t epoll_waits = 0;
  int64_t last_outcome_ns = 0;  // monotonic time of the last recorded outcome
  // RunSpec::cpu_window: per window, successes and thread CPU.
  std::vector<int64_t> window_successes, window_cpu_ns;
};

class Engine::Worker {
 public:
  Worker(Engine* engine, int index, int concurrency, double rate,
         bssl::UniquePtr<SSL_CTX> ctx, std::unique_ptr<net::EventLoop> loop)
      : engine_(engine),
        spec_(engine->spec_),
        index_(index),
        cap_(concurrency),
        rate_(rate),
        ctx_(std::move(ctx)),
        loop_(std::move(loop)),
        rng_(engine->spec_.seed * 1000003 + index),
        read_buffer_(new char[kReadChunk]),
        plain_buffer_(new char[kReadChunk]),
        published_total_(*stats::LatencyHistogram::Create(kHistogramConfig)) {}

  ~Worker() { Join(); }

  void StartThread() {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), absl::StrCat("ms-bench-", index_).c_str());
      Run();
    });
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  bool done() const { return done_.load(std::memory_order_acquire); }

  void RequestStop(bool abort) {
    stop_.store(true, std::memory_order_relaxed);
    if (abort) abort_.store(true, std::memory_order_relaxed);
    loop_->Wakeup();
  }

  void AddProgress(Progress* p, stats::LatencyHistogram* total) const {
    p->succeeded += succeeded_.load(std::memory_order_relaxed);
    p->failed += failed_.load(std::memory_order_relaxed);
    p->in_flight += in_flight_.load(std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(published_mu_);
    total->Merge(published_total_).IgnoreError();  // same config by construction
  }

  Recorder& recorder() { return rec_; }

 private:
  class Session;
  friend class Session;

  void Run();
  bool MayStart(int64_t now);
  bool MayStartPeek(int64_t now) const;
  void Launch(Session* s, int64_t scheduled_ns);
  void SessionEnded(Session* s);
  int64_t NextGap();
  void Publish();

  Engine* engine_;
  const RunSpec& spec_;
  int index_;
  int cap_;         // sessions in flight at most
  double rate_;     // arrivals per second (open loop), 0 for closed loop
  bssl::UniquePtr<SSL_CTX> ctx_;
  std::unique_ptr<net::EventLoop> loop_;
  std::mt19937_64 rng_;
  std::unique_ptr<char[]> read_buffer_;   // received bytes, for every session in turn
  std::unique_ptr<char[]> plain_buffer_;  // decrypted bytes, likewise
  std::vector<std::unique_ptr<Session>> sessions_;
  std::vector<Session*> idle_;       // free session objects
  std::vector<Session*> to_launch_;  // closed loop: ended this round, start again
  int in_flight_local_ = 0;
  int64_t next_arrival_ns_ = 0;
  size_t next_source_ = 0;
  double resume_credit_ = 0;
  bool draining_ = false;
  int64_t drain_deadline_ns_ = INT64_MAX;
  // The thread's CPU at the end of warm-up: CPU is reported over the
  // recorded window only, as counts are.
  bool measuring_ = false;
  stats::ThreadCpuUsage cpu_at_measure_start_;
  // RunSpec::cpu_window: its length (0: off), the window the loop is in
  // (-1: none yet), when it ends, and the thread's CPU when it began.
  const int64_t window_length_ns_ = Nanos(spec_.cpu_window);
  int64_t window_ = -1;
  int64_t window_end_ns_ = 0;
  int64_t window_cpu_start_ns_ = 0;
  void AdvanceWindow(int64_t now, bool last);
  Recorder rec_;

  std::atomic<bool> stop_{false};
  std::atomic<bool> abort_{false};
  std::atomic<bool> done_{false};
  std::atomic<int64_t> succeeded_{0}, failed_{0}, in_flight_{0};
  // std::mutex rather than absl::Mutex: Debian's Abseil is not built for TSan,
  // which then cannot see its locking.
  mutable std::mutex published_mu_;
  stats::LatencyHistogram published_total_;  // guarded by published_mu_
  std::thread thread_;
};

// One SMTP session at a time; the object is reused for the next.
//
// I/O: the socket is registered once, edge-triggered, for reading and
// writing, so no epoll_ctl follows the ADD (close() removes it: the engine
// never shares its sockets with another process or descriptor). Each event
// is handled to completion: one recv into the worker's buffer (another only
// when it came back full, or when the peer's close or reset was signalled
// with the data), everything received consumed (by the reply parser, or by
// BoringSSL through |tls::BufferTransport|), and whatever that queued (SMTP
// commands and TLS records alike) sent with one send.
class Engine::Worker::Session : public net::EventLoop::Handler, public net::TimerQueue::Timer {
 public:
  explicit Session(Worker* w) : w_(w), dialogue_(w->spec_.smtp) {}

  bool active() const { return state_ != State::kIdle; }

  // Starts a session scheduled at |scheduled_ns| (open loop), or now (closed
  // loop, |scheduled_ns| < 0).
  void Begin(int64_t scheduled_ns) {
    int64_t now = net::MonotonicNanos();
    scheduled_ns_ = scheduled_ns < 0 ? now : scheduled_ns;
    start_ns_ = now;
    phase_start_ns_ = now;
    phase_ = kConnect;
    std::fill(std::begin(phase_ns_), std::end(phase_ns_), 0);
    parser_.Reset();
    long_reply_lines_ = 0;
    transport_.Reset();
    out_off_ = 0;
    no_delay_ = false;
    peer_closed_ = false;
    calls_ = net::SyscallCounts();
    offer_session_ = false;
    if (w_->spec_.tls.resumption != tls::ClientConfig::Resumption::kOff) {
      w_->resume_credit_ += w_->spec_.resume_ratio;
      if (w_->resume_credit_ >= 1.0) {
        w_->resume_credit_ -= 1.0;
        offer_session_ = true;
      }
    }
    const net::SocketAddress* source = nullptr;
    if (!w_->spec_.sources.empty()) {
      source = &w_->spec_.sources[w_->next_source_];
      w_->next_source_ = (w_->next_source_ + 1) % w_->spec_.sources.size();
    }
    state_ = State::kConnecting;
    int err = 0;
    // No TCP_NODELAY: every flight leaves in one send, so Nagle's algorithm
    // has nothing to hold back (|Flush| sets it if a send is ever cut short).
    net::UniqueFd fd = net::StartConnect(w_->spec_.target.address, source, &err,
                                         /*no_delay=*/false, &calls_);
    if (!fd.valid()) {
      fd_ = -1;
      Finish(ErrnoCategory(err, kConnect));
      return;
    }
    fd_ = fd.release();
    ++calls_.epoll_ctl;
    if (!w_->loop_->Add(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this).ok()) {
      Finish("local_resource:epoll");
      return;
    }
    w_->loop_->timers().Arm(this, now, Nanos(w_->spec_.connect_timeout));
  }

  void OnEvents(uint32_t events) override {
    if (state_ == State::kIdle) return;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) peer_closed_ = true;
    if (w_->spec_.quickack && fd_ >= 0 &&
        (state_ == State::kConnecting || (events & EPOLLIN) != 0)) {
      // Leaves delayed-ACK mode (and ACKs what waits) before each read; the
      // kernel drops back into it by itself, hence every time.
      ++calls_.setsockopt;
      net::SetQuickAck(fd_);
    }
    if (state_ == State::kConnecting) {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      if (events & (EPOLLERR | EPOLLHUP)) {
        ++calls_.getsockopt;
        int err = net::TakeSocketError(fd_);
        if (err != 0) {
          Finish(ErrnoCategory(err, kConnect));
          return;
        }
      }
      if (w_->spec_.target.tls_only) {  // tls://: no SMTP at all
        EnterPhase(kTls);
        if (!BeginHandshake()) return;
      } else {
        EnterPhase(kBanner);  // provisional; the dialogue says where we are
        if (!HandleStep(dialogue_.Start())) return;
      }
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      if (!ReadAll(events)) return;
    }
    Flush();
  }

  void OnTimerExpired() override {
    if (state_ == State::kIdle) return;
    Finish(phase_ == kConnect ? "connect_timeout" : absl::StrCat("timeout:", PhaseName(phase_)));
  }

  // Ends the session with |outcome| ("ok" for success).
  void Finish(absl::string_view outcome) {
    int64_t now = net::MonotonicNanos();
    net::TimerQueue::Cancel(this);
    if (fd_ >= 0) {
      // A client that closes second (the server closed after its 221, or
      // reset) does not enter TIME_WAIT: only closing first needs the RST.
      if (w_->spec_.close_with_rst && !peer_closed_) {
        ++calls_.setsockopt;
        net::SetLingerZero(fd_);
      }
      ++calls_.close;
      close(fd_);  // also ends its epoll registration
      fd_ = -1;
    }
    bool success = outcome == "ok";
    Recorder& rec = w_->rec_;
    if (scheduled_ns_ < w_->engine_->measure_start_ns_) {
      ++rec.warmup_attempts;
    } else {
      ++rec.attempted;
      rec.long_reply_lines += long_reply_lines_;
      rec.syscalls.Add(calls_);
      rec.last_outcome_ns = now;
      int64_t second = w_->engine_->wall_start_unix_ +
                       (now - w_->engine_->start_ns_) / kNanosPerSecond;
      rec.outcomes.Increment(outcome);
      if (success) {
        ++rec.succeeded;
        if (w_->window_ >= 0) ++rec.window_successes[w_->window_];
        w_->succeeded_.fetch_add(1, std::memory_order_relaxed);
        AddPhaseTime(now);
        for (int p = 0; p < kTotal; ++p) {
          if (visited_ & (1u << p)) rec.phases.Record(p, phase_ns_[p]);
        }
        int64_t total = now - scheduled_ns_;
        rec.phases.Record(kTotal, total);
        rec.series.RecordSuccess(second, total);
        ++rec.versions[info_.version];
        ++rec.cipher_suites[info_.cipher_suite];
        ++rec.groups[info_.group];
        ++rec.sigalgs[info_.signature_algorithm];
        if (info_.resumed) {
          ++rec.resumed;
        } else {
          ++rec.full;
        }
        if (info_.peer_key.evp_type != EVP_PKEY_NONE) {
          // Few distinct keys per run; the lookup does not allocate.
          auto it = rec.peer_keys.find(peer_key_name_);
          if (it == rec.peer_keys.end()) {
            rec.peer_keys.emplace(peer_key_name_, 1);
          } else {
            ++it->second;
          }
        }
      } else {
        ++rec.failed;
        w_->failed_.fetch_add(1, std::memory_order_relaxed);
        rec.series.RecordFailure(second);
      }
      if (w_->rate_ > 0) rec.schedule_lag.Record(start_ns_ - scheduled_ns_);
    }
    ssl_.reset();
    transport_.Reset();
    state_ = State::kIdle;
    w_->SessionEnded(this);
  }

 private:
  enum class State { kIdle, kConnecting, kSmtp, kHandshake };

  void AddPhaseTime(int64_t now) {
    phase_ns_[phase_] += now - phase_start_ns_;
    visited_ |= 1u << phase_;
    phase_start_ns_ = now;
  }

  // Every phase boundary reads the clock itself: the loop's cached time is
  // from before this callback's work, and a whole handshake can complete
  // inside one callback when the peer's flight is already waiting.
  void EnterPhase(Phase p) {
    int64_t now = net::MonotonicNanos();
    if (p != phase_) {
      AddPhaseTime(now);
      phase_ = p;
    }
    w_->loop_->timers().Arm(this, now, Nanos(w_->spec_.phase_timeout));
  }

  // Acts on what the dialogue asks for. Returns false if the session ended.
  bool HandleStep(const smtp::Step& step) {
    switch (step.kind) {
      case smtp::Step::kWait:
        EnterPhase(EnginePhase(dialogue_.phase()));
        state_ = State::kSmtp;
        return true;
      case smtp::Step::kSend:
        EnterPhase(EnginePhase(dialogue_.phase()));
        state_ = State::kSmtp;
        return Queue(step.bytes);
      case smtp::Step::kStartTls:
        EnterPhase(kTls);
        return BeginHandshake();
      case smtp::Step::kDone:
        Finish("ok");
        return false;
      case smtp::Step::kFail:
        Finish(FailureOutcome(step));
        return false;
    }
    return false;
  }

  std::string FailureOutcome(const smtp::Step& step) const {
    return smtp::FailureCategory(step, PhaseName(phase_));
  }

  // Queues |bytes| for the next |Flush|, through TLS once it is up. Returns
  // false if the session ended.
  bool Queue(absl::string_view bytes) {
    if (ssl_ == nullptr) {
      transport_.out.append(bytes.data(), bytes.size());
      return true;
    }
    // The transport takes every byte, so SSL_write never writes part.
    if (bytes.empty()) return true;
    int n = SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size()));
    if (n <= 0) {
      int err = SSL_get_error(ssl_.get(), n);
      Finish(outcome::TlsFailureCategory(ssl_.get(), err, transport_.error, PhaseName(phase_)));
      ERR_clear_error();
      return false;
    }
    return true;
  }

  // Sends what is queued: one send, unless the kernel takes only part (then
  // the rest waits for the next EPOLLOUT). Returns false if the session ended.
  bool Flush() {
    std::string& out = transport_.out;
    int err = net::SendFrom(fd_, out, &out_off_, &calls_);
    if (err == EAGAIN) {
      if (!no_delay_) {
        // The rest leaves in a later send, which Nagle's algorithm could
        // hold until the first part is acknowledged.
        no_delay_ = true;
        ++calls_.setsockopt;
        net::SetNoDelay(fd_);
      }
      return true;
    }
    if (err != 0) {
      Finish(ErrnoCategory(err, phase_));
      return false;
    }
    out.clear();
    out_off_ = 0;
    return true;
  }

  // Receives what the socket holds and consumes it. Returns false if the
  // session ended.
  bool ReadAll(uint32_t events) {
    char* buf = w_->read_buffer_.get();
    bool peer_done = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    for (;;) {
      ++calls_.recv;
      ssize_t n = recv(fd_, buf, kReadChunk, 0);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return true;
        transport_.error = errno;
      } else if (n == 0) {
        transport_.eof = true;
      }
      transport_.in = absl::string_view(buf, static_cast<size_t>(std::max<ssize_t>(n, 0)));
      // Every consumer takes all of |in|: the reply parser keeps a partial
      // line itself, BoringSSL a partial record, and bytes left after the
      // 220 to STARTTLS end the session (response injection).
      if (!Consume()) return false;
      transport_.in = absl::string_view();
      if (transport_.eof || transport_.error != 0) return true;
      if (static_cast<size_t>(n) == kReadChunk) continue;  // more may wait
      // The peer's close or reset came with this data: the kernel signals it
      // only once, so learn it now rather than at the deadline.
      if (peer_done) {
        peer_done = false;
        continue;
      }
      return true;
    }
  }

  // Consumes |transport_.in| (and its end of file or error) in the current
  // state. Returns false if the session ended.
  bool Consume() {
    if (state_ == State::kHandshake) {
      if (!ContinueHandshake()) return false;
      if (state_ == State::kHandshake) return true;
    }
    if (state_ != State::kSmtp) return true;
    if (ssl_ != nullptr) return ConsumeTls();
    return ConsumePlain();
  }

  bool ConsumePlain() {
    absl::string_view& in = transport_.in;
    while (!in.empty()) {
      size_t consumed = 0;
      smtp::ParseResult r = parser_.Feed(in, &consumed);
      in.remove_prefix(consumed);
      if (r == smtp::ParseResult::kNeedMore) break;
      if (r == smtp::ParseResult::kError) {
        Finish(absl::StrCat("protocol_violation:", smtp::ReplyErrorName(parser_.error())));
        return false;
      }
      // Bytes left in |in| were received before whatever this reply makes us
      // send: the dialogue refuses them as the answer to it (a reply before
      // its command, or STARTTLS response injection).
      const smtp::Reply reply = parser_.TakeReply();
      long_reply_lines_ += reply.long_lines;
      smtp::Step step = dialogue_.OnReply(reply, /*more_received=*/!in.empty());
      if (!HandleStep(step)) return false;
      if (state_ != State::kSmtp) return true;  // the handshake has begun
    }
    if (transport_.error != 0) {
      if (transport_.error == ECONNRESET && dialogue_.phase() == smtp::Phase::kQuit) {
        return HandleStep(dialogue_.OnConnectionClosed());
      }
      Finish(ErrnoCategory(transport_.error, phase_));
      return false;
    }
    if (transport_.eof) return HandleStep(dialogue_.OnConnectionClosed());
    return true;
  }

  bool ConsumeTls() {
    char* plain = w_->plain_buffer_.get();
    for (;;) {
      int r = SSL_read(ssl_.get(), plain, static_cast<int>(kReadChunk));
      if (r <= 0) {
        int err = SSL_get_error(ssl_.get(), r);
        if (err == SSL_ERROR_WANT_READ) return true;
        int saved = transport_.error;
        if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && saved == 0)) {
          ERR_clear_error();
          return HandleStep(dialogue_.OnConnectionClosed());
        }
        if (err == SSL_ERROR_SYSCALL) {
          ERR_clear_error();
          if (phase_ == kPostTls && dialogue_.phase() == smtp::Phase::kQuit) {
            return HandleStep(dialogue_.OnConnectionClosed());
          }
          Finish(ErrnoCategory(saved, phase_));
          return false;
        }
        // An alert after the handshake (TLS 1.3 certificate_required, say)
        // keeps its name, as during it.
        Finish(outcome::TlsFailureCategory(ssl_.get(), err, saved, PhaseName(phase_)));
        ERR_clear_error();
        return false;
      }
      absl::string_view in(plain, static_cast<size_t>(r));
      while (!in.empty()) {
        size_t consumed = 0;
        smtp::ParseResult pr = parser_.Feed(in, &consumed);
        in.remove_prefix(consumed);
        if (pr == smtp::ParseResult::kNeedMore) break;
        if (pr == smtp::ParseResult::kError) {
          Finish(absl::StrCat("protocol_violation:", smtp::ReplyErrorName(parser_.error())));
          return false;
        }
        const smtp::Reply reply = parser_.TakeReply();
        long_reply_lines_ += reply.long_lines;
        if (!HandleStep(dialogue_.OnReply(reply, /*more_received=*/!in.empty()))) return false;
      }
    }
  }

  bool BeginHandshake() {
    absl::StatusOr<bssl::UniquePtr<SSL>> ssl =
        tls::NewClientConnection(w_->ctx_.get(), offer_session_);
    if (!ssl.ok() || !tls::AttachBufferTransport(ssl->get(), &transport_)) {
      Finish("local_resource:ssl");
      return false;
    }
    ssl_ = std::move(*ssl);
    state_ = State::kHandshake;
    return ContinueHandshake();
  }

  bool ContinueHandshake() {
    int rc = SSL_do_handshake(ssl_.get());
    if (rc == 1) {
      info_ = tls::ReadHandshakeInfo(ssl_.get());
      if (info_.peer_key.evp_type != EVP_PKEY_NONE && !(peer_key_cached_ == info_.peer_key)) {
        peer_key_cached_ = info_.peer_key;
        peer_key_name_ = info_.peer_key.ToString();
      }
      if (w_->spec_.target.tls_only) {
        // Our last flight (the TLS 1.3 Finished) leaves before the close.
        if (Flush()) Finish("ok");
        return false;
      }
      state_ = State::kSmtp;
      return HandleStep(dialogue_.OnTlsEstablished());
    }
    int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_WANT_READ) return true;
    Finish(HandshakeFailure(err));
    return false;
  }

  std::string HandshakeFailure(int ssl_error) {
    std::string out =
        outcome::TlsFailureCategory(ssl_.get(), ssl_error, transport_.error, "tls");
    ERR_clear_error();
    return out;
  }

  Worker* w_;
  int fd_ = -1;
  State state_ = State::kIdle;
  bssl::UniquePtr<SSL> ssl_;
  // Received bytes being consumed, and everything queued to send (SMTP
  // commands before STARTTLS, TLS records after): the SSL's transport too.
  tls::BufferTransport transport_;
  size_t out_off_ = 0;   // of transport_.out, already sent
  bool no_delay_ = false;
  // The peer's close or reset was signalled (EPOLLRDHUP, EPOLLHUP, EPOLLERR).
  bool peer_closed_ = false;
  net::SyscallCounts calls_;  // this session's, from socket() to close()
  smtp::ClientDialogue dialogue_;
  smtp::ReplyParser parser_;
  int64_t long_reply_lines_ = 0;  // tolerated in this session's replies
  bool offer_session_ = false;
  int64_t scheduled_ns_ = 0, start_ns_ = 0, phase_start_ns_ = 0;
  Phase phase_ = kConnect;
  int64_t phase_ns_[kPhaseCount] = {};
  uint32_t visited_ = 0;
  tls::HandshakeInfo info_;
  tls::KeyDescription peer_key_cached_;
  std::string peer_key_name_;
};

int64_t Engine::Worker::NextGap() {
  double mean_ns = 1e9 / rate_;
  if (spec_.arrivals == RunSpec::Arrivals::kPoisson) {
    std::exponential_distribution<double> exp(1.0 / mean_ns);
    return static_cast<int64_t>(exp(rng_));
  }
  return static_cast<int64_t>(mean_ns);
}

bool Engine::Worker::MayStart(int64_t now) {
  if (draining_) return false;
  if (stop_.load(std::memory_order_relaxed)) return false;
  if (spec_.handshakes > 0) {
    if (now < engine_->measure_start_ns_) return true;  // warm-up takes no ticket
    if (engine_->tickets_.fetch_sub(1, std::memory_order_relaxed) <= 0) return false;
    return true;
  }
  return now < engine_->measure_start_ns_ + Nanos(spec_.duration);
}

bool Engine::Worker::MayStartPeek(int64_t now) const {
  if (stop_.load(std::memory_order_relaxed)) return false;
  if (spec_.handshakes > 0) {
    return now < engine_->measure_start_ns_ ||
           engine_->tickets_.load(std::memory_order_relaxed) > 0;
  }
  return now < engine_->measure_start_ns_ + Nanos(spec_.duration);
}

void Engine::Worker::Launch(Session* s, int64_t scheduled_ns) {
  ++in_flight_local_;
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  s->Begin(scheduled_ns);
}

void Engine::Worker::SessionEnded(Session* s) {
  --in_flight_local_;
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  if (rate_ == 0) {
    to_launch_.push_back(s);  // restarted after this dispatch round, never recursively
  } else {
    idle_.push_back(s);
  }
}

void Engine::Worker::Publish() {
  std::lock_guard<std::mutex> lock(published_mu_);
  published_total_ = rec_.phases.phase(kTotal);
}

// Called at every loop turn while measuring: one comparison unless a window
// has ended (or windows are off).
void Engine::Worker::AdvanceWindow(int64_t now, bool last) {
  const int64_t length = window_length_ns_;
  if (length <= 0 || (!last && now < window_end_ns_)) return;
  const int64_t cpu = stats::ThreadCpuNanos();
  if (window_ >= 0) rec_.window_cpu_ns[window_] += cpu - window_cpu_start_ns_;
  window_cpu_start_ns_ = cpu;
  if (last) return;

  const int64_t index = (now - engine_->measure_start_ns_) / length;
  if (index >= kMaxCpuWindows) {
    window_ = -1;
    window_end_ns_ = INT64_MAX;
    return;
  }
  window_ = index;
  window_end_ns_ = engine_->measure_start_ns_ + (index + 1) * length;
  if (static_cast<int64_t>(rec_.window_cpu_ns.size()) <= index) {
    rec_.window_cpu_ns.resize(index + 1, 0);
    rec_.window_successes.resize(index + 1, 0);
  }
}

void Engine::Worker::Run() {
  int64_t now = loop_->UpdateNow();
  int64_t next_publish = now + kNanosPerSecond;
  if (rate_ == 0) {
    for (int i = 0; i < cap_; ++i) {
      sessions_.push_back(std::make_unique<Session>(this));
      to_launch_.push_back(sessions_.back().get());
    }
  } else {
    // Spread the workers' schedules so that their arrivals interleave.
    next_arrival_ns_ = engine_->start_ns_ + static_cast<int64_t>(
        (1e9 / rate_) * (index_ + spec_.schedule_phase) /
        std::max<size_t>(1, engine_->workers_.size()));
  }
  for (;;) {
    now = loop_->UpdateNow();
    if (!measuring_ && now >= engine_->measure_start_ns_) {
      measuring_ = true;
      cpu_at_measure_start_ = stats::ThisThreadCpuUsage();
    }
    if (measuring_) AdvanceWindow(now, /*last=*/false);
    if (!draining_ && !MayStartPeek(now)) {
      draining_ = true;
      drain_deadline_ns_ = stop_.load(std::memory_order_relaxed)
                               ? now + (abort_.load() ? 0 : Nanos(spec_.stop_grace))
                               : INT64_MAX;
    }
    if (draining_ && abort_.load(std::memory_order_relaxed)) drain_deadline_ns_ = now;
    if (draining_ && stop_.load(std::memory_order_relaxed) && drain_deadline_ns_ == INT64_MAX) {
      drain_deadline_ns_ = now + Nanos(spec_.stop_grace);
    }
    if (draining_ && now >= drain_deadline_ns_) {
      for (auto& s : sessions_) {
        if (s->active()) s->Finish("interrupted");
      }
    }
    if (rate_ == 0) {
      std::vector<Session*> launch;
      launch.swap(to_launch_);
      for (Session* s : launch) {
        if (MayStart(now)) {
          Launch(s, /*scheduled_ns=*/-1);
        } else {
          idle_.push_back(s);
        }
      }
    } else {
      while (next_arrival_ns_ <= now && in_flight_local_ < cap_) {
        if (!MayStart(now)) break;
        Session* s;
        if (!idle_.empty()) {
          s = idle_.back();
          idle_.pop_back();
        } else {
          sessions_.push_back(std::make_unique<Session>(this));
          s = sessions_.back().get();
        }
        Launch(s, next_arrival_ns_);
        next_arrival_ns_ += NextGap();
      }
    }
    if (draining_ && in_flight_local_ == 0 && to_launch_.empty()) break;
    if (now >= next_publish) {
      Publish();
      next_publish = now + kNanosPerSecond;
    }
    int64_t wait = 100 * 1000000;
    if (rate_ > 0 && !draining_ && in_flight_local_ < cap_) {
      wait = std::max<int64_t>(0, std::min(wait, next_arrival_ns_ - now));
    }
    if (!measuring_) wait = std::max<int64_t>(0, std::min(wait, engine_->measure_start_ns_ - now));
    if (!to_launch_.empty()) wait = 0;
    if (draining_ && drain_deadline_ns_ != INT64_MAX) {
      wait = std::max<int64_t>(0, std::min(wait, drain_deadline_ns_ - now));
    }
    if (measuring_) ++rec_.epoll_waits;
    loop_->RunOnce(wait);
  }
  Publish();
  if (measuring_) AdvanceWindow(now, /*last=*/true);
  if (measuring_) {
    stats::ThreadCpuUsage cpu = stats::ThisThreadCpuUsage();
    rec_.cpu_user_ns = cpu.user_ns - cpu_at_measure_start_.user_ns;
    rec_.cpu_system_ns = cpu.system_ns - cpu_at_measure_start_.system_ns;
  }
  done_.store(true, std::memory_order_release);
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Start(const RunSpec& spec) {
  if (absl::Status s = spec.Validate(); !s.ok()) return s;
  std::unique_ptr<Engine> engine(new Engine());
  engine->spec_ = spec;
  const RunSpec& sp = engine->spec_;
  engine->tickets_.store(sp.handshakes, std::memory_order_relaxed);
  for (int i = 0; i < sp.threads; ++i) {
    // Each worker has its own context: its own session cache, and no
    // reference-count traffic shared between threads.
    absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = tls::NewClientContext(sp.tls);
    if (!ctx.ok()) return ctx.status();
    absl::StatusOr<std::unique_ptr<net::EventLoop>> loop = net::EventLoop::Create();
    if (!loop.ok()) return loop.status();
    int share = sp.concurrency / sp.threads + (i < sp.concurrency % sp.threads ? 1 : 0);
    engine->workers_.push_back(std::make_unique<Worker>(
        engine.get(), i, share, sp.rate / sp.threads, std::move(*ctx), std::move(*loop)));
  }
  if (absl::Duration wait = sp.start_at - absl::Now(); wait > absl::ZeroDuration()) {
    absl::SleepFor(wait);
  }
  engine->wall_start_ = absl::Now();
  engine->start_ns_ = net::MonotonicNanos();
  engine->measure_start_ns_ = engine->start_ns_ + Nanos(sp.warmup);
  engine->wall_start_unix_ = absl::ToUnixSeconds(engine->wall_start_);
  for (auto& w : engine->workers_) w->StartThread();
  return engine;
}

Engine::~Engine() {
  Stop(/*abort=*/true);
  for (auto& w : workers_) w->Join();
}

bool Engine::Wait(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    bool all = true;
    for (auto& w : workers_) all = all && w->done();
    if (all) return true;
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    absl::SleepFor(std::min(left, absl::Milliseconds(20)));
  }
}

void Engine::Stop(bool abort) {
  interrupted_.store(true, std::memory_order_relaxed);
  for (auto& w : workers_) w->RequestStop(abort);
}

Progress Engine::GetProgress() const {
  Progress p;
  int64_t now = net::MonotonicNanos();
  p.elapsed = absl::Nanoseconds(now - start_ns_);
  p.warming_up = now < measure_start_ns_;
  stats::LatencyHistogram total = *stats::LatencyHistogram::Create(kHistogramConfig);
  for (const auto& w : workers_) w->AddProgress(&p, &total);
  p.p50_ns = total.ValueAtPercentile(50);
  p.p99_ns = total.ValueAtPercentile(99);
  return p;
}

RunResult Engine::TakeResult() {
  RunResult r;
  r.start = wall_start_ + spec_.warmup;
  r.interrupted = interrupted_.load(std::memory_order_relaxed);
  int64_t end_ns = measure_start_ns_;
  int64_t user_ns = 0, system_ns = 0;
  absl::flat_hash_map<uint16_t, int64_t> versions, suites, groups, sigalgs;
  int64_t full = 0, resumed = 0, long_reply_lines = 0;
  for (auto& w : workers_) {
    w->Join();
    Recorder& rec = w->recorder();
    r.attempted += rec.attempted;
    r.succeeded += rec.succeeded;
    r.failed += rec.failed;
    r.warmup_attempts += rec.warmup_attempts;
    r.outcomes.Merge(rec.outcomes).IgnoreError();
    r.phases.Merge(rec.phases).IgnoreError();
    r.series.Merge(rec.series).IgnoreError();
    r.schedule_lag.Merge(rec.schedule_lag).IgnoreError();
    for (auto& [k, v] : rec.versions) versions[k] += v;
    for (auto& [k, v] : rec.cipher_suites) suites[k] += v;
    for (auto& [k, v] : rec.groups) groups[k] += v;
    for (auto& [k, v] : rec.sigalgs) sigalgs[k] += v;
    for (auto& [k, v] : rec.peer_keys) r.peer_keys.Add(k, v).IgnoreError();
    full += rec.full;
    resumed += rec.resumed;
    long_reply_lines += rec.long_reply_lines;
    user_ns += rec.cpu_user_ns;
    system_ns += rec.cpu_system_ns;
    r.syscalls.Add(rec.syscalls);
    r.epoll_waits += rec.epoll_waits;
    stats::AddElementwise(rec.window_successes, &r.window_successes);
    stats::AddElementwise(rec.window_cpu_ns, &r.window_cpu_ns);
    end_ns = std::max(end_ns, rec.last_outcome_ns);
  }
  r.measured = absl::Nanoseconds(end_ns - measure_start_ns_);
  if (!r.window_cpu_ns.empty()) r.cpu_window = spec_.cpu_window;
  for (auto& [k, v] : versions) r.versions.Add(tls::VersionName(k), v).IgnoreError();
  for (auto& [k, v] : suites) r.cipher_suites.Add(tls::CipherName(k), v).IgnoreError();
  for (auto& [k, v] : groups) r.groups.Add(tls::GroupName(k), v).IgnoreError();
  for (auto& [k, v] : sigalgs) r.signature_algorithms.Add(tls::SigalgName(k), v).IgnoreError();
  if (full > 0) r.resumption.Add("full", full).IgnoreError();
  if (resumed > 0) r.resumption.Add("resumed", resumed).IgnoreError();
  if (long_reply_lines > 0) r.deviations.Add("long_reply_lines", long_reply_lines).IgnoreError();
  r.client_cpu_user_seconds = static_cast<double>(user_ns) / 1e9;
  r.client_cpu_system_seconds = static_cast<double>(system_ns) / 1e9;
  r.client_cpu_seconds = r.client_cpu_user_seconds + r.client_cpu_system_seconds;
  return r;
}

}  // namespace mailshake::engine
