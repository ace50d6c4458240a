// The simulated half of a workload kind: its inputs prepared before SimGrid starts, its actors, the audit of its
// jobs and its records. run_simulation runs whichever the kind's entry (sim/workload_kinds.cpp) prepares; its
// SimGrid-free half (name, keys, baseline) is its row in core/workload_kind.hpp.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/experiment.hpp"
#include "core/results.hpp"
#include "models/owner_activity.hpp"
#include "sim/migd.hpp"
#include "sim/run_audit.hpp"

namespace spritesim {

/// Console periods per workstation, index = workstation.
using OwnerPeriods = std::vector<std::vector<OwnerPeriod>>;

/// What a workload's records are made from once the engine has stopped.
struct RunView {
  const Cluster& cluster;
  const GlobalMigd& migd;
  const OwnerPeriods& owners;
};

/// One run of a workload; it lives until the run's records are made (its actors refer to it).
class SimWorkload {
public:
  virtual ~SimWorkload() = default;
  /// Creates the workload's actors, before the engine runs.
  virtual void start(Cluster& cluster, GlobalMigd& migd) = 0;
  /// Checks, once the engine has stopped, that each of its jobs ran exactly once to its end; `live`: the
  /// processes migd still holds (GlobalMigd::live_processes).
  virtual void audit(RunAudit& audit, const std::map<std::string, std::string>& live) const = 0;
  /// The run's makespan and job records, moved into `r` (called once: a million jobs' records are not copied).
  virtual void collect(RunResult& r) = 0;
  /// What only this kind reports (r.extra, host roles), once the common records are in `r`.
  virtual void summarize(RunResult& r, const RunView& view) const = 0;
};

/// Prepares a workload of the kind: reads and checks its inputs (InputErrors name the config and the JSON path)
/// before anything is simulated. `owners`: the run's console periods.
using PrepareWorkload = std::unique_ptr<SimWorkload> (*)(const ExperimentSpec& spec, const OwnerPeriods& owners);

/// One workload kind's simulated half.
struct SimWorkloadEntry {
  WorkloadKind kind;
  PrepareWorkload prepare;
};

/// Prepares the workload the spec names, through its kind's entry.
std::unique_ptr<SimWorkload> prepare_workload(const ExperimentSpec& spec, const OwnerPeriods& owners);

/// The workloads the entries build on (sim/workload_build.cpp, sim/workload_population.cpp).
std::unique_ptr<SimWorkload> prepare_build_workload(const ExperimentSpec& spec, const OwnerPeriods& owners);
std::unique_ptr<SimWorkload> prepare_population_workload(const ExperimentSpec& spec, const OwnerPeriods& owners);

/// `v` rounded to `digits` decimals, as results print it.
double rounded(double v, int digits = 4);

} // namespace spritesim
