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

namespace mailshake::server {
namespace {

// Bytes read per call; the dialogue keeps at most one line of them.
constexpr size_t kReadChunk = 16 * 1024;
// While more output than this waits, the connection reads no more input, so
// a client that pipelines without reading cannot grow our buffers.
constexpr size_t kMaxPendingOutput = 64 * 1024;
constexpr int kBacklog = 4096;
constexpr int kMaxAcceptsPerWakeup = 64;

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
        read_buffer_(new char[kReadChunk]) {}

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
  std::unique_ptr<char[]> read_buffer_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  // Every connection object this worker made; they are recycled, not freed.
  std::vector<std::unique_ptr<Connection>> all_;
  // Objects free for the next accepted connection.
  std::vector<Connection*> free_;
  // Closed during this dispatch round: reusable only after it, because later
  // events of the same round may still name them.
  std::vector<Connection*> retired_;
  int64_t start_ns_ = 0;  // the server's start, for the stall window
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

class Server::Worker::Connection : public net::EventLoop::Handler,
                                   public net::TimerQueue::Timer {
 public:
  explicit Connection(Worker* worker) : worker_(worker) {}

  // Takes |fd| and starts the session.
  void Open(int fd, bool implicit_tls) {
    fd_ = fd;
    implicit_tls_ = implicit_tls;
    state_ = State::kPlain;
    out_.clear();
    out_sent_ = 0;
    start_tls_after_flush_ = false;
    close_after_flush_ = nullptr;
    interest_ = 0;
    smtp::ServerOptions dialogue_options;
    dialogue_options.hostname = worker_->options_.hostname;
    dialogue_options.starttls_offered = !implicit_tls;
    dialogue_options.implicit_tls = implicit_tls;
    dialogue_options.max_message_size = worker_->options_.max_message_size;
    dialogue_.emplace(dialogue_options);
    if (!worker_->loop_->Add(fd_, EPOLLIN, this).ok()) {
      Close("io_error");
      return;
    }
    interest_ = EPOLLIN;
    if (implicit_tls) {
      BeginTls();
      return;
    }
    if (worker_->InStallWindow()) {
      // Test aid: hold the banner back, as an overloaded server would.
      state_ = State::kStalled;
      SetInterest(0);  // hang-ups are still reported
      worker_->loop_->timers().Arm(this, worker_->loop_->now(),
                                   Nanos(worker_->options_.stall_delay));
      return;
    }
    Greet();
  }

  void Greet() {
    state_ = State::kPlain;
    dialogue_->Greet(&out_);
    ArmCommandTimer();
    Flush();
  }

  void OnEvents(uint32_t events) override {
    if (state_ == State::kDead) return;
    if (state_ == State::kStalled) {
      if (events & (EPOLLHUP | EPOLLERR)) Close("client_closed");
      return;
    }
    if (state_ == State::kHandshake) {
      ContinueHandshake();
      return;
    }
    if ((events & EPOLLOUT) && !Flush()) return;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ReadAndProcess();
  }

  void OnTimerExpired() override {
    if (state_ == State::kDead) return;
    if (state_ == State::kStalled) {
      SetInterest(EPOLLIN);
      Greet();
      return;
    }
    if (state_ == State::kHandshake) {
      Close("timeout_tls");
      return;
    }
    const char* reason = dialogue_->receiving_data() ? "timeout_data" : "timeout_command";
    dialogue_->OnTimeout(&out_);
    WriteSome();  // best effort: the client is told why, if it still listens
    Close(reason);
  }

  // Closes the session, counting it under |reason|. The object is recycled
  // after the current dispatch round.
  void Close(const char* reason) {
    if (state_ == State::kDead) return;
    state_ = State::kDead;
    net::TimerQueue::Cancel(this);
    worker_->loop_->Remove(fd_);
    ssl_.reset();
    close(fd_);
    fd_ = -1;
    worker_->open_total_->fetch_sub(1, std::memory_order_relaxed);
    worker_->Update([&](ServerStats& s) {
      ++s.closed[reason];
      --s.open;
    });
    worker_->Retire(this);
  }

  bool dead() const { return state_ == State::kDead; }
  size_t queued_output() const { return dead() ? 0 : out_.size() - out_sent_; }

 private:
  enum class State { kStalled, kPlain, kHandshake, kTls, kDead };

  void ArmCommandTimer() {
    absl::Duration d = dialogue_->receiving_data() ? worker_->options_.data_timeout
                                                   : worker_->options_.command_timeout;
    worker_->loop_->timers().Arm(this, worker_->loop_->now(), Nanos(d));
  }

  void SetInterest(uint32_t events) {
    if (events == interest_) return;
    interest_ = events;
    if (!worker_->loop_->Modify(fd_, events, this).ok()) Close("io_error");
  }

  void BeginTls() {
    absl::StatusOr<bssl::UniquePtr<SSL>> ssl = tls::NewServerConnection(worker_->ctx_.get());
    if (!ssl.ok() || !SSL_set_fd(ssl->get(), fd_)) {
      Close("io_error");
      return;
    }
    ssl_ = std::move(*ssl);
    SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    state_ = State::kHandshake;
    worker_->loop_->timers().Arm(this, worker_->loop_->now(),
                                 Nanos(worker_->options_.tls_timeout));
    ContinueHandshake();
  }

  void ContinueHandshake() {
    int rc = SSL_do_handshake(ssl_.get());
    if (rc == 1) {
      HandshakeDone();
      return;
    }
    int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_WANT_READ) {
      SetInterest(EPOLLIN);
      return;
    }
    if (err == SSL_ERROR_WANT_WRITE) {
      SetInterest(EPOLLOUT);
      return;
    }
    std::string reason = FailureReason(err);
    worker_->Update([&](ServerStats& s) { ++s.tls_failures[reason]; });
    Close("tls_failed");
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

  void HandshakeDone() {
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
      SSL_shutdown(ssl_.get());  // one close_notify, no wait for the client's
      Close("after_tls_close");
      return;
    }
    state_ = State::kTls;
    dialogue_->OnTlsEstablished();
    if (implicit_tls_) dialogue_->Greet(&out_);
    ArmCommandTimer();
    if (!Flush()) return;
    // The client may have sent its next command with its Finished message;
    // BoringSSL may already hold it, and epoll would not report it again.
    ReadAndProcess();
  }

  // Reads what is available and feeds it to the dialogue until the socket is
  // drained, output backs up, or the dialogue stops reading.
  void ReadAndProcess() {
    char* buf = worker_->read_buffer_.get();
    while (state_ == State::kPlain || state_ == State::kTls) {
      if (start_tls_after_flush_ || close_after_flush_ != nullptr) break;
      if (out_.size() - out_sent_ > kMaxPendingOutput) break;
      ssize_t n = Read(buf, kReadChunk);
      if (n == -2) break;  // would block
      if (n == 0) {
        // A client that half-closed still reads: the replies to what it
        // sent before are due (best effort, as for a timeout's 421).
        WriteSome();
        Close("client_closed");
        return;
      }
      if (n < 0) {
        Close("reset");
        return;
      }
      size_t before = out_.size();
      smtp::ServerCounters last = dialogue_->counters();
      smtp::ServerAction action =
          dialogue_->Consume(absl::string_view(buf, static_cast<size_t>(n)), &out_);
      if (out_.size() != before) ArmCommandTimer();
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
    Flush();
  }

  // Returns bytes read, 0 at end of stream, -2 when it would block, -1 on error.
  ssize_t Read(char* buf, size_t len) {
    if (state_ == State::kPlain) {
      ssize_t n = recv(fd_, buf, len, 0);
      if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? -2 : -1;
      return n;
    }
    int n = SSL_read(ssl_.get(), buf, static_cast<int>(len));
    if (n > 0) return n;
    int err = SSL_get_error(ssl_.get(), n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return -2;
    ERR_clear_error();
    if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && errno == 0)) return 0;
    return -1;
  }

  // Writes pending output. Returns false if the connection was closed.
  bool Flush() {
    if (!WriteSome()) {
      Close("reset");
      return false;
    }
    if (out_sent_ < out_.size()) {
      SetInterest(EPOLLOUT);  // reading resumes once the client catches up
      return state_ != State::kDead;
    }
    out_.clear();
    out_sent_ = 0;
    if (close_after_flush_ != nullptr) {
      Close(close_after_flush_);
      return false;
    }
    if (start_tls_after_flush_) {
      start_tls_after_flush_ = false;
      BeginTls();
      return state_ != State::kDead;
    }
    SetInterest(EPOLLIN);
    return state_ != State::kDead;
  }

  // Writes as much pending output as the socket takes. False on a hard error.
  bool WriteSome() {
    while (out_sent_ < out_.size()) {
      const char* p = out_.data() + out_sent_;
      size_t len = out_.size() - out_sent_;
      if (state_ == State::kTls) {
        int n = SSL_write(ssl_.get(), p, static_cast<int>(len));
        if (n > 0) {
          out_sent_ += n;
          continue;
        }
        int err = SSL_get_error(ssl_.get(), n);
        if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) return true;
        ERR_clear_error();
        return false;
      }
      ssize_t n = send(fd_, p, len, MSG_NOSIGNAL);
      if (n > 0) {
        out_sent_ += n;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
      return false;
    }
    return true;
  }

  Worker* worker_;
  int fd_ = -1;
  bool implicit_tls_ = false;
  State state_ = State::kDead;
  bssl::UniquePtr<SSL> ssl_;
  std::optional<smtp::ServerDialogue> dialogue_;
  std::string out_;
  size_t out_sent_ = 0;
  bool start_tls_after_flush_ = false;
  const char* close_after_flush_ = nullptr;
  uint32_t interest_ = 0;
};

void Server::Worker::RunOnce(int64_t max_wait_ns) {
  loop_->RunOnce(max_wait_ns);
  free_.insert(free_.end(), retired_.begin(), retired_.end());
  retired_.clear();
}

void Server::Worker::CloseAll(const char* reason) {
  for (auto& c : all_) c->Close(reason);
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

void Server::Worker::AcceptAll(Listener* listener) {
  for (int i = 0; i < kMaxAcceptsPerWakeup; ++i) {
    int fd = net::AcceptNonBlocking(listener->fd.get());
    if (fd < 0) return;  // EAGAIN, or a transient error such as EMFILE
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
  absl::StatusOr<std::unique_ptr<net::EventLoop>> loop = net::EventLoop::Create();
  if (!loop.ok()) return loop.status();
  stepped->worker_ = std::make_unique<Server::Worker>(
      *stepped->options_, stepped->open_total_.get(), *std::move(ctx), *std::move(loop));
  return stepped;
}

void SteppedWorker::Serve(int fd, bool implicit_tls) { worker_->Adopt(fd, implicit_tls); }

void SteppedWorker::Step() { worker_->RunOnce(0); }

void SteppedWorker::Idle(absl::Duration idle) {
  net::EventLoop& loop = worker_->loop();
  loop.timers().Expire(loop.UpdateNow() + Nanos(idle));
  worker_->RunOnce(0);
}

size_t SteppedWorker::QueuedOutput() const { return worker_->QueuedOutput(); }

void SteppedWorker::CloseAll() { worker_->CloseAll("shutdown"); }

ServerStats SteppedWorker::Stats() const { return worker_->Snapshot(); }

int SteppedWorker::open() const { return open_total_->load(std::memory_order_relaxed); }

size_t SteppedWorker::MaxQueuedOutputBeforeRead() { return kMaxPendingOutput; }

size_t SteppedWorker::ReadChunk() { return kReadChunk; }

}  // namespace mailshake::server
