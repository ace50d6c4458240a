// The sweep tables: sweep.csv (one row per finished run) and sweep-summary.csv (per cell and metric, with 95%
// confidence intervals), made from the runs' results.json files. Columns: docs/outputs.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/sweep_spec.hpp"

namespace spritesim {

/// sweep.csv: one row per finished run in matrix order (run, cell, one column per axis, seed, metrics).
/// `results[i]` belongs to matrix.runs[i]; runs without results are left out.
std::string sweep_csv(const SweepSpec& spec, const SweepMatrix& matrix,
                      const std::vector<std::optional<nlohmann::json>>& results);

/// sweep-summary.csv: per cell (matrix order) and metric (spec order): n, mean, stddev, ci95_half_width over the
/// cell's finished runs with a numeric value.
std::string sweep_summary_csv(const SweepSpec& spec, const SweepMatrix& matrix,
                              const std::vector<std::optional<nlohmann::json>>& results);

} // namespace spritesim
