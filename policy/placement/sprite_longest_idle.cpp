// "sprite": Sprite's global migd (TH90 6.2.1; SPE91 pp.14-16; SRC src/daemons/migd/global.c). Available hosts are
// granted longest-idle first; a request that finds none reclaims one host from the biggest holder (CheckFairness);
// independent processes are placed at exec on the longest-idle free host; an owner's return evicts every foreign
// process home (unless evict_on_owner is false: then they finish beside the owner). Sprite never migrates to balance
// load (SPE91 pp.13-14; TH90 7.2).
#include <algorithm>

#include "policy/policy_support.hpp"

namespace spritesim {

namespace {

bool longest_idle_first(const HostView* a, const HostView* b)
{
  return a->idle_since_s != b->idle_since_s ? a->idle_since_s < b->idle_since_s : a->id < b->id;
}

class SpriteLongestIdle final : public Policy {
public:
  explicit SpriteLongestIdle(const PolicyParams& p)
      : margin_(static_cast<int>(p.at("fairness_margin"))), place_arrivals_(p.at("place_arrivals") != 0),
        evict_on_owner_(p.at("evict_on_owner") != 0)
  {
  }

private:
  std::vector<Decision> do_decide(const ClusterView& view, const std::vector<PolicyEvent>& events) override
  {
    Answer a(view);
    // Evictions first, so that nothing below hands out a host whose owner just came back.
    if (evict_on_owner_)
      evict_for_returning_owners(view, events, a);
    for (const auto& ev : events) {
      if (ev.kind == EventKind::HOST_REQUEST)
        serve(view, ev, a);
      else if (ev.kind == EventKind::PROCESS_ARRIVED && place_arrivals_)
        place(view, ev, a);
    }
    // The rest needs no memory: migd answers from the current view. A refused grant or placement is not retried
    // (the client asks again; the process runs at home), a refused eviction means the process already left.
    return a.take();
  }

  void serve(const ClusterView& view, const PolicyEvent& ev, Answer& a) const
  {
    const int home = request_home(view, ev);
    std::vector<const HostView*> free;
    for (const auto& h : view.hosts)
      if (takes_foreign_work(h) && h.holder < 0 && h.foreign == 0 && h.id != home && view.same_architecture(h, home) &&
          !a.granted(h.id) &&
          a.extra_load(h.id) <= 0)
        free.push_back(&h);
    std::sort(free.begin(), free.end(), longest_idle_first);
    int got = 0;
    for (const HostView* h : free)
      if (got < ev.count && a.grant(ev.client, h->id))
        ++got;
    if (got == 0 && ev.count > 0)
      reclaim(view, ev, home, a);
  }

  // CheckFairness: the client holding the most hosts gives one up if it holds at least `margin_` more than the
  // requester, and never so that it is left with fewer than the requester it serves. The host changes hands in
  // this answer: revoked (its processes go home), then granted.
  void reclaim(const ClusterView& view, const PolicyEvent& ev, int home, Answer& a) const
  {
    const int clients = static_cast<int>(std::max(view.held_by_client.size(), static_cast<size_t>(ev.client + 1)));
    int victim = -1;
    for (int c = 0; c < clients; ++c)
      if (c != ev.client && a.held(c) > 0 && (victim < 0 || a.held(c) > a.held(victim)))
        victim = c;
    if (victim < 0)
      return;
    const int mine = a.held(ev.client);
    const int theirs = a.held(victim);
    if (theirs < mine + margin_ || theirs - 1 < mine + 1)
      return;
    // Among the victim's hosts the requester may use, the one with the fewest processes to evict.
    const HostView* best = nullptr;
    int best_procs = 0;
    for (const auto& h : view.hosts) {
      if (h.holder != victim || h.id == home || a.revoked(h.id) || !h.up || h.is_file_server || h.owner_active ||
          !view.same_architecture(h, home))
        continue;
      int procs = static_cast<int>(foreign_on(view, h.id).size());
      if (!best || procs < best_procs || (procs == best_procs && longest_idle_first(&h, best))) {
        best = &h;
        best_procs = procs;
      }
    }
    if (best && a.revoke(victim, best->id))
      a.grant(ev.client, best->id);
  }

  // Exec-time placement (Mig_RequestIdleHosts + remote exec): the longest-idle available host running no foreign
  // process, granted to nobody else; without one the process runs at home.
  void place(const ClusterView& view, const PolicyEvent& ev, Answer& a) const
  {
    const ProcessView* p = view.process(ev.proc);
    if (!p || p->state != ProcState::WAITING || a.touched(p->id))
      return;
    const HostView* best = nullptr;
    for (const auto& h : view.hosts)
      if (takes_foreign_work(h) && h.id != p->home && view.same_architecture(h, p->home) &&
          (h.holder < 0 || h.holder == p->client) && h.foreign == 0 &&
          a.extra_load(h.id) <= 0 && !a.granted(h.id) && (!best || longest_idle_first(&h, best)))
        best = &h;
    if (best)
      a.place(p->id, best->id);
  }

  int margin_;
  bool place_arrivals_;
  bool evict_on_owner_;
};

} // namespace

PolicyInfo sprite_longest_idle_info()
{
  return {"sprite",
          "Sprite migd: idle hosts longest-idle first, exec-time placement, fairness reclaim from the biggest holder, "
          "eviction home when the owner returns; never balances load",
          "TH90 6.2.1, 6.3.2, 7.2; SPE91 pp.13-16; SRC src/daemons/migd/global.c (CheckFairness), migd.c; sigla in "
          "docs/references.md",
          {{"fairness_margin", "integer", 2, 2, 1000,
            "a host is reclaimed only from a client holding at least this many more hosts than the requester "
            "(global.c: 2); at least 2, so that the victim never ends with fewer hosts than the requester"},
           {"place_arrivals", "boolean", 1, 0, 1,
            "place independent processes at exec on the longest-idle free host (false: they run at home)"},
           {"evict_on_owner", "boolean", 1, 0, 1,
            "an owner's return revokes the grant and evicts every foreign process home (false: never evict; they "
            "finish beside the owner, and the host is given back when its client next confirms it)"}},
          [](const PolicyParams& p) { return std::make_unique<SpriteLongestIdle>(p); }};
}

} // namespace spritesim
