// "least-loaded": grants and places on the available host with the lowest 1-minute load average (ties by id), but
// only when that load is below the home's by `load_margin`, so equal hosts never trade work. Loads are projected
// within one answer (each placement adds one) so that a burst of arrivals spreads out. Owner return: evict home.
// The idea is the "shortest queue" family of Eager, Lazowska & Zahorjan (ELZ86) and icecream's LEAST_BUSY scheduler
// (ICECC).
#include "policy/policy_support.hpp"

namespace spritesim {

namespace {

class LeastLoaded final : public Policy {
public:
  explicit LeastLoaded(const PolicyParams& p) : margin_(p.at("load_margin")) {}

private:
  double projected(const HostView& h, const Answer& a) const { return h.load[0] + a.extra_load(h.id); }

  // The least-loaded host passing `ok`, if it beats the home by the margin; -1 otherwise.
  template <typename Ok> int pick(const ClusterView& view, int home, const Answer& a, Ok ok) const
  {
    const HostView* best = nullptr;
    for (const auto& h : view.hosts)
      if (takes_foreign_work(h) && h.id != home && view.same_architecture(h, home) && ok(h) &&
          (!best || projected(h, a) < projected(*best, a)))
        best = &h;
    const HostView* at_home = view.host(home);
    const double home_load = at_home ? projected(*at_home, a) : 0;
    return best && projected(*best, a) < home_load - margin_ ? best->id : -1;
  }

  std::vector<Decision> do_decide(const ClusterView& view, const std::vector<PolicyEvent>& events) override
  {
    Answer a(view);
    evict_for_returning_owners(view, events, a);
    for (const auto& ev : events) {
      if (ev.kind == EventKind::HOST_REQUEST) {
        const int home = request_home(view, ev);
        for (int k = 0; k < ev.count; ++k) {
          int h = pick(view, home, a, [&](const HostView& x) { return x.holder < 0 && !a.granted(x.id); });
          if (h < 0)
            break;
          a.grant(ev.client, h);
          a.count_stay(h); // the client will run a job there: count it for the next pick
        }
      } else if (ev.kind == EventKind::PROCESS_ARRIVED) {
        const ProcessView* p = view.process(ev.proc);
        if (!p || p->state != ProcState::WAITING || a.touched(p->id))
          continue;
        int h = pick(view, p->home, a,
                     [&](const HostView& x) { return (x.holder < 0 || x.holder == p->client) && !a.granted(x.id); });
        if (h >= 0)
          a.place(p->id, h);
        else
          a.count_stay(p->home); // it runs at home: the next arrival sees that
      }
    }
    return a.take();
  }

  double margin_;
};

} // namespace

PolicyInfo least_loaded_info()
{
  return {"least-loaded",
          "grants and places on the available host with the lowest 1-minute load if it beats the home's by a "
          "margin (ties by id); evicts home on owner return",
          "shortest-queue load sharing (Eager, Lazowska & Zahorjan, ELZ86); icecream LEAST_BUSY (ICECC); loads are "
          "migd's 1-minute averages (SRC migd.c); sigla in docs/references.md",
          {{"load_margin", "number", 0.5, 0, 100,
            "the target is used only if its 1-minute load is more than this below the home's; 0.5 (ours) keeps "
            "work at home when the target is no better"}},
          [](const PolicyParams& p) { return std::make_unique<LeastLoaded>(p); }};
}

} // namespace spritesim
