// Sprite's longest-idle-first host selection with fairness reclaim (see sprite_longest_idle.hpp).
#include "policy/placement/sprite_longest_idle.hpp"

#include <algorithm>

namespace spritesim {

namespace {

class SpriteLongestIdle final : public Policy {
public:
  explicit SpriteLongestIdle(const PolicyParams& p) : margin_(static_cast<int>(p.at("fairness_margin"))) {}

private:
  std::vector<Decision> do_decide(const ClusterView& view, const std::vector<PolicyEvent>& events) override
  {
    std::vector<Decision> out;
    std::vector<int> held = view.held_by_client;
    std::vector<bool> taken(view.hosts.size(), false);
    for (const auto& ev : events) {
      if (ev.kind != EventKind::HOST_REQUEST)
        continue;
      std::vector<const HostView*> free;
      for (const auto& h : view.hosts)
        if (h.available && h.holder < 0 && !h.is_file_server && h.id != ev.home && !taken[static_cast<size_t>(h.id)])
          free.push_back(&h);
      // Longest idle first; ties by host id so the choice is deterministic.
      std::sort(free.begin(), free.end(), [](const HostView* a, const HostView* b) {
        return a->idle_since_s != b->idle_since_s ? a->idle_since_s < b->idle_since_s : a->id < b->id;
      });
      auto mine = [&](int c) -> int& {
        if (c >= static_cast<int>(held.size()))
          held.resize(static_cast<size_t>(c) + 1, 0);
        return held[static_cast<size_t>(c)];
      };
      for (int k = 0; k < ev.count && k < static_cast<int>(free.size()); ++k) {
        out.push_back({DecisionKind::GRANT_HOST, ev.client, free[static_cast<size_t>(k)]->id});
        taken[static_cast<size_t>(free[static_cast<size_t>(k)]->id)] = true;
        ++mine(ev.client);
      }
      if (free.empty() && ev.count > 0) {
        // Fairness (global.c CheckFairness): take one host from the biggest holder if it has `margin` more.
        int victim = -1;
        for (int c = 0; c < static_cast<int>(held.size()); ++c)
          if (c != ev.client && (victim < 0 || held[static_cast<size_t>(c)] > held[static_cast<size_t>(victim)]))
            victim = c;
        int requester_holds = mine(ev.client); // may grow `held`: read it before indexing
        if (victim >= 0 && held[static_cast<size_t>(victim)] >= requester_holds + margin_) {
          for (const auto& h : view.hosts)
            if (h.holder == victim && h.id != ev.home && !taken[static_cast<size_t>(h.id)]) {
              out.push_back({DecisionKind::REVOKE_HOST, victim, h.id});
              taken[static_cast<size_t>(h.id)] = true;
              --held[static_cast<size_t>(victim)];
              break;
            }
        }
      }
    }
    return out;
  }
  int margin_;
};

} // namespace

PolicyInfo sprite_longest_idle_info()
{
  return {"sprite",
          "Sprite migd: idle hosts longest-idle first, exec-time placement, fairness reclaim from the biggest holder",
          "TH90 6.2.1; SRC src/daemons/migd/global.c",
          {{"fairness_margin", "integer", 2, 1, 1000,
            "a host is reclaimed only from a client holding at least this many more hosts than the requester"}},
          [](const PolicyParams& p) { return std::make_unique<SpriteLongestIdle>(p); }};
}

} // namespace spritesim
