// "mosix": MOSIX-style decentralised load balancing (BS85, BSW89 as TH90 2.3.3 and 6.3.3 report them). Every
// `exchange_interval_s` each host tells `peers` randomly chosen hosts its load (run queue over CPU speed); each host
// knows only what it last heard, kept here per host. After an exchange every host whose load exceeds its least
// loaded known peer's by more than `threshold` sends one migratable process there. Flood prevention: moves under way
// count against their target in every host's estimate, so several hosts do not pick the same target.
#include <algorithm>
#include <map>
#include <set>

#include "policy/policy_support.hpp"

namespace spritesim {

namespace {

class MosixGossip final : public Policy {
public:
  explicit MosixGossip(const PolicyParams& p)
      : interval_s_(p.at("exchange_interval_s")), peers_(static_cast<int>(p.at("peers"))),
        threshold_(p.at("threshold")), evict_on_owner_(p.at("evict_on_owner") != 0),
        rng_(static_cast<uint64_t>(p.at("seed")))
  {
  }

private:
  static double own_load(const HostView& h, int extra = 0)
  {
    return (h.run_queue + extra) / std::max(h.speed, 1e-9);
  }

  bool target_ok(const HostView& h) const
  {
    return h.up && !h.is_file_server && !(evict_on_owner_ && h.owner_active);
  }

  int incoming(int host) const
  {
    int n = 0;
    for (const auto& [proc, to] : inflight_)
      n += to == host ? 1 : 0;
    return n;
  }

  // What `from` believes about `to`, with the moves under way to `to` added (flood prevention).
  double estimate(const ClusterView& view, int from, int to) const
  {
    const auto& known = known_[static_cast<size_t>(from)];
    auto it = known.find(to);
    return it->second + incoming(to) / std::max(view.hosts[static_cast<size_t>(to)].speed, 1e-9);
  }

  // The least-loaded peer `from` knows of, passing `ok`, and its estimated load; -1 when it knows none.
  template <typename Ok> std::pair<int, double> best_known(const ClusterView& view, int from, Ok ok) const
  {
    int best = -1;
    double best_load = 0;
    for (const auto& [to, load] : known_[static_cast<size_t>(from)]) {
      const HostView* h = view.host(to);
      if (!h || to == from || !target_ok(*h) || !ok(*h))
        continue;
      double e = estimate(view, from, to);
      if (best < 0 || e < best_load) {
        best = to;
        best_load = e;
      }
    }
    return {best, best_load};
  }

  void exchange(const ClusterView& view)
  {
    std::vector<int> alive;
    for (const auto& h : view.hosts)
      if (h.up && !h.is_file_server)
        alive.push_back(h.id);
    for (int from : alive) {
      std::vector<int> others;
      for (int id : alive)
        if (id != from)
          others.push_back(id);
      const int k = std::min(peers_, static_cast<int>(others.size()));
      for (int i = 0; i < k; ++i) { // partial Fisher-Yates: k distinct peers
        size_t j = static_cast<size_t>(i) + rng_.below(others.size() - static_cast<size_t>(i));
        std::swap(others[static_cast<size_t>(i)], others[j]);
        known_[static_cast<size_t>(others[static_cast<size_t>(i)])][from] =
            own_load(view.hosts[static_cast<size_t>(from)]);
      }
    }
  }

  // One move per overloaded host per exchange: MOSIX moves a process at a time and waits for fresh loads.
  void balance(const ClusterView& view, Answer& a)
  {
    for (const auto& src : view.hosts) {
      if (!src.up || src.is_file_server)
        continue;
      const ProcessView* pick = nullptr;
      for (const auto& p : view.processes)
        if (p.host == src.id && p.state == ProcState::RUNNING && p.migratable && !a.touched(p.id) &&
            !refused_.count(p.id) && (!pick || p.migration_cost_s < pick->migration_cost_s))
          pick = &p; // the cheapest to move (ties: lowest id, the scan order)
      if (!pick)
        continue;
      auto [to, load] =
          best_known(view, src.id, [&](const HostView& h) { return view.same_architecture(h, pick->home); });
      const double from_load = own_load(src, a.extra_load(src.id));
      // Ours, not MOSIX's published rule: the move must lower the pair's higher load, i.e. the target with the
      // process stays below the source without it moved; otherwise (a threshold below one process per CPU, or
      // hosts slower than the reference) a lone process would swap between two idle hosts forever.
      const bool lowers =
          to >= 0 && load + 1 / std::max(view.hosts[static_cast<size_t>(to)].speed, 1e-9) < from_load;
      if (to >= 0 && from_load - load > threshold_ && lowers && a.migrate(pick->id, to))
        inflight_[pick->id] = to;
    }
  }

  std::vector<Decision> do_decide(const ClusterView& view, const std::vector<PolicyEvent>& events) override
  {
    known_.resize(view.hosts.size());
    Answer a(view);
    bool tick = false;
    for (const auto& ev : events) {
      switch (ev.kind) {
        case EventKind::TIMER: tick = true; break;
        case EventKind::PROCESS_EXITED:
          inflight_.erase(ev.proc);
          refused_.erase(ev.proc);
          break;
        case EventKind::MIGRATION_DONE:
          inflight_.erase(ev.proc);
          if (evict_on_owner_)
            evict_if_owner_back(view, ev, a);
          break;
        case EventKind::HOST_DOWN:
          for (auto& known : known_)
            known.erase(ev.host);
          if (ev.host >= 0 && ev.host < static_cast<int>(known_.size()))
            known_[static_cast<size_t>(ev.host)].clear();
          break;
        case EventKind::OWNER_ACTIVE:
          if (evict_on_owner_)
            vacate_host(view, ev.host, a);
          break;
        case EventKind::DECISION_REJECTED:
          if (ev.rejected.kind == DecisionKind::WAKE_AT)
            wakes_.forget(ev.rejected.at_s);
          inflight_.erase(ev.rejected.proc.value());
          if (ev.rejected.kind == DecisionKind::MIGRATE)
            refused_.insert(ev.rejected.proc.value()); // never tried again: it would likely be refused again
          break;
        default: break;
      }
    }
    // Moves the view no longer shows as under way are over (a missed MIGRATION_DONE must not block a target).
    for (auto it = inflight_.begin(); it != inflight_.end();) {
      const ProcessView* p = view.process(it->first);
      bool moving = p && (p->state == ProcState::MIGRATING || p->state == ProcState::WAITING);
      it = moving ? std::next(it) : inflight_.erase(it);
    }
    if (tick) {
      exchange(view);
      balance(view, a);
    }
    for (const auto& ev : events) {
      if (ev.kind == EventKind::HOST_REQUEST)
        grant(view, ev, a);
      else if (ev.kind == EventKind::PROCESS_ARRIVED)
        place(view, ev, a);
    }
    if (!view.processes.empty())
      wakes_.ensure(view, view.now_s + interval_s_, a);
    return a.take();
  }

  // Grants: the hosts the requester's home knows as least loaded, then the ones it never heard of, by id.
  void grant(const ClusterView& view, const PolicyEvent& ev, Answer& a)
  {
    const int home = request_home(view, ev);
    std::vector<std::pair<double, int>> order;
    for (const auto& h : view.hosts)
      if (h.id != home && h.holder < 0 && target_ok(h) && h.available && view.same_architecture(h, home) &&
          !a.granted(h.id)) {
        bool known = home >= 0 && home < static_cast<int>(known_.size()) &&
                     known_[static_cast<size_t>(home)].count(h.id);
        order.push_back({known ? estimate(view, home, h.id) : 1e300, h.id});
      }
    std::sort(order.begin(), order.end());
    for (int k = 0; k < ev.count && k < static_cast<int>(order.size()); ++k)
      a.grant(ev.client, order[static_cast<size_t>(k)].second);
  }

  // A new process leaves home at once if home's knowledge shows a peer lighter by more than the threshold.
  void place(const ClusterView& view, const PolicyEvent& ev, Answer& a)
  {
    const ProcessView* p = view.process(ev.proc);
    const HostView* home = p ? view.host(p->home) : nullptr;
    if (!p || !home || p->state != ProcState::WAITING || a.touched(p->id))
      return;
    auto [to, load] = best_known(view, home->id, [&](const HostView& h) {
      return (h.holder < 0 || h.holder == p->client) && view.same_architecture(h, p->home);
    });
    if (to >= 0 && own_load(*home, a.extra_load(home->id)) - load > threshold_ && a.place(p->id, to))
      inflight_[p->id] = to;
    else
      a.count_stay(home->id);
  }

  double interval_s_;
  int peers_;
  double threshold_;
  bool evict_on_owner_;
  PolicyRng rng_;
  std::vector<std::map<int, double>> known_; // per host: peer -> load as last heard
  std::map<int64_t, int> inflight_;          // moves under way: process -> target
  std::set<int64_t> refused_;                // processes whose migration the backend refused
  WakeBook wakes_;
};

} // namespace

PolicyInfo mosix_gossip_info()
{
  return {"mosix",
          "MOSIX-style gossip balancing: each host sends its load to a few random peers every second and pushes a "
          "process to the least-loaded peer it knows when the gap exceeds a threshold (flood prevention on)",
          "Barak et al. MOSIX (BS85, BSW89) as described in TH90 2.3.3, 6.3.3: 3 random peers about once per "
          "second, flood prevention, speed-adjusted load; sigla in docs/references.md",
          {{"exchange_interval_s", "number", 1, 0.001, 3600, "seconds between load exchanges (about 1 s, TH90 6.3.3)"},
           {"peers", "integer", 3, 1, 1000, "random peers each host sends its load to per exchange (3, TH90 6.3.3)"},
           {"threshold", "number", 1, 0, 1000,
            "a process moves only if the source's load exceeds the target's estimate by more than this (runnable "
            "processes per reference CPU; 1, ours: a smaller gap would just swap the imbalance), and only if the "
            "target with it stays below the source's load before the move (ours: no lone process swaps forever)"},
           {"evict_on_owner", "boolean", 1, 0, 1,
            "evict foreign processes home when the owner returns and never move onto such hosts (false: a pure "
            "MOSIX pool that ignores owners)"},
           {"seed", "integer", 1, 0, 9007199254740991.0, "seed of the policy's own std::mt19937_64"}},
          [](const PolicyParams& p) { return std::make_unique<MosixGossip>(p); }};
}

} // namespace spritesim
