// What a bare TCP connection costs on loopback, measured the way the
// handshake benchmarks measure TLS: CPU time of the client's thread (user and
// system) per connect + close, with a peer thread accepting and closing.
// Together with handshake_bench's client cost it is the floor a STARTTLS
// session cannot go below; `mailshake bench` compares itself with the sum.

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
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

}  // namespace

BENCHMARK_MAIN();
