// Per-host daemons (see host_daemon.hpp).
#include "sim/host_daemon.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <set>

#include <simgrid/Exception.hpp>

namespace spritesim {

namespace {

constexpr double NEVER = std::numeric_limits<double>::infinity();

// The next time the idle rule's answer can change with the run queue as it is now.
double next_threshold_crossing(const HostState& s, bool available, const IdleRule& rule, double now)
{
  double next = NEVER;
  if (available) {
    for (int i = 0; i < 3; ++i)
      next = std::min(next, s.load_local.first_time_above(now, i, rule.high[static_cast<size_t>(i)]));
  } else {
    // All three averages must fall below their low thresholds; each moves monotonically toward the run queue.
    double all = now;
    for (int i = 0; i < 3; ++i)
      all = std::max(all, s.load.first_time_at_or_below(now, i, std::nextafter(rule.low[static_cast<size_t>(i)], 0.0)));
    next = all;
  }
  return next > now ? next : NEVER;
}

// Every workstation's daemon in one actor: each host's state machine steps when its next wake time comes (an owner
// period's start or end, the input threshold running out, a load average crossing a threshold) or when migd says
// its loads changed. A thousand hosts cost one actor, not a thousand (their stacks, contexts and wake-ups were most
// of a large platform's fixed cost: bench/README.md, "Issue 13"). The order is the one the per-host actors had:
// wake times due first (earliest, then lowest host), then changed hosts in the order they were told; a host told of
// a change while it is stepping (its own evaluation moved its loads) is not stepped again for it.
class HostDaemons {
public:
  HostDaemons(Cluster& cl, GlobalMigd& migd)
      : cl_(cl), migd_(migd), hosts_(static_cast<size_t>(cl.workstations())),
        queued_(static_cast<size_t>(cl.workstations()), 0), lock_(sg4::Mutex::create()),
        wakeup_(sg4::ConditionVariable::create())
  {
  }

  void changed(int h)
  {
    if (h == stepping_ || queued_[static_cast<size_t>(h)])
      return;
    queued_[static_cast<size_t>(h)] = 1;
    told_.push_back(h);
    wakeup_->notify_all();
  }

  void operator()()
  {
    std::unique_lock lk(*lock_);
    for (int h = 0; h < cl_.workstations(); ++h)
      step(h);
    while (true) {
      const double now = sg4::Engine::get_clock();
      while (!due_.empty() && due_.begin()->first <= now) {
        int h = due_.begin()->second;
        due_.erase(due_.begin());
        hosts_[static_cast<size_t>(h)].wake = NEVER;
        step(h);
      }
      while (!told_.empty()) {
        int h = told_.front();
        told_.pop_front();
        queued_[static_cast<size_t>(h)] = 0;
        step(h);
      }
      if (due_.empty())
        wakeup_->wait(lk);
      else
        wakeup_->wait_until(lk, due_.begin()->first);
    }
  }

private:
  struct Host {
    size_t next_period = 0;
    bool present = false; ///< inside an owner period (migd's owner_active may be set before the first step)
    std::unique_ptr<Burst> owner_cpu;
    double owner_flops = 0;
    double owner_since = 0; ///< when the owner's CPU burst started (utilization.csv spreads it from there)
    double wake = NEVER;    ///< its entry in due_, if finite
  };

  // One host's daemon: the owner's console periods, the idle rule evaluated, the next time anything can change.
  void step(int h)
  {
    stepping_ = h;
    Host& d = hosts_[static_cast<size_t>(h)];
    HostState& s = migd_.host(h);
    const IdleRule& rule = migd_.idle_rule();
    double now = sg4::Engine::get_clock();
    while (true) {
      if (d.present && d.next_period < s.owner.size() && now >= s.owner[d.next_period].end_s)
        owner_leaves(h, d, s, d.next_period++);
      if (!d.present && d.next_period < s.owner.size() && now >= s.owner[d.next_period].start_s) {
        owner_arrives(h, d, s.owner[d.next_period]);
        continue; // a zero-length period ends at once
      }
      break;
    }
    migd_.evaluate(h);
    double wake = NEVER;
    if (d.next_period < s.owner.size())
      wake = d.present ? s.owner[d.next_period].end_s : s.owner[d.next_period].start_s;
    if (wake <= now)
      wake = NEVER; // periods never end before they start; guards a malformed list against a busy loop
    double input_ok = migd_.book(h).last_input_s + rule.input_threshold_s;
    if (!d.present && input_ok > now)
      wake = std::min(wake, input_ok);
    wake = std::min(wake, next_threshold_crossing(s, migd_.book(h).available, rule, now));
    if (d.wake != NEVER)
      due_.erase({d.wake, h});
    d.wake = wake;
    if (wake != NEVER)
      due_.emplace(wake, h);
    stepping_ = -1;
  }

  void owner_arrives(int h, Host& d, const OwnerPeriod& p)
  {
    // The owner's own processes: a CPU share for the length of the console period, competing with foreign work.
    double speed = cl_.host(h)->get_speed();
    double seconds = (p.end_s - p.start_s) * p.cpu_share;
    if (seconds > 0) {
      d.owner_cpu = cl_.start_burst(h, seconds * speed, p.cpu_share * speed);
      d.owner_flops = seconds * speed;
      d.owner_since = sg4::Engine::get_clock();
    }
    d.present = true;
    migd_.owner_active(h);
  }

  void owner_leaves(int h, Host& d, HostState& s, size_t period)
  {
    d.present = false;
    migd_.owner_left(h, s.owner[period].end_s);
    if (d.owner_cpu) {
      double left = d.owner_cpu->finished() ? 0 : d.owner_cpu->remaining();
      if (left > 0)
        d.owner_cpu->cancel();
      cl_.add_busy(h, (d.owner_flops - left) / cl_.host(h)->get_speed(), BusyKind::OWNER, d.owner_since);
      d.owner_cpu = nullptr;
    }
  }

  Cluster& cl_;
  GlobalMigd& migd_;
  std::vector<Host> hosts_;
  std::set<std::pair<double, int>> due_; ///< (wake time, host): the next step of each host that has one
  std::deque<int> told_;                 ///< hosts told of a change, in that order
  std::vector<char> queued_;             ///< in told_
  int stepping_ = -1;
  sg4::MutexPtr lock_;
  sg4::ConditionVariablePtr wakeup_;
};

} // namespace

void start_host_daemons(Cluster& cluster, GlobalMigd& migd)
{
  auto daemons = std::make_shared<HostDaemons>(cluster, migd);
  // Owned by the actor alone: when the simulation ends and the actor is killed, the owners' CPU bursts go with it.
  migd.on_host_changed([weak = std::weak_ptr<HostDaemons>(daemons)](int h) {
    if (auto d = weak.lock())
      d->changed(h);
  });
  sg4::Actor::create("migd-daemons", cluster.host(cluster.file_server()), [daemons] { (*daemons)(); })->daemonize();
}

} // namespace spritesim
