// One simulation run: builds the cost model, the SimGrid platform, migd and the workload (its kind's entry,
// sim/sim_workload.hpp) from an experiment spec, runs the engine and returns the records. SimGrid cannot be reset,
// so this runs once per process.
#pragma once

#include <functional>
#include <memory>

#include "core/experiment.hpp"
#include "core/input_error.hpp"
#include "core/results.hpp"
#include "models/costs.hpp"
#include "policy/policy.hpp"
#include "models/idle_rule.hpp"
#include "models/owner_activity.hpp"
#include "sim/sim_workload.hpp"
#include "workloads/build_sessions.hpp"
#include "workloads/paper_builds.hpp"
#include "workloads/process_workload.hpp"
#include "workloads/reference_costs.hpp"
#include "workloads/trace.hpp"

namespace spritesim {

/// Runs `load` (reading a file the config names at `path`); its InputError also names the config and that key.
template <class F> auto referenced(const ExperimentSpec& spec, const char* path, F&& load)
{
  try {
    return load();
  } catch (const InputError& e) {
    throw InputError(spec.file, path, e.what());
  }
}

/// The cost models of an experiment's platform: its profiles with the config's overrides applied.
PlatformCosts make_platform_costs(const ExperimentSpec& spec);
/// The cost model of pmake's host, ws00: the first group's profile with its file server's.
CostModel make_cost_model(const ExperimentSpec& spec);

/// The experiment's trace: a built-in paper benchmark (builtin:NAME, generated with the spec's seed and the unloaded
/// costs of its reference profile) or a trace file.
BuildTrace resolve_trace(const ExperimentSpec& spec);

/// Everything a run needs that can be checked before SimGrid starts: bad profiles, traces or policy parameters
/// are InputErrors raised here, before anything is simulated or written.
struct SimInputs {
  PlatformCosts costs;
  std::unique_ptr<Policy> policy;
  IdleRule idle_rule;
  OwnerPeriods owners;                   ///< console periods per workstation
  std::unique_ptr<SimWorkload> workload; ///< prepared by its kind's entry (sim/workload_kinds.cpp)
};

SimInputs prepare_simulation(const ExperimentSpec& spec);

/// The trace of one build session of a mixed workload: the kernel build scaled down to `request` compiles.
BuildTrace session_trace(const BuildSession& s, uint64_t seed);

/// "SimGrid X.Y.Z", the version of the SimGrid library this process runs with (`spritesim --version`).
std::string simgrid_version();

/// Runs the simulation in this process (call at most once per process). `watcher`, when not empty, is called with
/// the simulated time each time it advances (a progress line; experiments/progress.hpp).
RunResult run_simulation(const ExperimentSpec& spec, SimInputs inputs,
                         const std::function<void(double)>& watcher = {});

} // namespace spritesim
