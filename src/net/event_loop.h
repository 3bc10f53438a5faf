#ifndef MAILSHAKE_SRC_NET_EVENT_LOOP_H_
#define MAILSHAKE_SRC_NET_EVENT_LOOP_H_

#include <sys/epoll.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mailshake::net {

// Monotonic clock in nanoseconds (CLOCK_MONOTONIC).
int64_t MonotonicNanos();

// Where an EventLoop reads the time. Without one a loop reads MonotonicNanos()
// (the default, and what every server and engine thread uses); tests and
// fuzzers inject a Clock so that deadlines are deterministic and idling costs
// no real time. NowNanos() must never decrease.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowNanos() const = 0;
};

// A Clock that moves only when told to. Not thread-safe: it belongs to the
// thread that runs its loop.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t start_ns = 0) : now_ns_(start_ns) {}
  int64_t NowNanos() const override { return now_ns_; }
  // Moves the time forward by |ns| (>= 0).
  void Advance(int64_t ns) { now_ns_ += ns > 0 ? ns : 0; }
  // Sets the time; only for restarting a clock whose loop has no timer armed
  // (an earlier time would otherwise leave deadlines far in the future).
  void Set(int64_t ns) { now_ns_ = ns; }

 private:
  int64_t now_ns_;
};

// TimerQueue keeps deadlines for timers that share a few fixed durations (a
// server's idle timeout, an engine's connect and phase timeouts). Timers armed
// with the same duration expire in arming order, so each duration is a FIFO
// list and arming, re-arming and cancelling are O(1) with no allocation after
// the first use of a duration. It is not thread-safe: one queue per event loop.
class TimerQueue {
 public:
  // A timer is embedded in the object it times (intrusive); it must outlive
  // its time in the queue, and destroying an armed timer cancels it.
  class Timer {
   public:
    Timer() = default;
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    virtual ~Timer();

    // Called by |TimerQueue::Expire| once the deadline has passed. The timer
    // is already disarmed, so the callback may re-arm it or destroy its owner.
    virtual void OnTimerExpired() = 0;

    bool armed() const { return lane_ != nullptr; }
    int64_t deadline() const { return deadline_; }

   private:
    friend class TimerQueue;
    int64_t deadline_ = 0;
    Timer* prev_ = nullptr;
    Timer* next_ = nullptr;
    struct Lane* lane_ = nullptr;
  };

  TimerQueue();
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Arms |timer| to expire at |now_ns| + |duration_ns|, cancelling any earlier
  // arming. |duration_ns| must be positive; the first use of a new duration
  // allocates its list once.
  void Arm(Timer* timer, int64_t now_ns, int64_t duration_ns);

  // Disarms |timer|; does nothing if it is not armed.
  static void Cancel(Timer* timer);

  // Returns the earliest deadline, or INT64_MAX when nothing is armed.
  int64_t NextDeadline() const;

  // Fires, in deadline order per duration, every timer whose deadline is at
  // or before |now_ns|. Returns how many fired.
  int Expire(int64_t now_ns);

  // Number of armed timers.
  size_t size() const { return size_; }

 private:
  std::vector<std::unique_ptr<struct Lane>> lanes_;
  size_t size_ = 0;
};

// EventLoop is one epoll instance with a timer queue and a wake-up eventfd.
// Everything but |Wakeup| must be called from the loop's own thread.
class EventLoop {
 public:
  // Receives readiness events (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, ...).
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void OnEvents(uint32_t events) = 0;
  };

  // |clock| (not owned, must outlive the loop) replaces CLOCK_MONOTONIC for
  // now(), UpdateNow() and the timers: they fire when that clock reaches
  // their deadline, never because real time passed, and RunOnce does not
  // shorten its real wait for a deadline of that clock (only a timer already
  // due makes it return without waiting). nullptr: the monotonic clock, with
  // no extra cost.
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create(const Clock* clock = nullptr);
  ~EventLoop();

  // Registers, changes or removes interest in |fd|. |handler| is not owned and
  // must stay alive until |fd| is removed or closed.
  absl::Status Add(int fd, uint32_t events, Handler* handler);
  absl::Status Modify(int fd, uint32_t events, Handler* handler);
  void Remove(int fd);

  // Waits for events at most until the next timer deadline or |max_wait_ns|
  // from now, dispatches them, then fires due timers. Returns the number of
  // events dispatched.
  int RunOnce(int64_t max_wait_ns);

  // Makes a concurrent or the next |RunOnce| return promptly. Thread-safe and
  // async-signal-safe.
  void Wakeup();

  TimerQueue& timers() { return timers_; }

  // The loop's time (monotonic, or the injected clock's) cached at the start
  // of the last wake-up, cheap enough for every state change. Updated by
  // |RunOnce| and |UpdateNow|.
  int64_t now() const { return now_ns_; }
  int64_t UpdateNow();

 private:
  EventLoop(int epoll_fd, int wake_fd, const Clock* clock);

  int epoll_fd_;
  int wake_fd_;
  const Clock* clock_;  // nullptr: MonotonicNanos()
  int64_t now_ns_;
  TimerQueue timers_;
  std::vector<epoll_event> events_;
};

}  // namespace mailshake::net

#endif  // MAILSHAKE_SRC_NET_EVENT_LOOP_H_
