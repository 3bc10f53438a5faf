#include "src/net/event_loop.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/net/socket.h"

namespace mailshake::net {
namespace {

class RecordingTimer : public TimerQueue::Timer {
 public:
  RecordingTimer(std::vector<int>* log, int id) : log_(log), id_(id) {}
  void OnTimerExpired() override { log_->push_back(id_); }

 private:
  std::vector<int>* log_;
  int id_;
};

TEST(TimerQueueTest, FiresDueTimersInDeadlineOrderAcrossDurations) {
  TimerQueue q;
  std::vector<int> log;
  RecordingTimer a(&log, 1), b(&log, 2), c(&log, 3);
  q.Arm(&a, 0, 300);
  q.Arm(&b, 0, 100);
  q.Arm(&c, 50, 300);
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.NextDeadline(), 100);
  EXPECT_EQ(q.Expire(99), 0);
  EXPECT_EQ(q.Expire(300), 2);
  EXPECT_THAT(log, testing::UnorderedElementsAre(1, 2));
  EXPECT_TRUE(!a.armed() && !b.armed() && c.armed());
  EXPECT_EQ(q.NextDeadline(), 350);
  EXPECT_EQ(q.Expire(1000), 1);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.NextDeadline(), INT64_MAX);
}

TEST(TimerQueueTest, SameDurationExpiresInArmingOrder) {
  TimerQueue q;
  std::vector<int> log;
  RecordingTimer a(&log, 1), b(&log, 2), c(&log, 3);
  q.Arm(&a, 10, 100);
  q.Arm(&b, 20, 100);
  q.Arm(&c, 30, 100);
  q.Expire(1000);
  EXPECT_EQ(log, (std::vector<int>{1, 2, 3}));
}

TEST(TimerQueueTest, RearmMovesTimerAndCancelRemovesIt) {
  TimerQueue q;
  std::vector<int> log;
  RecordingTimer a(&log, 1), b(&log, 2);
  q.Arm(&a, 0, 100);
  q.Arm(&b, 10, 100);
  q.Arm(&a, 50, 100);  // now after b
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.NextDeadline(), 110);
  TimerQueue::Cancel(&b);
  EXPECT_EQ(q.NextDeadline(), 150);
  q.Expire(200);
  EXPECT_EQ(log, (std::vector<int>{1}));
}

TEST(TimerQueueTest, DestroyingAnArmedTimerCancelsIt) {
  TimerQueue q;
  std::vector<int> log;
  {
    RecordingTimer a(&log, 1);
    q.Arm(&a, 0, 100);
    EXPECT_EQ(q.size(), 1u);
  }
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.Expire(1000), 0);
}

class RearmingTimer : public TimerQueue::Timer {
 public:
  explicit RearmingTimer(TimerQueue* q) : q_(q) {}
  void OnTimerExpired() override {
    if (++fired_ < 3) q_->Arm(this, deadline(), 10);
  }
  int fired_ = 0;

 private:
  TimerQueue* q_;
};

TEST(TimerQueueTest, CallbackMayRearmItself) {
  TimerQueue q;
  RearmingTimer t(&q);
  q.Arm(&t, 0, 10);
  q.Expire(10);
  q.Expire(20);
  q.Expire(30);
  EXPECT_EQ(t.fired_, 3);
  EXPECT_FALSE(t.armed());
}

class CountingHandler : public EventLoop::Handler {
 public:
  void OnEvents(uint32_t events) override {
    ++calls;
    last = events;
  }
  int calls = 0;
  uint32_t last = 0;
};

TEST(EventLoopTest, DispatchesReadinessToTheRegisteredHandler) {
  auto loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  CountingHandler h;
  ASSERT_TRUE((*loop)->Add(fds[0], EPOLLIN, &h).ok());
  EXPECT_EQ((*loop)->RunOnce(0), 0);
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  EXPECT_EQ((*loop)->RunOnce(1000000000), 1);
  EXPECT_EQ(h.calls, 1);
  EXPECT_TRUE(h.last & EPOLLIN);
  (*loop)->Remove(fds[0]);
  close(fds[0]);
  close(fds[1]);
}

TEST(EventLoopTest, WakeupFromAnotherThreadEndsTheWait) {
  auto loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  int64_t start = MonotonicNanos();
  std::thread t([&] { (*loop)->Wakeup(); });
  (*loop)->RunOnce(int64_t{30} * 1000000000);
  t.join();
  EXPECT_LT(MonotonicNanos() - start, int64_t{20} * 1000000000);
}

TEST(EventLoopTest, TimersFireFromRunOnce) {
  auto loop = EventLoop::Create();
  ASSERT_TRUE(loop.ok());
  std::vector<int> log;
  RecordingTimer t(&log, 7);
  (*loop)->timers().Arm(&t, (*loop)->UpdateNow(), 1000000);  // 1 ms
  for (int i = 0; i < 100 && log.empty(); ++i) (*loop)->RunOnce(int64_t{1} * 1000000000);
  EXPECT_EQ(log, (std::vector<int>{7}));
}

TEST(EventLoopTest, DeadlinesFollowAnInjectedClockNotRealTime) {
  ManualClock clock(int64_t{5} * 1000000000);
  auto loop = EventLoop::Create(&clock);
  ASSERT_TRUE(loop.ok());
  EXPECT_EQ((*loop)->now(), clock.NowNanos());
  std::vector<int> log;
  RecordingTimer t(&log, 3);
  // A deadline 1 ms away on the injected clock: real time passing (a 20 ms
  // wait) must not fire it, and the wait is not cut short for it.
  (*loop)->timers().Arm(&t, (*loop)->now(), 1000000);
  int64_t start = MonotonicNanos();
  EXPECT_EQ((*loop)->RunOnce(int64_t{20} * 1000000), 0);
  EXPECT_GE(MonotonicNanos() - start, int64_t{15} * 1000000);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ((*loop)->UpdateNow(), int64_t{5} * 1000000000);
  // One nanosecond short of the deadline: still nothing.
  clock.Advance(999999);
  (*loop)->RunOnce(0);
  EXPECT_TRUE(log.empty());
  // At the deadline it fires, without any real wait.
  clock.Advance(1);
  start = MonotonicNanos();
  (*loop)->RunOnce(int64_t{30} * 1000000000);
  EXPECT_LT(MonotonicNanos() - start, int64_t{10} * 1000000000);
  EXPECT_EQ(log, (std::vector<int>{3}));
  EXPECT_EQ((*loop)->now(), int64_t{5} * 1000000000 + 1000000);
}

TEST(EventLoopTest, AnInjectedClockIsReadByUpdateNow) {
  ManualClock clock;
  auto loop = EventLoop::Create(&clock);
  ASSERT_TRUE(loop.ok());
  EXPECT_EQ((*loop)->UpdateNow(), 0);
  clock.Advance(int64_t{3600} * 1000000000);
  EXPECT_EQ((*loop)->UpdateNow(), int64_t{3600} * 1000000000);
  clock.Advance(-1);  // never backwards
  EXPECT_EQ((*loop)->UpdateNow(), int64_t{3600} * 1000000000);
}

TEST(SocketTest, ListenOnPortZeroThenConnectOverLoopback) {
  absl::StatusOr<UniqueFd> listener =
      Listen(*SocketAddress::Parse("127.0.0.1:0"), 16, /*reuse_port=*/true);
  ASSERT_TRUE(listener.ok()) << listener.status();
  absl::StatusOr<SocketAddress> bound = LocalAddress(listener->get());
  ASSERT_TRUE(bound.ok());
  EXPECT_NE(bound->port(), 0);
  SocketAddress source = *SocketAddress::Parse("127.0.0.2:0");
  int error = -1;
  UniqueFd client = StartConnect(*bound, &source, &error);
  ASSERT_TRUE(client.valid()) << strerror(error);
  EXPECT_EQ(error, 0);
  int accepted = -1;
  for (int i = 0; i < 1000 && accepted < 0; ++i) {
    accepted = AcceptNonBlocking(listener->get());
    if (accepted < 0) usleep(1000);
  }
  ASSERT_GE(accepted, 0);
  EXPECT_EQ(TakeSocketError(client.get()), 0);
  // Non-blocking, and TCP_NODELAY from the listener without a call of its own.
  EXPECT_NE(fcntl(accepted, F_GETFL) & O_NONBLOCK, 0);
  int nodelay = 0;
  socklen_t len = sizeof(nodelay);
  ASSERT_EQ(getsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
  EXPECT_NE(nodelay, 0);
  close(accepted);
}

TEST(SocketTest, ConnectToAClosedPortReportsRefused) {
  absl::StatusOr<UniqueFd> listener =
      Listen(*SocketAddress::Parse("127.0.0.1:0"), 1, /*reuse_port=*/false);
  ASSERT_TRUE(listener.ok());
  SocketAddress bound = *LocalAddress(listener->get());
  listener->reset();  // nothing listens there now
  int error = 0;
  UniqueFd client = StartConnect(bound, nullptr, &error);
  if (client.valid()) {
    pollfd p{client.get(), POLLOUT, 0};
    ASSERT_EQ(poll(&p, 1, 5000), 1);
    error = TakeSocketError(client.get());
  }
  EXPECT_EQ(error, ECONNREFUSED);
}

}  // namespace
}  // namespace mailshake::net
