#include "src/net/event_loop.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace mailshake::net {

int64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// One FIFO list per distinct duration: deadlines within a lane are monotonic.
struct Lane {
  int64_t duration = 0;
  TimerQueue::Timer* head = nullptr;
  TimerQueue::Timer* tail = nullptr;
  size_t* size = nullptr;
};

TimerQueue::Timer::~Timer() { TimerQueue::Cancel(this); }

TimerQueue::TimerQueue() = default;

TimerQueue::~TimerQueue() {
  for (auto& lane : lanes_) {
    while (lane->head != nullptr) Cancel(lane->head);
  }
}

void TimerQueue::Cancel(Timer* timer) {
  Lane* lane = timer->lane_;
  if (lane == nullptr) return;
  if (timer->prev_ != nullptr) {
    timer->prev_->next_ = timer->next_;
  } else {
    lane->head = timer->next_;
  }
  if (timer->next_ != nullptr) {
    timer->next_->prev_ = timer->prev_;
  } else {
    lane->tail = timer->prev_;
  }
  timer->prev_ = timer->next_ = nullptr;
  timer->lane_ = nullptr;
  --*lane->size;
}

void TimerQueue::Arm(Timer* timer, int64_t now_ns, int64_t duration_ns) {
  Cancel(timer);
  Lane* lane = nullptr;
  for (auto& l : lanes_) {
    if (l->duration == duration_ns) {
      lane = l.get();
      break;
    }
  }
  if (lane == nullptr) {
    lanes_.push_back(std::make_unique<Lane>());
    lane = lanes_.back().get();
    lane->duration = duration_ns;
    lane->size = &size_;
  }
  timer->deadline_ = now_ns + duration_ns;
  // Clock readings can only grow, so appending keeps the lane sorted; a caller
  // passing an older |now_ns| than a previous call is clamped to stay ordered.
  if (lane->tail != nullptr && lane->tail->deadline_ > timer->deadline_) {
    timer->deadline_ = lane->tail->deadline_;
  }
  timer->lane_ = lane;
  timer->prev_ = lane->tail;
  timer->next_ = nullptr;
  if (lane->tail != nullptr) {
    lane->tail->next_ = timer;
  } else {
    lane->head = timer;
  }
  lane->tail = timer;
  ++size_;
}

int64_t TimerQueue::NextDeadline() const {
  int64_t next = INT64_MAX;
  for (const auto& lane : lanes_) {
    if (lane->head != nullptr) next = std::min(next, lane->head->deadline_);
  }
  return next;
}

int TimerQueue::Expire(int64_t now_ns) {
  int fired = 0;
  for (size_t i = 0; i < lanes_.size(); ++i) {
    Lane* lane = lanes_[i].get();
    while (lane->head != nullptr && lane->head->deadline_ <= now_ns) {
      Timer* timer = lane->head;
      Cancel(timer);
      ++fired;
      timer->OnTimerExpired();
    }
  }
  return fired;
}

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create(const Clock* clock) {
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    return absl::InternalError(absl::StrCat("epoll_create1: ", strerror(errno)));
  }
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    int err = errno;
    close(epoll_fd);
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(err)));
  }
  epoll_event ev;
  std::memset(&ev, 0, sizeof(ev));
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // nullptr marks the wake-up descriptor
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
    int err = errno;
    close(epoll_fd);
    close(wake_fd);
    return absl::InternalError(absl::StrCat("epoll_ctl(eventfd): ", strerror(err)));
  }
  return std::unique_ptr<EventLoop>(new EventLoop(epoll_fd, wake_fd, clock));
}

EventLoop::EventLoop(int epoll_fd, int wake_fd, const Clock* clock)
    : epoll_fd_(epoll_fd),
      wake_fd_(wake_fd),
      clock_(clock),
      now_ns_(clock != nullptr ? clock->NowNanos() : MonotonicNanos()),
      events_(256) {}

EventLoop::~EventLoop() {
  close(epoll_fd_);
  close(wake_fd_);
}

absl::Status EventLoop::Add(int fd, uint32_t events, Handler* handler) {
  epoll_event ev;
  std::memset(&ev, 0, sizeof(ev));
  ev.events = events;
  ev.data.ptr = handler;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl(ADD): ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status EventLoop::Modify(int fd, uint32_t events, Handler* handler) {
  epoll_event ev;
  std::memset(&ev, 0, sizeof(ev));
  ev.events = events;
  ev.data.ptr = handler;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl(MOD): ", strerror(errno)));
  }
  return absl::OkStatus();
}

void EventLoop::Remove(int fd) { epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

int64_t EventLoop::UpdateNow() {
  now_ns_ = clock_ == nullptr ? MonotonicNanos() : clock_->NowNanos();
  return now_ns_;
}

int EventLoop::RunOnce(int64_t max_wait_ns) {
  int64_t now = UpdateNow();
  int64_t wait_ns = std::max<int64_t>(max_wait_ns, 0);
  int64_t to_deadline = std::max<int64_t>(timers_.NextDeadline() - now, 0);
  // An injected clock does not move while epoll waits: only a timer already
  // due shortens the wait.
  if (clock_ == nullptr || to_deadline == 0) wait_ns = std::min(wait_ns, to_deadline);
  // Round up so that a timer never wakes us a little early and spins.
  int timeout_ms = static_cast<int>(std::min<int64_t>((wait_ns + 999999) / 1000000, INT_MAX));
  int n = epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()), timeout_ms);
  UpdateNow();
  int dispatched = 0;
  for (int i = 0; i < n; ++i) {
    auto* handler = static_cast<Handler*>(events_[i].data.ptr);
    if (handler == nullptr) {
      uint64_t value;
      while (read(wake_fd_, &value, sizeof(value)) > 0) {
      }
      continue;
    }
    handler->OnEvents(events_[i].events);
    ++dispatched;
  }
  if (n == static_cast<int>(events_.size()) && events_.size() < 4096) {
    events_.resize(events_.size() * 2);
  }
  timers_.Expire(now_ns_);
  return dispatched;
}

void EventLoop::Wakeup() {
  uint64_t one = 1;
  ssize_t rc = write(wake_fd_, &one, sizeof(one));
  (void)rc;
}

}  // namespace mailshake::net
