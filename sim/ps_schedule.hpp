// The processor-sharing model's clock (sim/sharing_ps.cpp): its own list of what is due when, under one SimGrid
// kernel timer, and the way an actor waits for the model (suspended, resumed by whatever ends its work).
#pragma once

#include <cstdint>
#include <limits>
#include <queue>
#include <vector>

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>

namespace spritesim::ps {

namespace sg4 = simgrid::s4u;
using simgrid::kernel::timer::Timer;

/// Something due at a time: a queue's next end, a transfer's latency.
class Due {
public:
  virtual void due() = 0;
  uint64_t stamp = 0; ///< bumped when rescheduled or cancelled: older entries for it are stale

protected:
  ~Due() = default;
};

/// The model's own event list under one kernel timer, set for its earliest entry: rescheduling a queue's next end
/// (at every start and end on it) costs a heap push, not a kernel timer's allocation, and everything due at one
/// instant runs in one timer callback, earliest first and in scheduling order.
class Schedule {
public:
  Schedule() = default;
  Schedule(const Schedule&) = delete;
  Schedule& operator=(const Schedule&) = delete;
  ~Schedule()
  {
    if (timer_)
      timer_->remove();
  }

  void at(double t, Due& d)
  {
    entries_.push(Entry{t, seq_++, &d, ++d.stamp});
    if (!running_ && t < timer_at_)
      arm(t);
  }
  void cancel(Due& d) { ++d.stamp; }

private:
  struct Entry {
    double t;
    uint64_t seq;
    Due* due;
    uint64_t stamp;
    bool operator>(const Entry& o) const { return t > o.t || (t == o.t && seq > o.seq); }
  };

  void arm(double t)
  {
    if (timer_)
      timer_->remove();
    timer_at_ = t;
    timer_ = Timer::set(t, [this] {
      timer_ = nullptr;
      timer_at_ = std::numeric_limits<double>::infinity();
      run();
    });
  }

  // Everything due by now, including what becomes due at once; then the timer for the earliest entry left.
  void run()
  {
    double now = sg4::Engine::get_clock();
    running_ = true;
    while (!entries_.empty() && entries_.top().t <= now) {
      Entry e = entries_.top();
      entries_.pop();
      if (e.stamp == e.due->stamp)
        e.due->due();
    }
    running_ = false;
    while (!entries_.empty() && entries_.top().stamp != entries_.top().due->stamp)
      entries_.pop();
    if (!entries_.empty() && entries_.top().t < timer_at_)
      arm(entries_.top().t);
  }

  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> entries_;
  uint64_t seq_ = 0;
  Timer* timer_ = nullptr;
  double timer_at_ = std::numeric_limits<double>::infinity(); ///< when timer_ fires
  bool running_ = false;    ///< inside run(): entries pushed now are taken by its loop or its last arm
};

/// An actor waiting for the model: it suspends itself, and the end of its work resumes it (from a kernel timer or
/// from the actor that cancels the work). Cheaper than a semaphore's acquisition activity.
class Waiter {
public:
  void wait()
  {
    actor_ = sg4::Actor::self();
    sg4::this_actor::suspend();
    actor_ = nullptr;
  }
  void wake()
  {
    if (actor_)
      actor_->resume();
  }

private:
  sg4::Actor* actor_ = nullptr;
};

} // namespace spritesim::ps
