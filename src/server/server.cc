#include "src/server/server.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include <mutex>
#include "src/net/event_loop.h"
#include "src/net/socket.h"
#include "src/server/testing.h"
#include "src/smtp/dialogue.h"
#include "src/stats/cpu_time.h"
#include "src/tls/transport.h"

namespace mailshake::server {
namespace {

// Bytes read per call; the dialogue keeps at most one line of them.
constexpr size_t kReadChunk = 16 * 1024;
// While more output than this waits, the connection reads no more input, so
// a client that pipelines without reading cannot grow our buffers.
constexpr size_t kMaxPendingOutput = 64 * 1024;
constexpr int kBacklog = 4096;
constexpr int kMaxAcceptsPerWakeup = 64;
// A listener ready in more loop rounds in a row than this has a queue.
constexpr int kReadyRoundsBeforeBatch = 2;

int64_t Nanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

void AddCounts(std::map<std::string, uint64_t>* into,
               const std::map<std::string, uint64_t>& from) {
  for (const auto& [key, count] : from) (*into)[key] += count;
}

}  // namespace

void ServerStats::Merge(const ServerStats& other) {
  connections += other.connections;
  rejected_over_capacity += other.rejected_over_capacity;
  open += other.open;
  handshakes += other.handshakes;
  resumed += other.resumed;
  messages += other.messages;
  starttls_discarded_bytes += other.starttls_discarded_bytes;
  cpu_seconds += other.cpu_seconds;
  cpu_user_seconds += other.cpu_user_seconds;
  cpu_system_seconds += other.cpu_system_seconds;
  seconds = std::max(seconds, other.seconds);
  AddCounts(&closed, other.closed);
  AddCounts(&tls_failures, other.tls_failures);
  AddCounts(&versions, other.versions);
  AddCounts(&cipher_suites, other.cipher_suites);
  AddCounts(&groups, other.groups);
  AddCounts(&signature_algorithms, other.signature_algorithms);
  syscalls.Add(other.syscalls);
  epoll_waits += other.epoll_waits;
}

uint64_t ServerStats::FinishedConnections() const {
  uint64_t n = rejected_over_capacity;
  for (const auto& [reason, count] : closed) n += count;
  return n;
}

std::string ServerStats::ToString() const {
  std::string out = absl::StrFormat(
      "connections %d (open %d, rejected over capacity %d), handshakes %d "
      "(resumed %d), messages %d, pipelined plaintext discarded after STARTTLS %d "
      "bytes\n  cpu %.3f s",
      connections, open, rejected_over_capacity, handshakes, resumed, messages,
      starttls_discarded_bytes, cpu_seconds);
  if (cpu_user_seconds + cpu_system_seconds > 0) {
    absl::StrAppendFormat(&out, " (user %.3f s, system %.3f s)", cpu_user_seconds,
                          cpu_system_seconds);
  }
  if (handshakes > 0 && cpu_seconds > 0) {
    absl::StrAppendFormat(&out, ", %.1f us per handshake, %.0f handshakes per CPU-second",
                          cpu_seconds * 1e6 / handshakes, handshakes / cpu_seconds);
    if (seconds > 0) {
      absl::StrAppendFormat(&out, " (at %.0f handshakes/s over %.1f s)", handshakes / seconds,
                            seconds);
    }
  }
  absl::StrAppend(&out, "\n");
  auto section = [&out](absl::string_view title, const std::map<std::string, uint64_t>& m) {
    if (m.empty()) return;
    absl::StrAppend(&out, "  ", title, ":");
    for (const auto& [key, count] : m) absl::StrAppend(&out, " ", key, "=", count);
    absl::StrAppend(&out, "\n");
  };
  section("closed", closed);
  section("tls failures", tls_failures);
  section("versions", versions);
  section("cipher suites", cipher_suites);
  section("groups", groups);
  section("signature algorithms", signature_algorithms);
  const net::SyscallCounts& c = syscalls;
  absl::StrAppendFormat(&out,
                        "  syscalls: accept4=%d recv=%d send=%d epoll_ctl=%d close=%d "
                        "setsockopt=%d getsockopt=%d epoll_wait=%d\n",
                        c.accept, c.recv, c.send, c.epoll_ctl, c.close, c.setsockopt,
                        c.getsockopt, epoll_waits);
  if (uint64_t n = FinishedConnections(); n > 0) {
    double d = static_cast<double>(n);
    absl::StrAppendFormat(&out,
                          "  syscalls per connection %.2f (accept4 %.2f, recv %.2f, send %.2f, "
                          "epoll_ctl %.2f, close %.2f) + %.2f epoll_wait\n",
                          c.Total() / d, c.accept / d, c.recv / d, c.send / d, c.epoll_ctl / d,
                          c.close / d, epoll_waits / d);
  }
  return out;
}

// One thread: an epoll loop, its own listeners and SSL_CTX, its connections.
class Server::Worker {
 public:
  Worker(const ServerOptions& options, std::atomic<int>* open_total,
         bssl::UniquePtr<SSL_CTX> ctx, std::unique_ptr<net::EventLoop> loop)
      : options_(options),
        open_total_(open_total),
        ctx_(std::move(ctx)),
        loop_(std::move(loop)),
        read_buffer_(new char[kReadChunk]),
        plain_buffer_(new char[kReadChunk]) {}

  ~Worker() {
    RequestStop();
    Join();
  }

  absl::Status AddListener(net::UniqueFd fd, bool implicit_tls) {
    auto listener = std::make_unique<Listener>(this, std::move(fd), implicit_tls);
    if (absl::Status s = loop_->Add(listener->fd.get(), EPOLLIN, listener.get()); !s.ok()) {
      return s;
    }
    listeners_.push_back(std::move(listener));
    return absl::OkStatus();
  }

  void StartThread(int index, int64_t start_ns) {
    start_ns_ = start_ns;
    thread_ = std::thread([this, index] {
      pthread_setname_np(pthread_self(), absl::StrCat("ms-serve-", index).c_str());
      Run();
    });
  }

  void RequestStop() {
    stop_.store(true, std::memory_order_relaxed);
    loop_->Wakeup();
  }

  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  // Takes |fd|, accepted on a listener of the given kind: answered 421 and
  // closed when the server is full, otherwise served.
  void Adopt(int fd, bool implicit_tls);

  // One round of the loop: waits at most |max_wait_ns| (less if a timer is
  // due), dispatches events and due timers, then recycles what closed.
  void RunOnce(int64_t max_wait_ns);

  // Closes every open connection, counting it under |reason|.
  void CloseAll(const char* reason);

  // Output produced but not yet written, over the open connections.
  size_t QueuedOutput() const;

  net::EventLoop& loop() { return *loop_; }

  ServerStats Snapshot() const {
    ServerStats out;
    {
      std::lock_guard<std::mutex> lock(mu_);
      out = stats_;
    }
    out.cpu_seconds = static_cast<double>(CpuNanos()) / 1e9;
    out.epoll_waits = static_cast<uint64_t>(epoll_waits_.load(std::memory_order_relaxed));
    if (finished_.load(std::memory_order_acquire)) {
      out.cpu_user_seconds = static_cast<double>(final_user_ns_) / 1e9;
      out.cpu_system_seconds = static_cast<double>(final_system_ns_) / 1e9;
    }
    return out;
  }

  // CPU time of this worker's thread: read live through its CPU clock while
  // it runs, and as recorded by the thread itself once it has finished.
  int64_t CpuNanos() const {
    if (!finished_.load(std::memory_order_acquire) && thread_.joinable()) {
      clockid_t clock;
      timespec ts;
      if (pthread_getcpuclockid(const_cast<std::thread&>(thread_).native_handle(), &clock) == 0 &&
          clock_gettime(clock, &ts) == 0) {
        return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
      }
    }
    return final_cpu_ns_.load(std::memory_order_acquire);
  }

 private:
  struct Listener : net::EventLoop::Handler {
    Listener(Worker* w, net::UniqueFd f, bool implicit)
        : worker(w), fd(std::move(f)), implicit_tls(implicit) {}
    void OnEvents(uint32_t) override { worker->AcceptAll(this); }
    Worker* worker;
    net::UniqueFd fd;
    bool implicit_tls;
    // Loop rounds in a row in which it was ready, up to the last one.
    int64_t last_ready_round = -2;
    int ready_rounds = 0;
  };

  class Connection;

  void Run();
  void AcceptAll(Listener* listener);
  void Retire(Connection* c);
  bool InStallWindow() const {
    if (options_.stall_delay <= absl::ZeroDuration()) return false;
    int64_t since = loop_->now() - start_ns_;
    return since >= Nanos(options_.stall_after) &&
           since < Nanos(options_.stall_after + options_.stall_for);
  }

  template <typename F>
  void Update(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    f(stats_);
  }

  const ServerOptions& options_;
  std::atomic<int>* open_total_;
  bssl::UniquePtr<SSL_CTX> ctx_;
  std::unique_ptr<net::EventLoop> loop_;
  // Shared by the connections: each consumes all it received, and encrypts
  // all its replies, before its event handler returns.
  std::unique_ptr<char[]> read_buffer_;   // received bytes
  std::unique_ptr<char[]> plain_buffer_;  // decrypted bytes
  std::string replies_;                   // replies waiting for SSL_write
  std::vector<std::unique_ptr<Listener>> listeners_;
  // Every connection object this worker made; they are recycled, not freed.
  std::vector<std::unique_ptr<Connection>> all_;
  // Objects free for the next accepted connection.
  std::vector<Connection*> free_;
  // Closed during this dispatch round: reusable only after it, because later
  // events of the same round may still name them.
  std::vector<Connection*> retired_;
  // Connections to go on reading in the next round (Connection::Pump), and
  // the list being worked through.
  std::vector<Connection*> deferred_;
  std::vector<Connection*> running_deferred_;
  int64_t start_ns_ = 0;  // the server's start, for the stall window
  int64_t round_ = 0;     // loop rounds (epoll_wait calls) so far
  std::atomic<int64_t> epoll_waits_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<int64_t> final_cpu_ns_{0};
  // Written by the thread before |finished_| is set, read only after.
  int64_t final_user_ns_ = 0;
  int64_t final_system_ns_ = 0;
  std::thread thread_;

  // std::mutex rather than absl::Mutex: Debian's Abseil is not built for TSan,
  // which then cannot see its locking.
  mutable std::mutex mu_;
  ServerStats stats_;  // guarded by mu_
};

// One client connection; the object is reused for the next.
//
// I/O, as the engine's sessions do it: the socket is registered once,
// edge-triggered, for reading and writing, so no epoll_ctl follows the ADD
// (close() ends the registration: the server never shares its descriptors).
// Input is read with one recv into the worker's buffer (another only when it
// came back full, or when the peer's close or reset was signalled with the
// data), and all of it is consumed before the next recv: by the dialogue in
// plaintext, or by BoringSSL through |tls::BufferTransport| and the dialogue
// after it, so the buffer can serve every connection. The replies and TLS
// records that handling produces (a handshake flight, session tickets and the
// banner; several pipelined replies) leave with one send.
//
// Reading stops while more than kMaxPendingOutput octets wait to be sent,
// after STARTTLS until its 220 is sent (what was pipelined behind STARTTLS is
// discarded by the dialogue; nothing of it reaches TLS), and once the
// dialogue has ended. Edge-triggered epoll reports input once, so |readable_|
// remembers that input may be waiting, and reading resumes as soon as what
// stopped it is gone.
class Server::Worker::Connection : public net::EventLoop::Handler,
                                   public net::TimerQueue::Timer {
 public:
  explicit Connection(Worker* worker) : worker_(worker) {}

  // Takes |fd| (just accepted: one accept4 call) and starts the session.
  void Open(int fd, bool implicit_tls) {
    fd_ = fd;
    implicit_tls_ = implicit_tls;
    state_ = State::kPlain;
    transport_.Reset();
    out_off_ = 0;
    start_tls_after_flush_ = false;
    close_after_flush_ = nullptr;
    readable_ = false;
    writable_ = true;
    peer_done_ = false;
    deferred_ = false;
    read_round_ = -1;
    calls_ = net::SyscallCounts();
    calls_.accept = 1;
    smtp::ServerOptions dialogue_options;
    dialogue_options.hostname = worker_->options_.hostname;
    dialogue_options.starttls_offered = !implicit_tls;
    dialogue_options.implicit_tls = implicit_tls;
    dialogue_options.max_message_size = worker_->options_.max_message_size;
    dialogue_.emplace(dialogue_options);
    ++calls_.epoll_ctl;
    if (!worker_->loop_->Add(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this).ok()) {
      Close("io_error");
      return;
    }
    if (implicit_tls) {
      BeginTls();
      return;
    }
    if (worker_->InStallWindow()) {
      // Test aid: hold the banner back, as an overloaded server would.
      state_ = State::kStalled;
      worker_->loop_->timers().Arm(this, worker_->loop_->now(),
                                   Nanos(worker_->options_.stall_delay));
      return;
    }
    Greet();
  }

  void Greet() {
    state_ = State::kPlain;
    dialogue_->Greet(&transport_.out);
    ArmCommandTimer();
    Pump();
  }

  void OnEvents(uint32_t events) override {
    if (state_ == State::kDead) return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable_ = true;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) peer_done_ = true;
    if (events & EPOLLOUT) writable_ = true;
    if (state_ == State::kStalled) {
      if (events & (EPOLLHUP | EPOLLERR)) Close("client_closed");
      return;  // what arrived waits for the banner
    }
    Pump();
  }

  void OnTimerExpired() override {
    if (state_ == State::kDead) return;
    if (state_ == State::kStalled) {
      Greet();
      return;
    }
    if (state_ == State::kHandshake) {
      // A close_notify after the handshake (kClose) that the client never
      // took still ends as what it was.
      Close(close_after_flush_ != nullptr ? close_after_flush_ : "timeout_tls");
      return;
    }
    const char* reason = dialogue_->receiving_data() ? "timeout_data" : "timeout_command";
    if (state_ == State::kTls) {
      std::string& replies = worker_->replies_;
      dialogue_->OnTimeout(&replies);
      Seal();
    } else {
      dialogue_->OnTimeout(&transport_.out);
    }
    SendPending();  // best effort: the client is told why, if it still listens
    Close(reason);
  }

  // Closes the session, counting it under |reason|. The object is recycled
  // after the current dispatch round.
  void Close(const char* reason) {
    if (state_ == State::kDead) return;
    state_ = State::kDead;
    deferred_ = false;
    net::TimerQueue::Cancel(this);
    ssl_.reset();  // before the transport it reads from
    transport_.Reset();
    out_off_ = 0;
    ++calls_.close;
    close(fd_);  // also ends its epoll registration
    fd_ = -1;
    worker_->open_total_->fetch_sub(1, std::memory_order_relaxed);
    worker_->Update([&](ServerStats& s) {
      ++s.closed[reason];
      --s.open;
      s.syscalls.Add(calls_);
    });
    worker_->Retire(this);
  }

  // The next round's work for a connection that |Pump| deferred.
  void RunDeferred() {
    if (!deferred_) return;  // closed since
    deferred_ = false;
    Pump();
  }

  bool dead() const { return state_ == State::kDead; }
  size_t queued_output() const { return dead() ? 0 : transport_.out.size() - out_off_; }

 private:
  enum class State { kStalled, kPlain, kHandshake, kTls, kDead };
  enum class SendResult { kDone, kBlocked, kError };

  void ArmCommandTimer() {
    absl::Duration d = dialogue_->receiving_data() ? worker_->options_.data_timeout
                                                   : worker_->options_.command_timeout;
    worker_->loop_->timers().Arm(this, worker_->loop_->now(), Nanos(d));
  }

  bool ReadingAllowed() const {
    return (state_ == State::kPlain || state_ == State::kHandshake || state_ == State::kTls) &&
           !start_tls_after_flush_ && close_after_flush_ == nullptr &&
           transport_.out.size() - out_off_ <= kMaxPendingOutput;
  }

  // Sends what waits from before, reads and consumes while reading is
  // allowed and input may wait, then sends what that produced. One such
  // batch of reads per loop round: if sending lifted what had stopped the
  // reading (a backed-up output queue, a STARTTLS), the rest is read in the
  // next round, so a client that pipelines without end gets one batch per
  // round like every other connection, and every read of a batch happens
  // before any of the batch's replies was sent.
  void Pump() {
    if (!Flush()) return;
    if (!readable_ || !ReadingAllowed()) return;
    if (read_round_ == worker_->round_) {
      Defer();
      return;
    }
    read_round_ = worker_->round_;
    while (readable_ && ReadingAllowed()) {
      if (!ReadOnce()) return;
    }
    if (!Flush()) return;
    if (readable_ && ReadingAllowed()) Defer();
  }

  void Defer() {
    if (deferred_) return;
    deferred_ = true;
    worker_->deferred_.push_back(this);
  }


  // One recv into the worker's buffer, consumed at once. Returns false if the
  // connection was closed.
  bool ReadOnce() {
    char* buf = worker_->read_buffer_.get();
    ++calls_.recv;
    ssize_t n = recv(fd_, buf, kReadChunk, 0);
    if (n < 0) {
      if (errno == EINTR) return true;
      readable_ = false;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      transport_.error = errno;
    } else if (n == 0) {
      readable_ = false;
      transport_.eof = true;
    } else if (static_cast<size_t>(n) < kReadChunk && !peer_done_) {
      // Drained: what arrives later is a new edge. After a signalled close
      // or reset, read on until it shows (the kernel signals it only once).
      readable_ = false;
    }
    transport_.in = absl::string_view(buf, static_cast<size_t>(std::max<ssize_t>(n, 0)));
    bool alive = Consume();
    transport_.in = absl::string_view();
    return alive;
  }

  // Consumes |transport_.in| (or its end of file or error) in the current
  // state. Returns false if the connection was closed.
  bool Consume() {
    switch (state_) {
      case State::kPlain:
        return ConsumePlain();
      case State::kHandshake:
        return ContinueHandshake();
      case State::kTls:
        return ConsumeTls();
      default:
        return state_ != State::kDead;
    }
  }

  bool ConsumePlain() {
    if (!transport_.in.empty()) {
      // After STARTTLS the dialogue discards the rest of |in|.
      Dialogue(transport_.in, &transport_.out);
      return true;
    }
    if (transport_.eof) {
      // A client that half-closed still reads: the replies to what it sent
      // before are due (best effort, as for a timeout's 421).
      SendPending();
      Close("client_closed");
    } else {
      Close("reset");
    }
    return false;
  }

  // Runs the dialogue on |in|, its replies appended to |*replies|, and notes
  // what it asks for.
  void Dialogue(absl::string_view in, std::string* replies) {
    size_t before = replies->size();
    smtp::ServerCounters last = dialogue_->counters();
    smtp::ServerAction action = dialogue_->Consume(in, replies);
    if (replies->size() != before) ArmCommandTimer();
    const smtp::ServerCounters& now = dialogue_->counters();
    uint64_t discarded = now.discarded_after_starttls - last.discarded_after_starttls;
    uint64_t messages = now.messages_accepted - last.messages_accepted;
    if (discarded != 0 || messages != 0) {
      worker_->Update([&](ServerStats& s) {
        s.starttls_discarded_bytes += discarded;
        s.messages += messages;
      });
    }
    if (action == smtp::ServerAction::kStartTls) {
      start_tls_after_flush_ = true;
    } else if (action == smtp::ServerAction::kClose) {
      close_after_flush_ = *dialogue_->close_reason() ? dialogue_->close_reason() : "closed";
    }
  }

  // Decrypts everything in |transport_.in| and runs the dialogue on it,
  // until the dialogue ends; the replies are encrypted together. Returns
  // false if the connection was closed.
  bool ConsumeTls() {
    char* plain = worker_->plain_buffer_.get();
    std::string& replies = worker_->replies_;
    while (!start_tls_after_flush_ && close_after_flush_ == nullptr) {
      int r = SSL_read(ssl_.get(), plain, static_cast<int>(kReadChunk));
      if (r > 0) {
        Dialogue(absl::string_view(plain, static_cast<size_t>(r)), &replies);
        continue;
      }
      int err = SSL_get_error(ssl_.get(), r);
      if (err == SSL_ERROR_WANT_READ) break;
      ERR_clear_error();
      bool closed = err == SSL_ERROR_ZERO_RETURN ||
                    (err == SSL_ERROR_SYSCALL && transport_.error == 0);
      Seal();
      if (closed) {
        SendPending();  // the replies owed, as in plaintext
        Close("client_closed");
      } else {
        if (transport_.error == 0) SendPending();  // BoringSSL's alert
        Close("reset");
      }
      return false;
    }
    Seal();
    return true;
  }

  // Encrypts the worker's pending replies into the transport's output (one
  // SSL_write: records of up to 16 KiB) and empties them.
  void Seal() {
    std::string& replies = worker_->replies_;
    if (replies.empty()) return;
    // The transport takes every byte, so SSL_write never writes part; it
    // fails only on an SSL already failed, whose connection is closing.
    if (SSL_write(ssl_.get(), replies.data(), static_cast<int>(replies.size())) <= 0) {
      ERR_clear_error();
    }
    replies.clear();
  }

  // Sends the pending output: one send, more only while the kernel takes a
  // part. kBlocked when the rest must wait for writability.
  SendResult SendPending() {
    if (out_off_ == transport_.out.size()) return SendResult::kDone;
    if (!writable_) return SendResult::kBlocked;  // until the next EPOLLOUT
    int err = net::SendFrom(fd_, transport_.out, &out_off_, &calls_);
    if (err == EAGAIN) {
      writable_ = false;
      return SendResult::kBlocked;
    }
    if (err != 0) return SendResult::kError;
    transport_.out.clear();
    out_off_ = 0;
    return SendResult::kDone;
  }

  // Sends the pending output; once all of it left, closes or begins TLS as
  // the dialogue asked. Returns false if the connection was closed.
  bool Flush() {
    switch (SendPending()) {
      case SendResult::kError:
        Close("reset");
        return false;
      case SendResult::kBlocked:
        return true;  // the next EPOLLOUT edge sends the rest
      case SendResult::kDone:
        break;
    }
    if (close_after_flush_ != nullptr) {
      Close(close_after_flush_);
      return false;
    }
    if (start_tls_after_flush_) {
      start_tls_after_flush_ = false;
      BeginTls();
      return state_ != State::kDead;
    }
    return true;
  }

  // The ClientHello comes with the next read.
  void BeginTls() {
    absl::StatusOr<bssl::UniquePtr<SSL>> ssl = tls::NewServerConnection(worker_->ctx_.get());
    if (!ssl.ok() || !tls::AttachBufferTransport(ssl->get(), &transport_)) {
      Close("io_error");
      return;
    }
    ssl_ = std::move(*ssl);
    state_ = State::kHandshake;
    worker_->loop_->timers().Arm(this, worker_->loop_->now(),
                                 Nanos(worker_->options_.tls_timeout));
  }

  bool ContinueHandshake() {
    int rc = SSL_do_handshake(ssl_.get());
    if (rc == 1) return HandshakeDone();
    int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_WANT_READ) return true;
    std::string reason = FailureReason(err);
    worker_->Update([&](ServerStats& s) { ++s.tls_failures[reason]; });
    if (transport_.error == 0) SendPending();  // the alert, if BoringSSL queued one
    Close("tls_failed");
    return false;
  }

  std::string FailureReason(int ssl_error) {
    std::string reason;
    uint32_t packed = ERR_peek_error();
    if (packed != 0) {
      const char* text = ERR_reason_error_string(packed);
      reason = text != nullptr ? text : absl::StrCat("error ", packed);
    } else if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN) {
      reason = "client closed";
    } else {
      reason = absl::StrCat("ssl error ", ssl_error);
    }
    ERR_clear_error();
    if (std::optional<tls::Alert> alert = tls::LastAlert(ssl_.get()); alert.has_value()) {
      absl::StrAppend(&reason, " (", alert->ToString(), ")");
    }
    return reason;
  }

  // Returns false if the connection was closed.
  bool HandshakeDone() {
    tls::HandshakeInfo info = tls::ReadHandshakeInfo(ssl_.get());
    worker_->Update([&](ServerStats& s) {
      ++s.handshakes;
      if (info.resumed) ++s.resumed;
      ++s.versions[tls::VersionName(info.version)];
      ++s.cipher_suites[tls::CipherName(info.cipher_suite)];
      ++s.groups[tls::GroupName(info.group)];
      if (info.signature_algorithm != 0) {
        ++s.signature_algorithms[tls::SigalgName(info.signature_algorithm)];
      }
    });
    if (worker_->options_.after_tls == ServerOptions::AfterTls::kClose) {
      // One close_notify, sent with the last flight; no wait for the client's.
      SSL_shutdown(ssl_.get());
      close_after_flush_ = "after_tls_close";
      return true;
    }
    state_ = State::kTls;
    dialogue_->OnTlsEstablished();
    if (implicit_tls_) dialogue_->Greet(&worker_->replies_);
    ArmCommandTimer();
    // The client may have sent its next command with its Finished message.
    return ConsumeTls();
  }

  Worker* worker_;
  int fd_ = -1;
  bool implicit_tls_ = false;
  State state_ = State::kDead;
  bssl::UniquePtr<SSL> ssl_;
  std::optional<smtp::ServerDialogue> dialogue_;
  // Received bytes being consumed (a view of the worker's buffer), and what
  // waits to be sent (plaintext replies before TLS, records after): the SSL's
  // transport too.
  tls::BufferTransport transport_;
  size_t out_off_ = 0;  // of transport_.out, already sent
  // Input may be waiting in the socket: set by every readable event, cleared
  // by a read that drained it.
  bool readable_ = false;
  // The socket takes output: cleared when a send would block, set by every
  // writable event.
  bool writable_ = true;
  // The peer's close or reset was signalled (EPOLLRDHUP, EPOLLHUP, EPOLLERR).
  bool peer_done_ = false;
  // In the worker's |deferred_| list, to go on reading next round.
  bool deferred_ = false;
  int64_t read_round_ = -1;  // the loop round of the last batch of reads
  bool start_tls_after_flush_ = false;
  const char* close_after_flush_ = nullptr;
  net::SyscallCounts calls_;  // this connection's, from accept4 to close
};

void Server::Worker::RunOnce(int64_t max_wait_ns) {
  ++round_;
  epoll_waits_.store(round_, std::memory_order_relaxed);
  // What the last round deferred comes first; it may defer again.
  running_deferred_.swap(deferred_);
  for (Connection* c : running_deferred_) c->RunDeferred();
  running_deferred_.clear();
  if (!deferred_.empty()) max_wait_ns = 0;  // work is waiting
  loop_->RunOnce(max_wait_ns);
  free_.insert(free_.end(), retired_.begin(), retired_.end());
  retired_.clear();
}

void Server::Worker::CloseAll(const char* reason) {
  for (auto& c : all_) c->Close(reason);
  deferred_.clear();
  free_.insert(free_.end(), retired_.begin(), retired_.end());
  retired_.clear();
}

size_t Server::Worker::QueuedOutput() const {
  size_t queued = 0;
  for (const auto& c : all_) queued += c->queued_output();
  return queued;
}

void Server::Worker::Run() {
  while (!stop_.load(std::memory_order_relaxed)) RunOnce(Nanos(absl::Milliseconds(200)));
  for (auto& listener : listeners_) loop_->Remove(listener->fd.get());
  listeners_.clear();
  CloseAll("shutdown");
  stats::ThreadCpuUsage cpu = stats::ThisThreadCpuUsage();
  final_user_ns_ = cpu.user_ns;
  final_system_ns_ = cpu.system_ns;
  final_cpu_ns_.store(stats::ThreadCpuNanos(), std::memory_order_release);
  finished_.store(true, std::memory_order_release);
}

void Server::Worker::Retire(Connection* c) { retired_.push_back(c); }

// One accept4 per connection where it suffices: the listener is
// level-triggered, so a connection left in its queue is reported by the next
// epoll_wait, while accepting until EAGAIN costs one failed call per wake-up
// (at low rates, one per connection). Only a queue that builds up, which
// shows as the listener being ready round after round, is drained in a batch.
void Server::Worker::AcceptAll(Listener* listener) {
  listener->ready_rounds =
      listener->last_ready_round == round_ - 1 ? listener->ready_rounds + 1 : 1;
  listener->last_ready_round = round_;
  int limit = listener->ready_rounds > kReadyRoundsBeforeBatch ? kMaxAcceptsPerWakeup : 1;
  for (int i = 0; i < limit; ++i) {
    int fd = net::AcceptNonBlocking(listener->fd.get());
    if (fd < 0) {
      // EAGAIN, or a transient error such as EMFILE.
      Update([](ServerStats& s) { ++s.syscalls.accept; });
      if (errno == EAGAIN || errno == EWOULDBLOCK) listener->ready_rounds = 0;
      return;
    }
    Adopt(fd, listener->implicit_tls);
  }
}

void Server::Worker::Adopt(int fd, bool implicit_tls) {
  int open = open_total_->fetch_add(1, std::memory_order_relaxed);
  if (open >= options_.max_connections) {
    open_total_->fetch_sub(1, std::memory_order_relaxed);
    // Counted before the client can see the 421, so that what it sees is
    // already in the statistics.
    Update([](ServerStats& s) { ++s.rejected_over_capacity; });
    if (!implicit_tls) {
      static constexpr char kBusy[] = "421 4.3.2 Too many connections, try again later\r\n";
      ssize_t rc = send(fd, kBusy, sizeof(kBusy) - 1, MSG_NOSIGNAL);
      (void)rc;
    }
    close(fd);
    Update([implicit_tls](ServerStats& s) {
      ++s.syscalls.accept;
      if (!implicit_tls) ++s.syscalls.send;
      ++s.syscalls.close;
    });
    return;
  }
  Update([](ServerStats& s) {
    ++s.connections;
    ++s.open;
  });
  Connection* c;
  if (!free_.empty()) {
    c = free_.back();
    free_.pop_back();
  } else {
    all_.push_back(std::make_unique<Connection>(this));
    c = all_.back().get();
  }
  c->Open(fd, implicit_tls);
}

absl::Status CheckServedChain(const tls::Credential& credential) {
  size_t bytes = 0;
  for (const auto& b : credential.chain) bytes += CRYPTO_BUFFER_len(b.get());
  if (credential.chain.size() > kMaxChainCertificates || bytes > kMaxChainOctets) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the certificate chain has ", credential.chain.size(), " certificates in ", bytes,
        " octets; at most ", kMaxChainCertificates, " certificates and ", kMaxChainOctets,
        " octets are served (clients refuse larger Certificate messages)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  if (options.listen.empty() && options.listen_implicit.empty()) {
    return absl::InvalidArgumentError("no listen address given");
  }
  if (options.tls.credentials.empty()) {
    return absl::InvalidArgumentError("no certificate: give --cert/--key or --self-signed");
  }
  if (options.tls_timeout <= absl::ZeroDuration() ||
      options.command_timeout <= absl::ZeroDuration() ||
      options.data_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeouts must be positive");
  }
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError("max_connections must be at least 1");
  }
  if (options.hostname.empty() || options.hostname.size() > kMaxHostnameOctets) {
    return absl::InvalidArgumentError(absl::StrCat("the host name must be 1 to ",
                                                   kMaxHostnameOctets, " octets"));
  }
  for (char c : options.hostname) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return absl::InvalidArgumentError(
          "the host name must be printable ASCII without spaces (it goes on SMTP lines)");
    }
  }
  for (const tls::Credential& c : options.tls.credentials) {
    if (absl::Status s = CheckServedChain(c); !s.ok()) return s;
  }
  if (options.threads <= 0) {
    options.threads = std::max(1u, std::thread::hardware_concurrency());
  }
  std::unique_ptr<Server> server(new Server());
  server->options_ = std::move(options);
  const ServerOptions& opts = server->options_;

  // One SSL_CTX for all threads: BoringSSL's context is thread-safe, and a
  // shared session cache and ticket key let any thread resume any session.
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = tls::NewServerContext(opts.tls);
  if (!ctx.ok()) return ctx.status();
  for (int i = 0; i < opts.threads; ++i) {
    absl::StatusOr<std::unique_ptr<net::EventLoop>> loop = net::EventLoop::Create();
    if (!loop.ok()) return loop.status();
    SSL_CTX_up_ref(ctx->get());
    server->workers_.push_back(std::make_unique<Worker>(
        opts, &server->open_total_, bssl::UniquePtr<SSL_CTX>(ctx->get()), std::move(*loop)));
  }

  auto bind_all = [&](const std::vector<net::SocketAddress>& addresses, bool implicit,
                      std::vector<net::SocketAddress>* bound) -> absl::Status {
    for (net::SocketAddress address : addresses) {
      for (auto& worker : server->workers_) {
        absl::StatusOr<net::UniqueFd> fd = net::Listen(address, kBacklog, /*reuse_port=*/true);
        if (!fd.ok()) return fd.status();
        if (address.port() == 0) {
          absl::StatusOr<net::SocketAddress> local = net::LocalAddress(fd->get());
          if (!local.ok()) return local.status();
          address = *local;  // the other threads join the port the kernel chose
        }
        if (absl::Status s = worker->AddListener(std::move(*fd), implicit); !s.ok()) return s;
      }
      bound->push_back(address);
    }
    return absl::OkStatus();
  };
  if (absl::Status s = bind_all(opts.listen, false, &server->starttls_); !s.ok()) return s;
  if (absl::Status s = bind_all(opts.listen_implicit, true, &server->implicit_); !s.ok()) {
    return s;
  }
  int64_t start_ns = net::MonotonicNanos();
  server->start_ns_ = start_ns;
  for (size_t i = 0; i < server->workers_.size(); ++i) server->workers_[i]->StartThread(i, start_ns);
  return server;
}

Server::~Server() { Stop(); }

void Server::Stop() {
  for (auto& worker : workers_) worker->RequestStop();
  for (auto& worker : workers_) worker->Join();
  int64_t expected = 0;
  stop_ns_.compare_exchange_strong(expected, net::MonotonicNanos());
}

ServerStats Server::Stats() const {
  ServerStats total;
  for (const auto& worker : workers_) total.Merge(worker->Snapshot());
  int64_t end_ns = stop_ns_.load();
  if (end_ns == 0) end_ns = net::MonotonicNanos();
  total.seconds = static_cast<double>(end_ns - start_ns_) / 1e9;
  return total;
}

int Server::threads() const { return static_cast<int>(workers_.size()); }

// SteppedWorker (testing.h): a Worker whose thread is never started.
SteppedWorker::SteppedWorker() = default;
SteppedWorker::~SteppedWorker() = default;

absl::StatusOr<std::unique_ptr<SteppedWorker>> SteppedWorker::Create(ServerOptions options) {
  std::unique_ptr<SteppedWorker> stepped(new SteppedWorker());
  stepped->options_ = std::make_unique<ServerOptions>(std::move(options));
  stepped->open_total_ = std::make_unique<std::atomic<int>>(0);
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = tls::NewServerContext(stepped->options_->tls);
  if (!ctx.ok()) return ctx.status();
  stepped->clock_ = std::make_unique<net::ManualClock>();
  absl::StatusOr<std::unique_ptr<net::EventLoop>> loop =
      net::EventLoop::Create(stepped->clock_.get());
  if (!loop.ok()) return loop.status();
  stepped->worker_ = std::make_unique<Server::Worker>(
      *stepped->options_, stepped->open_total_.get(), *std::move(ctx), *std::move(loop));
  return stepped;
}

void SteppedWorker::Serve(int fd, bool implicit_tls) {
  net::EventLoop& loop = worker_->loop();
  if (loop.timers().size() == 0) {
    clock_->Set(0);
    loop.UpdateNow();
  }
  worker_->Adopt(fd, implicit_tls);
}

void SteppedWorker::Step() { worker_->RunOnce(0); }

void SteppedWorker::Idle(absl::Duration idle) {
  clock_->Advance(Nanos(idle));
  net::EventLoop& loop = worker_->loop();
  loop.timers().Expire(loop.UpdateNow());
  worker_->RunOnce(0);
}

absl::Duration SteppedWorker::Now() const { return absl::Nanoseconds(clock_->NowNanos()); }

absl::Duration SteppedWorker::NextDeadline() const {
  int64_t next = worker_->loop().timers().NextDeadline();
  return next == INT64_MAX ? absl::InfiniteDuration() : absl::Nanoseconds(next);
}

size_t SteppedWorker::QueuedOutput() const { return worker_->QueuedOutput(); }

void SteppedWorker::CloseAll() { worker_->CloseAll("shutdown"); }

ServerStats SteppedWorker::Stats() const { return worker_->Snapshot(); }

int SteppedWorker::open() const { return open_total_->load(std::memory_order_relaxed); }

size_t SteppedWorker::MaxQueuedOutputBeforeRead() { return kMaxPendingOutput; }

size_t SteppedWorker::ReadChunk() { return kReadChunk; }

}  // namespace mailshake::server
