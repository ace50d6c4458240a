// The sequential baseline of a speedup: the same build on one idle host without migration, as TH90 measured the
// sequential time. It is simulated in a child process (SimGrid runs once per process) and cached in a file, so that
// every run of a sweep that shares it (same experiment and seed; hosts, owners and policy do not matter on one host
// without migration) reads it instead of simulating it again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/experiment.hpp"

namespace spritesim {

/// Whether a run of `spec` reports a speedup over a sequential baseline it has to simulate: a pmake build with
/// "baseline": "sequential" that is not sequential itself (a sequential run is its own baseline).
bool needs_baseline(const ExperimentSpec& spec);

/// Whether `spec` reports a speedup over the sequential baseline at all.
bool wants_baseline(const ExperimentSpec& spec);

/// The baseline's experiment: one host, no owners, no migration, one job at a time, the default policy.
ExperimentSpec sequential_variant(ExperimentSpec spec);

/// What identifies a baseline: the resolved config of the sequential variant (seed included).
nlohmann::json baseline_identity(const ExperimentSpec& spec);

/// The cache file name of a baseline: a stable hash of its identity, "HEX.json".
std::string baseline_file_name(const ExperimentSpec& spec);

/// Simulates the sequential variant in this process and returns its makespan. A run that breaks its invariants
/// throws InvariantViolation (exit status 3).
double simulate_baseline(const ExperimentSpec& spec);

/// Writes a baseline cache file (atomically: a reader sees all of it or nothing).
void write_baseline_file(const std::string& file, const ExperimentSpec& spec, double makespan_s);

/// The makespan a cache file holds for `spec`; nothing when there is no such file or it holds another baseline.
std::optional<double> read_baseline_file(const std::string& file, const ExperimentSpec& spec);

/// The `spritesim run` arguments that describe an experiment: CONFIG --seed N --set ...; the baseline child takes
/// the same, so that it builds the same spec.
std::vector<std::string> experiment_args(const std::string& config, uint64_t seed,
                                         const std::vector<std::string>& sets);

/// Computes the baseline of `spec` in a child `spritesim baseline` (given `args`, from experiment_args) into
/// `file`; logs into `file` with ".log" for ".json". Throws, as the child failed: InvariantViolation when it broke
/// its invariants, runtime_error otherwise.
double compute_baseline_in_child(const ExperimentSpec& spec, const std::vector<std::string>& args,
                                 const std::string& file);

} // namespace spritesim
