// A scripted backend for the migd core's tests (test_migd_*.cpp): a fake actuator that records every order and
// carries it out the same way whatever its capability set (moves land at the next settle(), kills and stops at once),
// a policy wrapper that records what each call was given and answered, and a clock the script advances.
#pragma once

#include <limits>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "migd/migd_core.hpp"

namespace spritesim::test {

/// Forwards to a policy and records each call's events and answer.
class RecordingPolicy : public Policy {
public:
  struct Call {
    std::vector<PolicyEvent> events;
    std::vector<Decision> decisions;
  };
  explicit RecordingPolicy(std::unique_ptr<Policy> inner, std::vector<Call>& calls)
      : inner_(std::move(inner)), calls_(calls)
  {
  }

private:
  std::vector<Decision> do_decide(const ClusterView& view, const std::vector<PolicyEvent>& events) override
  {
    calls_.push_back({events, {}});
    calls_.back().decisions = inner_->decide(view, events);
    return calls_.back().decisions;
  }
  std::unique_ptr<Policy> inner_;
  std::vector<Call>& calls_;
};

/// A policy given as a function (stubs for single rules).
class ScriptedPolicy : public Policy {
public:
  using Fn = std::function<std::vector<Decision>(const ClusterView&, const std::vector<PolicyEvent>&)>;
  explicit ScriptedPolicy(Fn fn) : fn_(std::move(fn)) {}

private:
  std::vector<Decision> do_decide(const ClusterView& v, const std::vector<PolicyEvent>& e) override { return fn_(v, e); }
  Fn fn_;
};

class FakeBackend : public MigdActuator {
public:
  /// `hosts` workstations h0.. and a core running `policy` (wrapped to record its calls).
  FakeBackend(Capabilities caps, std::unique_ptr<Policy> policy, int hosts) : caps_(caps)
  {
    core = std::make_unique<MigdCore>(std::make_unique<RecordingPolicy>(std::move(policy), calls), *this, IdleRule{});
    for (int h = 0; h < hosts; ++h)
      core->add_host(fmt::format("h{}", h));
  }
  std::unique_ptr<MigdCore> core;
  std::vector<RecordingPolicy::Call> calls;
  std::vector<std::string> orders; ///< every actuator call, in order
  double t = 0;
  int64_t refuse_proc = -1; ///< the mechanism refuses every order on this process ("the agent is unreachable")

  /// A process of `client` exec'd at `home` and placed by the core; it runs where it was placed.
  int arrive(int64_t id, int client, int home, bool migratable)
  {
    BookProcess p;
    p.id = id;
    p.name = fmt::format("p{}", id);
    p.client = client;
    p.home = home;
    p.started_s = t;
    p.migratable = migratable;
    core->add_process(p);
    int where = core->place(id);
    core->process_changed(id, where, ProcState::RUNNING);
    return where;
  }
  /// Lands the moves ordered so far and reports the eviction steps done.
  void settle()
  {
    auto moves = std::move(moves_);
    moves_.clear();
    for (const Move& m : moves) {
      const BookProcess* p = core->process(m.id);
      if (m.id >= 0 && p) {
        core->process_changed(m.id, m.to, ProcState::RUNNING);
        if (m.step)
          core->eviction_step(m.from);
        core->process_moved(m.id, {t, p->name, m.kind, core->host(m.from).name, core->host(m.to).name, 0, 0});
      } else if (m.step) {
        core->eviction_step(m.from);
      }
    }
  }
  /// Delivers the timers due up to `until`, in time order, then sets the clock there.
  void run_until(double until)
  {
    while (!timers_.empty() && timers_.front() <= until) {
      t = std::max(t, timers_.front());
      double at = timers_.front();
      timers_.erase(timers_.begin());
      core->timer(at);
      settle();
    }
    t = until;
  }

  Capabilities capabilities() const override { return caps_; }
  double now() const override { return t; }
  /// Every running process counts 1 in each load average of its host (sampled anew for every view).
  double sample_load(int host, BookHost& h) const override
  {
    h.run_queue = 0;
    for (const auto& [id, p] : core->processes())
      h.run_queue += p.host == host && p.state == ProcState::RUNNING;
    std::fill(h.load, h.load + 3, static_cast<double>(h.run_queue));
    return -std::numeric_limits<double>::infinity();
  }
  std::string migrate(const BookProcess& p, int target) override
  {
    return order(fmt::format("migrate p{} h{}", p.id, target), p, [&] {
      core->process_changed(p.id, p.host, ProcState::MIGRATING);
      moves_.push_back({p.id, p.host, target, MigrationKind::REMOTE, false});
    });
  }
  std::string evict(const BookProcess& p, EvictionReason reason, bool eviction) override
  {
    return order(fmt::format("evict p{} ({}{})", p.id, reason, eviction ? ", eviction" : ""), p, [&] {
      core->process_changed(p.id, p.host, ProcState::MIGRATING);
      moves_.push_back({p.id, p.host, p.home, MigrationKind::EVICT, eviction});
    });
  }
  std::string restart(const BookProcess& p, EvictionReason reason, bool eviction) override
  {
    return order(fmt::format("restart p{} ({}{})", p.id, reason, eviction ? ", eviction" : ""), p, [&] {
      if (eviction)
        moves_.push_back({-1, p.host, p.home, MigrationKind::RESTART, true}); // the kill: confirmed at the next settle
      core->process_restarted(p.id, p.host);
    });
  }
  std::string suspend(const BookProcess& p, bool eviction) override
  {
    return order(fmt::format("suspend p{}{}", p.id, eviction ? " (eviction)" : ""), p, [&] {
      if (eviction)
        moves_.push_back({-1, p.host, p.host, MigrationKind::EVICT, true});
      core->process_changed(p.id, p.host, ProcState::SUSPENDED);
    });
  }
  std::string resume(const BookProcess& p) override
  {
    return order(fmt::format("resume p{}", p.id), p,
                 [&] { core->process_changed(p.id, p.host, ProcState::RUNNING); });
  }
  void revoked(int client, int host) override { orders.push_back(fmt::format("revoked c{} h{}", client, host)); }
  void wake_at(double at_s) override
  {
    orders.push_back(fmt::format("wake_at {:.3f}", at_s));
    timers_.insert(std::upper_bound(timers_.begin(), timers_.end(), at_s), at_s);
  }
  void policy_error(const PolicyEvent& ev, const std::string& what) override
  {
    orders.push_back(fmt::format("policy_error {}: {}", to_string(ev.kind), what));
  }
  void policy_failed(const std::string& what) override { orders.push_back("policy_failed: " + what); }

private:
  struct Move {
    int64_t id; ///< -1: only an eviction step
    int from, to;
    MigrationKind kind;
    bool step;
  };
  std::string order(std::string what, const BookProcess& p, const std::function<void()>& carry)
  {
    if (p.id == refuse_proc) {
      orders.push_back(what + ": refused");
      return "the agent is unreachable";
    }
    orders.push_back(what);
    carry();
    return "";
  }
  Capabilities caps_;
  std::vector<Move> moves_;
  std::vector<double> timers_;
};

} // namespace spritesim::test
