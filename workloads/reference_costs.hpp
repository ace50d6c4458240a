// The unloaded costs of the machines the papers measured on (SS1 clients, Sun-4/280 server): the built-in traces
// turn the published elapsed times into CPU seconds with them, whatever machines an experiment then simulates.
#pragma once

#include "workloads/paper_builds.hpp"

namespace spritesim {

/// Lookup, invocation, small-RPC and file-transfer costs of an SS1 client of a Sun-4/280 server, unloaded.
SequentialCosts reference_costs();

} // namespace spritesim
