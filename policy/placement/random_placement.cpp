// "random": the baseline of Eager, Lazowska & Zahorjan (ELZ86): a grant or a placement goes to a host
// drawn uniformly among the available ones, with no load information at all. Owners are respected as in Sprite:
// only available hosts are used, and an owner's return evicts every foreign process home.
#include "policy/policy_support.hpp"

namespace spritesim {

namespace {

class RandomPlacement final : public Policy {
public:
  explicit RandomPlacement(const PolicyParams& p) : rng_(static_cast<uint64_t>(p.at("seed"))) {}

private:
  std::vector<Decision> do_decide(const ClusterView& view, const std::vector<PolicyEvent>& events) override
  {
    Answer a(view);
    evict_for_returning_owners(view, events, a);
    // Events are handled in the order given, so the draws (and hence the answer) depend only on seed and input.
    for (const auto& ev : events) {
      if (ev.kind == EventKind::HOST_REQUEST) {
        const int home = request_home(view, ev);
        for (int k = 0; k < ev.count; ++k) {
          std::vector<int> pool;
          for (const auto& h : view.hosts)
            if (takes_foreign_work(h) && h.holder < 0 && h.id != home && view.same_architecture(h, home) &&
                !a.granted(h.id))
              pool.push_back(h.id);
          if (pool.empty())
            break;
          a.grant(ev.client, pool[rng_.below(pool.size())]);
        }
      } else if (ev.kind == EventKind::PROCESS_ARRIVED) {
        const ProcessView* p = view.process(ev.proc);
        if (!p || p->state != ProcState::WAITING || a.touched(p->id))
          continue;
        std::vector<int> pool;
        for (const auto& h : view.hosts)
          if (takes_foreign_work(h) && h.id != p->home && view.same_architecture(h, p->home) &&
              (h.holder < 0 || h.holder == p->client) &&
              !a.granted(h.id))
            pool.push_back(h.id);
        if (!pool.empty())
          a.place(p->id, pool[rng_.below(pool.size())]);
      }
      // Nothing else needs remembering: a refused grant or placement is not retried.
    }
    return a.take();
  }

  PolicyRng rng_;
};

} // namespace

PolicyInfo random_placement_info()
{
  return {"random",
          "grants and places on a uniformly random available host (no load information); evicts home on owner "
          "return",
          "Eager, Lazowska & Zahorjan's Random baseline (ELZ86); owner rule as Sprite (TH90 6.2.1); sigla in "
          "docs/references.md",
          {{"seed", "integer", 1, 0, 9007199254740991.0,
            "seed of the policy's own std::mt19937_64 (same seed, same choices)"}},
          [](const PolicyParams& p) { return std::make_unique<RandomPlacement>(p); }};
}

} // namespace spritesim
