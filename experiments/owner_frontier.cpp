// The owner study's Pareto frontier (see owner_frontier.hpp).
#include "experiments/owner_frontier.hpp"

namespace spritesim {

namespace {

bool dominates(const FrontierPoint& a, const FrontierPoint& b)
{
  if (a.intrusion_s.n == 0 || a.speedup.n == 0)
    return false;
  double ax = a.intrusion_s.mean, ay = a.speedup.mean, bx = b.intrusion_s.mean, by = b.speedup.mean;
  return ax <= bx && ay >= by && (ax < bx || ay > by);
}

} // namespace

void mark_frontier(std::vector<FrontierPoint>& points)
{
  for (auto& p : points) {
    p.dominated_by.clear();
    for (const auto& q : points)
      if (&q != &p && dominates(q, p)) {
        p.dominated_by = q.setting;
        break;
      }
    p.on_frontier = p.intrusion_s.n > 0 && p.speedup.n > 0 && p.dominated_by.empty();
  }
}

bool intervals_overlap(const SummaryStats& a, const SummaryStats& b)
{
  double ha = a.ci95.value_or(0), hb = b.ci95.value_or(0);
  return a.mean - ha <= b.mean + hb && b.mean - hb <= a.mean + ha;
}

} // namespace spritesim
