// "lifetime": Harchol-Balter & Downey's preemptive policy (HBD97). Newborns run at home; every
// `check_interval_s` a RUNNING process p on a host with run queue n moves to the least-loaded host (run queue m,
// m + 1 < n) when age(p) > migration_cost(p) / (n - m): old processes are likely to live long (Pr[L > a | L > b] =
// b/a), so they repay the move. The criterion's exact form is UNVERIFIED (HBD97 was read in its abstracts only).
// Owner return: evict.
#include <algorithm>
#include <set>

#include "policy/policy_support.hpp"

namespace spritesim {

namespace {

class LifetimeMigration final : public Policy {
public:
  explicit LifetimeMigration(const PolicyParams& p) : interval_s_(p.at("check_interval_s")) {}

private:
  static int queue(const HostView& h, const Answer& a) { return h.run_queue + a.extra_load(h.id); }

  // The host with the shortest projected run queue that takes foreign work (ties by id), other than `not_this`,
  // of the architecture of `home`'s (a process runs only on hosts of its home's architecture).
  static const HostView* least_loaded(const ClusterView& view, const Answer& a, int not_this, int home)
  {
    const HostView* best = nullptr;
    for (const auto& h : view.hosts)
      if (h.id != not_this && takes_foreign_work(h) && view.same_architecture(h, home) &&
          (!best || queue(h, a) < queue(*best, a)))
        best = &h;
    return best;
  }

  // At most one move per source host per check: n and m are snapshots, and a second move from the same host on the
  // same numbers would overshoot (the first already shortened n); the next check sees the new queues. It also bounds
  // the migration traffic one host generates per interval.
  void check(const ClusterView& view, Answer& a)
  {
    for (const auto& src : view.hosts) {
      if (!src.up || src.is_file_server)
        continue;
      // Processes on a host are of its architecture (migd moves none across): the source's own stands for theirs.
      const HostView* dst = least_loaded(view, a, src.id, src.id);
      if (!dst)
        continue;
      const int n = queue(src, a);
      const int m = queue(*dst, a);
      // n counts p itself: a move pays only if the target, with p, is still lighter than the source (m + 1 < n).
      // With m = n - 1 the process would find the same share there, and the next check would send it back.
      if (m + 1 >= n)
        continue;
      // The oldest process that passes the criterion (ties: lowest id).
      const ProcessView* pick = nullptr;
      for (const auto& p : view.processes)
        if (p.host == src.id && p.state == ProcState::RUNNING && p.migratable && !a.touched(p.id) &&
            !refused_.count(p.id) && view.age_s(p) > p.migration_cost_s / (n - m) && (!pick || view.age_s(p) > view.age_s(*pick)))
          pick = &p;
      if (pick)
        a.migrate(pick->id, dst->id);
    }
  }

  std::vector<Decision> do_decide(const ClusterView& view, const std::vector<PolicyEvent>& events) override
  {
    Answer a(view);
    bool tick = false;
    for (const auto& ev : events) {
      switch (ev.kind) {
        case EventKind::OWNER_ACTIVE: vacate_host(view, ev.host, a); break;
        case EventKind::MIGRATION_DONE: evict_if_owner_back(view, ev, a); break;
        case EventKind::TIMER: tick = true; break;
        case EventKind::PROCESS_EXITED: refused_.erase(ev.proc); break;
        case EventKind::DECISION_REJECTED:
          if (ev.rejected.kind == DecisionKind::WAKE_AT)
            wakes_.forget(ev.rejected.at_s);
          else if (ev.rejected.kind == DecisionKind::MIGRATE)
            refused_.insert(ev.rejected.proc.value()); // not retried: the same move would be refused again
          break;
        default: break; // PROCESS_ARRIVED: newborns run at home, so no PLACE
      }
    }
    if (tick)
      check(view, a);
    for (const auto& ev : events) {
      if (ev.kind != EventKind::HOST_REQUEST)
        continue;
      // Grants for pmake-like clients: shortest run queue first, among hosts taking foreign work.
      const int home = request_home(view, ev);
      std::vector<const HostView*> hosts;
      for (const auto& h : view.hosts)
        if (takes_foreign_work(h) && h.holder < 0 && h.id != home && view.same_architecture(h, home) &&
            !a.granted(h.id))
          hosts.push_back(&h);
      std::stable_sort(hosts.begin(), hosts.end(),
                       [&](const HostView* x, const HostView* y) { return queue(*x, a) < queue(*y, a); });
      for (int k = 0; k < ev.count && k < static_cast<int>(hosts.size()); ++k)
        a.grant(ev.client, hosts[static_cast<size_t>(k)]->id);
    }
    if (!view.processes.empty())
      wakes_.ensure(view, view.now_s + interval_s_, a);
    return a.take();
  }

  double interval_s_;
  std::set<int64_t> refused_;
  WakeBook wakes_;
};

} // namespace

PolicyInfo lifetime_migration_info()
{
  return {"lifetime",
          "Harchol-Balter & Downey: newborns run at home; periodically migrate an old process to the least-loaded "
          "host when age > migration cost / (n - m); evicts home on owner return",
          "Harchol-Balter & Downey, SIGMETRICS 1996 / TOCS 1997 (HBD97 in docs/references.md; the criterion is "
          "UNVERIFIED: only their abstracts were read)",
          {{"check_interval_s", "number", 1, 0.001, 3600,
            "seconds between migration checks (1, ours: the paper's period was not found)"}},
          [](const PolicyParams& p) { return std::make_unique<LifetimeMigration>(p); }};
}

} // namespace spritesim
