// One simulation run: builds the cost model, the trace, the SimGrid platform, migd and pmake from an experiment
// spec, runs the engine and returns the records. SimGrid cannot be reset, so this runs once per process.
#pragma once

#include "core/experiment.hpp"
#include "core/results.hpp"
#include "models/costs.hpp"
#include "workloads/trace.hpp"

namespace spritesim {

/// The cost model of an experiment: its profiles with the config's overrides applied.
CostModel make_cost_model(const ExperimentSpec& spec);

/// The experiment's trace: a built-in paper benchmark (builtin:NAME, generated with the spec's seed and the unloaded
/// costs of its reference profile) or a trace file.
BuildTrace resolve_trace(const ExperimentSpec& spec);

/// Runs the simulation in this process (call at most once per process).
RunResult run_simulation(const ExperimentSpec& spec);

} // namespace spritesim
