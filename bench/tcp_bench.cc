// What a bare TCP connection costs on loopback, measured the way the
// handshake benchmarks measure TLS: CPU time of the client's thread (user and
// system) per connect + close, with a peer thread accepting and closing.
// Together with handshake_bench's client cost it is the floor a STARTTLS
// session cannot go below; `mailshake bench` compares itself with the sum.
// BM_LoopbackAcceptClose is the server side of the same: CPU of an epoll
// thread that accepts and closes, per connection, at a given connection
// rate (an idle server wakes up for each connection, so the cost per
// connection depends on the rate: compare it with a server's cost only at the
// same rate). TCP_BENCH_ACCEPT_RATE=N adds a run at N connections/s.

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "benchmark/benchmark.h"
#include "src/stats/cpu_time.h"

namespace {

// Accepts and closes connections on a loopback port until stopped.
class Acceptor {
 public:
  Acceptor() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd_, 4096) != 0) {
      std::perror("tcp_bench: listen");
      std::abort();
    }
    socklen_t len = sizeof(addr_);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr_), &len);
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) close(c);
      }
    });
  }
  ~Acceptor() {
    stop_.store(true);
    thread_.join();
    close(fd_);
  }
  const sockaddr_in& address() const { return addr_; }

 private:
  int fd_;
  sockaddr_in addr_{};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Arg 0: close with FIN (0) or RST via SO_LINGER 0 (1), as mailshake bench's
// --close fin|rst. Arg 1: spread over this many source addresses 127.0.0.x
// so that a long run does not run out of ephemeral ports.
void BM_LoopbackConnectClose(benchmark::State& state) {
  static Acceptor* acceptor = new Acceptor();
  const bool rst = state.range(0) == 1;
  const int sources = static_cast<int>(state.range(1));
  int64_t cpu = 0;
  int next = 0;
  for (auto _ : state) {
    int64_t start = mailshake::stats::ThreadCpuNanos();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000002 + (next++ % sources));
    bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src));
    if (connect(fd, reinterpret_cast<const sockaddr*>(&acceptor->address()),
                sizeof(sockaddr_in)) != 0) {
      state.SkipWithError("connect failed");
      close(fd);
      break;
    }
    if (rst) {
      linger lg{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    close(fd);
    cpu += mailshake::stats::ThreadCpuNanos() - start;
  }
  state.counters["client_us"] =
      benchmark::Counter(static_cast<double>(cpu) / 1e3 / state.iterations());
  state.counters["connections_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LoopbackConnectClose)
    ->ArgNames({"rst", "sources"})
    ->Args({0, 200})
    ->Args({1, 200})
    ->UseRealTime();

// Accepts and closes connections the way mailshake serve's loop does (epoll,
// accept4 until EAGAIN, TCP_NODELAY, close) and counts them; its thread's
// CPU is read from outside through the thread's CPU clock.
class EpollAcceptor {
 public:
  EpollAcceptor() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd_, 4096) != 0) {
      std::perror("tcp_bench: listen");
      std::abort();
    }
    socklen_t len = sizeof(addr_);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr_), &len);
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd_, &ev);
    thread_ = std::thread([this] {
      epoll_event out[16];
      while (!stop_.load(std::memory_order_relaxed)) {
        if (epoll_wait(epoll_, out, 16, 100) <= 0) continue;
        for (;;) {
          int c = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          int one = 1;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          close(c);
          accepted_.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  ~EpollAcceptor() {
    stop_.store(true);
    thread_.join();
    close(epoll_);
    close(fd_);
  }
  const sockaddr_in& address() const { return addr_; }
  int64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  int64_t CpuNanos() {
    clockid_t clock;
    timespec ts;
    if (pthread_getcpuclockid(thread_.native_handle(), &clock) != 0 ||
        clock_gettime(clock, &ts) != 0) {
      return 0;
    }
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  }

 private:
  int fd_, epoll_;
  sockaddr_in addr_{};
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> accepted_{0};
  std::thread thread_;
};

// Arg 0: connections per second (0: as fast as the client goes). The client
// connects and closes with RST (as mailshake bench does by default); the
// figure is the accepting thread's CPU per connection.
void BM_LoopbackAcceptClose(benchmark::State& state) {
  static EpollAcceptor* acceptor = new EpollAcceptor();
  const int64_t rate = state.range(0);
  const int64_t gap_ns = rate > 0 ? 1000000000 / rate : 0;
  timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  int64_t accepted_before = acceptor->accepted();
  int64_t cpu_before = acceptor->CpuNanos();
  int source = 0;
  for (auto _ : state) {
    if (gap_ns > 0) {
      next.tv_nsec += gap_ns;
      while (next.tv_nsec >= 1000000000) {
        next.tv_nsec -= 1000000000;
        ++next.tv_sec;
      }
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000002 + (source++ % 200));
    bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src));
    if (connect(fd, reinterpret_cast<const sockaddr*>(&acceptor->address()),
                sizeof(sockaddr_in)) != 0) {
      state.SkipWithError("connect failed");
      close(fd);
      break;
    }
    linger lg{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
  }
  // Let the acceptor catch up with the last connections (bounded).
  for (int i = 0; i < 200 && acceptor->accepted() - accepted_before < state.iterations(); ++i) {
    usleep(1000);
  }
  int64_t accepted = acceptor->accepted() - accepted_before;
  int64_t cpu = acceptor->CpuNanos() - cpu_before;
  state.counters["server_us"] =
      benchmark::Counter(static_cast<double>(cpu) / 1e3 / static_cast<double>(std::max<int64_t>(1, accepted)));
  state.counters["connections_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LoopbackAcceptClose)->ArgNames({"rate"})->Arg(0)->Arg(1000)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  if (const char* rate = std::getenv("TCP_BENCH_ACCEPT_RATE"); rate != nullptr && *rate) {
    benchmark::RegisterBenchmark("BM_LoopbackAcceptClose/rate_env", BM_LoopbackAcceptClose)
        ->Arg(std::atoll(rate))
        ->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
