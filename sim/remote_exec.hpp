// Process invocation on the simulated cluster: a local fork+exec+wait, and Sprite's exec-time migration (remote
// invocation) step by step: flush the command script, ship exec arguments, check the target, encapsulate, move each
// open file's state (3 RPCs through the file server), send the process state in one RPC, restart on the target.
#pragma once

#include <cstdint>
#include <string>

#include "core/results.hpp"
#include "sim/cluster.hpp"

namespace spritesim {

/// What the exec carries with it.
struct ExecRequest {
  std::string job_id;
  int home = 0;
  int target = 0;
  int64_t exec_arg_bytes = 0;
  int64_t dirty_script_bytes = 0; ///< the command script, still dirty in the home cache
  int64_t open_files = 0;
};

/// Runs the home-side half of a local invocation (fork) and the child's exec. Blocking.
void local_exec_start(Cluster& cluster, int host);
/// The exit+wait half of an invocation: the child exits where it ran, the parent reaps it at home.
void exec_finish(Cluster& cluster, int home, int ran_on);
/// Remote invocation of a process from home to target; returns the migration record. Blocking.
MigrationRecord remote_exec(Cluster& cluster, const ExecRequest& req);

} // namespace spritesim
