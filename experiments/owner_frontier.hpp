// The trade-off plane of the owner study (docs/owners.md, "The owner study"): each policy setting is a point
// (mean owner intrusion per owner return, mean build speedup), and the settings no other beats on both are the
// frontier. SimGrid-free, so that the unit tests check it on hand-made tables.
#pragma once

#include <string>
#include <vector>

#include "experiments/statistics.hpp"

namespace spritesim {

/// One policy setting on the plane: x = mean owner intrusion per return (s, lower is better for the owner), y = mean
/// speedup (higher is better for the build), each over the seeds of one cell.
struct FrontierPoint {
  std::string setting;
  SummaryStats intrusion_s, speedup;
  bool on_frontier = false;
  std::string dominated_by; ///< the first setting (in input order) that dominates this one; empty on the frontier
};

/// Marks the Pareto frontier: a point is on it unless another has intrusion <= and speedup >= its own, one of them
/// strictly (means compared; points without runs are never on it nor dominate).
void mark_frontier(std::vector<FrontierPoint>& points);

/// Whether a's and b's 95% intervals of one metric overlap (an absent interval is the mean alone).
bool intervals_overlap(const SummaryStats& a, const SummaryStats& b);

} // namespace spritesim
