// Per-host daemons (see host_daemon.hpp).
#include "sim/host_daemon.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

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

class HostDaemon {
public:
  HostDaemon(Cluster& cl, GlobalMigd& migd, int h) : cl_(cl), migd_(migd), h_(h), lock_(sg4::Mutex::create()) {}

  void operator()()
  {
    HostState& s = migd_.host(h_);
    const IdleRule& rule = migd_.idle_rule();
    size_t next_period = 0;
    std::unique_lock lk(*lock_);
    while (true) {
      double now = sg4::Engine::get_clock();
      if (present_ && next_period < s.owner.size() && now >= s.owner[next_period].end_s)
        owner_leaves(s, next_period++);
      if (!present_ && next_period < s.owner.size() && now >= s.owner[next_period].start_s) {
        owner_arrives(s.owner[next_period]);
        continue; // a zero-length period ends at once
      }
      migd_.evaluate(h_);
      double wake = NEVER;
      if (next_period < s.owner.size())
        wake = present_ ? s.owner[next_period].end_s : s.owner[next_period].start_s;
      if (wake <= now)
        wake = NEVER; // periods never end before they start; guards a malformed list against a busy loop
      double input_ok = migd_.book(h_).last_input_s + rule.input_threshold_s;
      if (!present_ && input_ok > now)
        wake = std::min(wake, input_ok);
      wake = std::min(wake, next_threshold_crossing(s, migd_.book(h_).available, rule, now));
      if (wake == NEVER)
        s.changed->wait(lk);
      else
        s.changed->wait_until(lk, wake);
    }
  }

private:
  void owner_arrives(const OwnerPeriod& p)
  {
    // The owner's own processes: a CPU share for the length of the console period, competing with foreign work.
    double speed = cl_.host(h_)->get_speed();
    double seconds = (p.end_s - p.start_s) * p.cpu_share;
    if (seconds > 0) {
      owner_cpu_ = cl_.start_burst(h_, seconds * speed, p.cpu_share * speed);
      owner_flops_ = seconds * speed;
      owner_since_ = sg4::Engine::get_clock();
    }
    present_ = true;
    migd_.owner_active(h_);
  }

  void owner_leaves(HostState& s, size_t period)
  {
    present_ = false;
    migd_.owner_left(h_, s.owner[period].end_s);
    if (owner_cpu_) {
      double left = owner_cpu_->finished() ? 0 : owner_cpu_->remaining();
      if (left > 0)
        owner_cpu_->cancel();
      cl_.add_busy(h_, (owner_flops_ - left) / cl_.host(h_)->get_speed(), BusyKind::OWNER, owner_since_);
      owner_cpu_ = nullptr;
    }
  }

  Cluster& cl_;
  GlobalMigd& migd_;
  int h_;
  sg4::MutexPtr lock_;
  std::unique_ptr<Burst> owner_cpu_;
  double owner_flops_ = 0;
  double owner_since_ = 0; ///< when the owner's CPU burst started (utilization.csv spreads it from there)
  bool present_ = false; ///< inside an owner period (migd's owner_active may be set before the daemon first runs)
};

} // namespace

void start_host_daemons(Cluster& cluster, GlobalMigd& migd)
{
  for (int h = 0; h < cluster.workstations(); ++h) {
    auto daemon = std::make_shared<HostDaemon>(cluster, migd, h);
    sg4::Actor::create("migd-" + cluster.name(h), cluster.host(h), [daemon] { (*daemon)(); })->daemonize();
  }
}

} // namespace spritesim
