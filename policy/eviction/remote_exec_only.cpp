// "remote-exec": remote execution without migration. Processes are placed at exec exactly like Sprite's (longest
// idle free host) and hosts granted longest-idle first, but nothing ever moves once started: when an owner returns,
// foreign processes are killed and rerun from scratch at home. This is Nichols' Butler (foreign processes killed
// after a warning, NIC87 as TH90 2.3.1 reports it) and the non-preemptive baseline of Harchol-Balter & Downey (HBD97).
#include <algorithm>

#include "policy/policy_support.hpp"

namespace spritesim {

namespace {

class RemoteExecOnly final : public Policy {
public:
  explicit RemoteExecOnly(const PolicyParams& p) : place_arrivals_(p.at("place_arrivals") != 0) {}

private:
  // Free for foreign work under Sprite's rule, unclaimed and running no foreign process; longest idle first.
  std::vector<const HostView*> free_hosts(const ClusterView& view, int home, int client, const Answer& a) const
  {
    std::vector<const HostView*> out;
    for (const auto& h : view.hosts)
      if (takes_foreign_work(h) && h.id != home && view.same_architecture(h, home) &&
          (h.holder < 0 || (client >= 0 && h.holder == client)) && h.foreign == 0 && a.extra_load(h.id) <= 0 &&
          !a.granted(h.id))
        out.push_back(&h);
    std::sort(out.begin(), out.end(), [](const HostView* x, const HostView* y) {
      return x->idle_since_s != y->idle_since_s ? x->idle_since_s < y->idle_since_s : x->id < y->id;
    });
    return out;
  }

  std::vector<Decision> do_decide(const ClusterView& view, const std::vector<PolicyEvent>& events) override
  {
    Answer a(view);
    for (const auto& ev : events) {
      if (ev.kind != EventKind::OWNER_ACTIVE)
        continue;
      // Kill and rerun every foreign process first (the holder's too: a revoke would migrate them), then revoke.
      for (const ProcessView* p : foreign_on(view, ev.host))
        a.restart(p->id);
      const HostView* h = view.host(ev.host);
      if (h && h->holder >= 0)
        a.revoke(h->holder, h->id);
    }
    for (const auto& ev : events) {
      if (ev.kind == EventKind::HOST_REQUEST) {
        int got = 0;
        for (const HostView* h : free_hosts(view, request_home(view, ev), -1, a))
          if (got < ev.count && a.grant(ev.client, h->id))
            ++got;
      } else if (ev.kind == EventKind::PROCESS_ARRIVED && place_arrivals_) {
        const ProcessView* p = view.process(ev.proc);
        if (!p || p->state != ProcState::WAITING || a.touched(p->id))
          continue;
        auto hosts = free_hosts(view, p->home, p->client, a);
        if (!hosts.empty())
          a.place(p->id, hosts.front()->id);
      } else if (ev.kind == EventKind::MIGRATION_DONE) {
        // This policy never migrates; a process moved by someone else onto a busy host is rerun at home.
        const ProcessView* p = view.process(ev.proc);
        const HostView* h = view.host(ev.host);
        if (p && h && h->owner_active && p->host == h->id && p->home != h->id &&
            (p->state == ProcState::RUNNING || p->state == ProcState::SUSPENDED))
          a.restart(p->id);
      }
    }
    return a.take();
  }

  bool place_arrivals_;
};

} // namespace

PolicyInfo remote_exec_only_info()
{
  return {"remote-exec",
          "remote execution only: placement at exec like Sprite, no migration; on owner return foreign processes "
          "are killed and rerun at home",
          "Nichols' Butler (SOSP 1987, NIC87, as TH90 2.3.1 reports it); Harchol-Balter & Downey's non-preemptive "
          "baseline (HBD97); sigla in docs/references.md",
          {{"place_arrivals", "boolean", 1, 0, 1,
            "place independent processes at exec on the longest-idle free host (false: they run at home)"}},
          [](const PolicyParams& p) { return std::make_unique<RemoteExecOnly>(p); }};
}

} // namespace spritesim
