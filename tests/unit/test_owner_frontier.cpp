// Unit tests for the owner study's trade-off plane (experiments/owner_frontier.hpp): the Pareto frontier of
// (intrusion per owner return, speedup) on a hand-made table.
#include <doctest/doctest.h>

#include "experiments/owner_frontier.hpp"

using namespace spritesim;

namespace {

FrontierPoint point(const char* setting, double intrusion_s, double speedup, int64_t n = 10)
{
  FrontierPoint p;
  p.setting = setting;
  p.intrusion_s = {n, intrusion_s, 0.1, 0.2};
  p.speedup = {n, speedup, 0.1, 0.2};
  return p;
}

} // namespace

TEST_CASE("owner study: the frontier keeps the settings nothing beats on both intrusion and speedup")
{
  std::vector<FrontierPoint> pts = {
      point("sprite", 0.5, 3.3),      // on it: nothing both faster and less intrusive
      point("never-evict", 40, 3.4),  // on it: the fastest
      point("condor", 60, 1.9),       // dominated by sprite (and never-evict)
      point("kill", 0.2, 3.0),        // on it: the least intrusive
      point("tie", 0.5, 3.3),         // equal to sprite: neither dominates the other
      point("slow-equal", 0.5, 3.2),  // same intrusion as sprite, slower: dominated
      point("no-runs", 0, 9, 0),      // no runs: off the frontier, dominates nothing
  };
  mark_frontier(pts);
  std::vector<std::string> on, by;
  for (const auto& p : pts) {
    if (p.on_frontier)
      on.push_back(p.setting);
    by.push_back(p.dominated_by);
  }
  CHECK(on == std::vector<std::string>{"sprite", "never-evict", "kill", "tie"});
  CHECK(by == std::vector<std::string>{"", "", "sprite", "", "", "sprite", ""});
}

TEST_CASE("owner study: intervals overlap when the 95% half-widths reach each other")
{
  SummaryStats a{10, 1.0, 0.5, 0.3}, b{10, 1.5, 0.5, 0.25}, c{10, 1.6, 0.5, 0.25}, lone{1, 1.2, {}, {}};
  CHECK(intervals_overlap(a, b));
  CHECK_FALSE(intervals_overlap(a, c));
  CHECK(intervals_overlap(a, lone));
  CHECK_FALSE(intervals_overlap(lone, c));
}
