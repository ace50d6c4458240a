// Each workload kind's simulated half, looked up by kind: the one list a new kind adds its entry to (its
// SimGrid-free row is in core/workload_kind.hpp).
#include <stdexcept>

#include <fmt/format.h>

#include "core/output_files.hpp"
#include "sim/sim_workload.hpp"

namespace spritesim {

namespace {

const SimWorkloadEntry ENTRIES[] = {
    {WorkloadKind::PMAKE, prepare_build_workload},
    {WorkloadKind::PROCESSES, prepare_population_workload},
    {WorkloadKind::MIXED, prepare_population_workload},
};

} // namespace

std::unique_ptr<SimWorkload> prepare_workload(const ExperimentSpec& spec, const OwnerPeriods& owners)
{
  for (const SimWorkloadEntry& e : ENTRIES)
    if (e.kind == spec.workload.kind)
      return e.prepare(spec, owners);
  throw std::logic_error(fmt::format("workload kind \"{}\" has no entry in sim/workload_kinds.cpp",
                                     workload_kind_name(spec.workload.kind)));
}

double rounded(double v, int digits) { return std::stod(fixed(v, digits)); }

} // namespace spritesim
