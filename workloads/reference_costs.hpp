// The unloaded costs of the machines the papers measured on (SS1 clients, Sun-4/280 server by default): the built-in
// traces turn the published elapsed times into CPU seconds with them, whatever machines an experiment then simulates.
#pragma once

#include <string>
#include <utility>

#include "models/costs.hpp"
#include "workloads/paper_builds.hpp"

namespace spritesim {

/// Lookup, invocation, small-RPC and file-transfer costs of a `workstation` client of a `server`, unloaded; other
/// machines than the kernel's also carry the kernel's lookup cost and the CPU scale to its workstation.
SequentialCosts reference_costs(const std::string& workstation = "ss1", const std::string& server = "sun4-280");

/// Unloaded costs of the sequential run on `ref`'s machines, and its workstation's MIPS.
std::pair<SequentialCosts, double> sequential_costs(const CostModel& ref);

} // namespace spritesim
