// The usage summary of a population workload (docs/outputs.md "usage"): migrations and evictions per host-hour,
// host requests, idle shares, as TH90 Tables 8.2, 8.5 and 8.6 report them.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "core/results.hpp"
#include "models/owner_activity.hpp"
#include "sim/migd.hpp"

namespace spritesim {

/// The usage over `duration_s` of a run whose records are in `r`; `owners`: console periods per workstation.
nlohmann::json usage_summary(const Cluster& cluster, const GlobalMigd& migd, const RunResult& r,
                             const std::vector<std::vector<OwnerPeriod>>& owners, double duration_s, double week_start);

} // namespace spritesim
