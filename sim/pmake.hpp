// Sprite's pmake on the simulated cluster: the dependency scan on its own host, then every ready command run
// remotely on a host obtained from migd and kept for reuse (confirmed before each reuse), or locally when no host
// is free; its own per-job bookkeeping on its host; each command's CPU, name lookups, forwarded calls and file
// traffic contending for the workstations, the file server and the Ethernet. (SPE91 p.17; TH90 7.4; SRC pmake.)
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/experiment.hpp"
#include "core/results.hpp"
#include "sim/migd.hpp"
#include "workloads/replay_trace.hpp"

namespace spritesim {

struct PmakeResult {
  double start_s = 0;
  double scan_end_s = 0;
  double end_s = 0;
  bool ended = false; ///< the driver ran to its end (every job reaped, hosts returned)
  std::vector<JobRecord> jobs;
  int64_t hosts_wanted = 0;   ///< remote hosts it could use at once (pmake -J, at most its jobs)
  int64_t hosts_obtained = 0; ///< most remote hosts it held at once
};

/// Starts the pmake actor on workstation `home`; results are filled when the simulation ends.
void start_pmake(Cluster& cluster, GlobalMigd& migd, const ReplayTrace& trace, const WorkloadSpec& spec, int home,
                 int client, PmakeResult& out);
/// The pmake driver as a task, for a caller that runs it on the actor pool and waits for it (build sessions).
std::function<void()> pmake_driver(Cluster& cluster, GlobalMigd& migd, const ReplayTrace& trace,
                                   const WorkloadSpec& spec, int home, int client, PmakeResult& out);


} // namespace spritesim
