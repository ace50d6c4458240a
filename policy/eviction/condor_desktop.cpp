// "condor": the classic HTCondor desktop policy as a site ran it (NDCP, the Notre Dame CRC wiki; the HTCondor manual's
// StartIdleTime / BackgroundLoad / HighLoad / MaxSuspendTime, HTCM; docs/references.md). Foreign work starts only on a
// host idle at the keyboard for 15 min with load < 0.3; when the owner returns (or the owner's own load stays above
// 0.5 for 2 min) foreign processes are suspended for up to 10 min, then resumed if the owner left, else vacated.
#include <algorithm>
#include <map>
#include <set>

#include "policy/policy_support.hpp"

namespace spritesim {

namespace {

class CondorDesktop final : public Policy {
public:
  explicit CondorDesktop(const PolicyParams& p)
      : start_idle_s_(p.at("start_idle_s")), start_load_(p.at("start_load")), high_load_(p.at("high_load")),
        high_load_s_(p.at("high_load_s")), max_suspend_s_(p.at("max_suspend_s")), poll_s_(p.at("poll_interval_s")),
        vacate_migrate_(p.at("vacate_migrate") != 0)
  {
  }

private:
  struct Hold {
    double deadline_s = 0;
    std::set<int64_t> procs; // suspended by us
  };

  // START: keyboard idle long enough, low load, nothing foreign yet, not one of our suspended hosts.
  bool may_start(const ClusterView& view, const HostView& h, const Answer& a) const
  {
    return h.up && !h.is_file_server && !h.owner_active && view.input_idle_s(h) >= start_idle_s_ &&
           h.load[0] + a.extra_load(h.id) < start_load_ && h.foreign == 0 && a.extra_load(h.id) <= 0 &&
           !holds_.count(h.id) && !a.granted(h.id);
  }

  // HTCondor's NonCondorLoadAvg: the host's 1-minute load less the foreign processes running there (an
  // approximation: a foreign process counts fully at once, while the average only catches up over a minute).
  static double owner_load(const ClusterView& view, const HostView& h)
  {
    int running = 0;
    for (const ProcessView* p : foreign_on(view, h.id))
      running += p->state == ProcState::RUNNING ? 1 : 0;
    return std::max(0.0, h.load[0] - running);
  }

  // Start hosts, longest keyboard idleness first (ties by id).
  std::vector<int> start_hosts(const ClusterView& view, int home, int client, const Answer& a) const
  {
    std::vector<const HostView*> ok;
    for (const auto& h : view.hosts)
      if (h.id != home && view.same_architecture(h, home) && (h.holder < 0 || (client >= 0 && h.holder == client)) &&
          may_start(view, h, a))
        ok.push_back(&h);
    std::sort(ok.begin(), ok.end(), [&view](const HostView* x, const HostView* y) {
      const double ix = view.input_idle_s(*x), iy = view.input_idle_s(*y);
      return ix != iy ? ix > iy : x->id < y->id;
    });
    std::vector<int> out;
    for (const HostView* h : ok)
      out.push_back(h->id);
    return out;
  }

  void suspend_host(const ClusterView& view, int host, Answer& a)
  {
    busy_since_.erase(host);
    const HostView* h = view.host(host);
    if (!h)
      return;
    auto [it, fresh] = holds_.try_emplace(host);
    if (fresh)
      it->second.deadline_s = view.now_s + max_suspend_s_;
    for (const ProcessView* p : foreign_on(view, host))
      if (p->state == ProcState::SUSPENDED || a.suspend(p->id))
        it->second.procs.insert(p->id);
    if (it->second.procs.empty()) {
      holds_.erase(it);
      if (h->holder >= 0 && h->owner_active)
        a.revoke(h->holder, host); // nothing to suspend: the claim is simply preempted
    }
  }

  void resume_host(const ClusterView& view, int host, Answer& a)
  {
    for (int64_t id : holds_[host].procs)
      if (const ProcessView* p = view.process(id); p && p->state == ProcState::SUSPENDED && p->host == host)
        a.resume(id);
    holds_.erase(host);
  }

  // Vacate: each suspended process goes home (or to another start host), then the claim is revoked.
  void vacate_host(const ClusterView& view, int host, Answer& a)
  {
    for (int64_t id : holds_[host].procs) {
      const ProcessView* p = view.process(id);
      if (!p || p->host != host || (p->state != ProcState::RUNNING && p->state != ProcState::SUSPENDED))
        continue;
      std::vector<int> to = vacate_migrate_ && p->migratable ? start_hosts(view, p->home, p->client, a)
                                                             : std::vector<int>{};
      if (!to.empty())
        a.migrate(id, to.front());
      else
        a.evict(id);
    }
    holds_.erase(host);
    const HostView* h = view.host(host);
    if (h && h->holder >= 0)
      a.revoke(h->holder, host);
  }

  void forget(int64_t proc)
  {
    for (auto it = holds_.begin(); it != holds_.end();) {
      it->second.procs.erase(proc);
      it = it->second.procs.empty() ? holds_.erase(it) : std::next(it);
    }
  }

  std::vector<Decision> do_decide(const ClusterView& view, const std::vector<PolicyEvent>& events) override
  {
    Answer a(view);
    for (const auto& ev : events) {
      if (ev.kind == EventKind::PROCESS_EXITED)
        forget(ev.proc);
      else if (ev.kind == EventKind::HOST_DOWN) {
        holds_.erase(ev.host);
        busy_since_.erase(ev.host);
      } else if (ev.kind == EventKind::DECISION_REJECTED) {
        // Never retried: a refused suspend/resume/vacate means the process moved on without us.
        if (ev.rejected.kind == DecisionKind::WAKE_AT)
          wakes_.forget(ev.rejected.at_s);
        else if (ev.rejected.proc.valid())
          forget(ev.rejected.proc.value());
      }
    }
    for (const auto& ev : events) {
      const HostView* h = view.host(ev.host);
      if (ev.kind == EventKind::OWNER_ACTIVE)
        suspend_host(view, ev.host, a);
      else if (ev.kind == EventKind::MIGRATION_DONE && h && (h->owner_active || holds_.count(h->id)))
        suspend_host(view, ev.host, a); // arrived on a host being reclaimed: held with the others
      else if (ev.kind == EventKind::OWNER_IDLE && h && holds_.count(h->id) && owner_load(view, *h) <= high_load_)
        resume_host(view, ev.host, a);
    }
    // Holds that reached MaxSuspendTime.
    std::vector<int> due;
    for (const auto& [host, hold] : holds_)
      if (hold.deadline_s <= view.now_s)
        due.push_back(host);
    for (int host : due) {
      const HostView* h = view.host(host);
      if (!h)
        holds_.erase(host);
      else if (h->owner_active || owner_load(view, *h) > high_load_)
        vacate_host(view, host, a);
      else
        resume_host(view, host, a);
    }
    bool watching = watch_owner_load(view, a);
    for (const auto& ev : events) {
      if (ev.kind == EventKind::HOST_REQUEST) {
        auto hosts = start_hosts(view, request_home(view, ev), -1, a);
        for (int k = 0; k < ev.count && k < static_cast<int>(hosts.size()); ++k)
          a.grant(ev.client, hosts[static_cast<size_t>(k)]);
      } else if (ev.kind == EventKind::PROCESS_ARRIVED) {
        const ProcessView* p = view.process(ev.proc);
        if (!p || p->state != ProcState::WAITING || a.touched(p->id))
          continue;
        auto hosts = start_hosts(view, p->home, p->client, a);
        if (!hosts.empty()) {
          a.place(p->id, hosts.front());
          watching = true;
        }
      }
    }
    // One timer: the next poll while foreign work runs, or the earliest hold deadline (all in the future here).
    double next = watching ? view.now_s + poll_s_ : 1e300;
    for (const auto& [host, hold] : holds_)
      next = std::min(next, hold.deadline_s);
    if (next < 1e300)
      wakes_.ensure(view, next, a);
    return a.take();
  }

  // SUSPEND when the owner's own load stays above HighLoad for high_load_s; true while foreign work runs anywhere.
  bool watch_owner_load(const ClusterView& view, Answer& a)
  {
    bool any = false;
    for (const auto& h : view.hosts) {
      bool runs = false;
      for (const ProcessView* p : foreign_on(view, h.id))
        runs = runs || (p->state == ProcState::RUNNING && !a.touched(p->id));
      if (!runs || holds_.count(h.id)) {
        busy_since_.erase(h.id);
        continue;
      }
      if (owner_load(view, h) <= high_load_) {
        busy_since_.erase(h.id);
        any = true;
        continue;
      }
      double since = busy_since_.try_emplace(h.id, view.now_s).first->second;
      if (view.now_s - since >= high_load_s_)
        suspend_host(view, h.id, a); // now timed by its hold, not by polling
      else
        any = true;
    }
    return any;
  }

  double start_idle_s_, start_load_, high_load_, high_load_s_, max_suspend_s_, poll_s_;
  bool vacate_migrate_;
  std::map<int, Hold> holds_;
  std::map<int, double> busy_since_; // when the owner's load was first seen above high_load_
  WakeBook wakes_;
};

} // namespace

PolicyInfo condor_desktop_info()
{
  return {"condor",
          "HTCondor desktop policy: start on keyboard-idle, lightly loaded hosts; suspend on owner return or high "
          "owner load; resume if the owner leaves within max_suspend_s, else vacate home (or to another host)",
          "Notre Dame CRC wiki Condor policy (NDCP); HTCondor manual's StartIdleTime, BackgroundLoad, HighLoad, "
          "MaxSuspendTime (HTCM); Litzkow, Livny & Mutka, ICDCS 1988 (LLM88); sigla in docs/references.md",
          {{"start_idle_s", "number", 900, 0, 1e9, "keyboard idleness needed to start foreign work, s (15 min)"},
           {"start_load", "number", 0.3, 0, 1000, "1-minute load below which foreign work may start (0.3)"},
           {"high_load", "number", 0.5, 0, 1000, "owner's own load above which foreign work is suspended (0.5)"},
           {"high_load_s", "number", 120, 0, 1e9, "how long the owner's load must stay high before suspending, s"},
           {"max_suspend_s", "number", 600, 0.001, 1e9,
            "suspension after which foreign work is vacated if the owner is still there, s (10 min)"},
           {"poll_interval_s", "number", 5, 0.001, 1e9,
            "how often owner load is checked while foreign work runs, s (migd's 5 s sampling, SRC mig.h)"},
           {"vacate_migrate", "boolean", 0, 0, 1,
            "vacate by migrating to another start host when one exists (false: evict home)"}},
          [](const PolicyParams& p) { return std::make_unique<CondorDesktop>(p); }};
}

} // namespace spritesim
