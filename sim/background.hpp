// Independent processes on the simulated cluster: each arrives at its home, asks migd where to run (the policy's
// PLACE, or home), is started there (exec-time migration when remote), computes, and exits; it can be moved,
// suspended or restarted while it runs.
#pragma once

#include <vector>

#include "core/results.hpp"
#include "sim/migd.hpp"
#include "workloads/process_workload.hpp"

namespace spritesim {

/// Starts a launcher that creates each process at its arrival time; one JobRecord per process is filled in `out`
/// (same order as `procs`). `ref_mips`: the machine the CPU demands were measured on.
void start_background(Cluster& cluster, GlobalMigd& migd, const std::vector<BackgroundProcess>& procs,
                      double ref_mips, std::vector<JobRecord>& out);

} // namespace spritesim
