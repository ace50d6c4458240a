// `spritesim calibrate`: the micro-benchmarks of SPE91 Table 1 run in the simulator, one after another on an
// otherwise idle cluster, each measured as elapsed simulated time, so the model's pieces can be set beside the
// published numbers (and a change to a profile or to the mechanism shows up here first).
#pragma once

#include <string>
#include <vector>

#include "core/experiment.hpp"
#include "sim/simulation.hpp"

namespace spritesim {

struct CalibrationRow {
  std::string benchmark;
  double simulated_ms = 0;
  double published_ms = -1; ///< < 0: no published figure for this profile
  std::string source;       ///< where the published figure comes from, and what the simulated one includes
};

/// Runs every micro-benchmark on the spec's platform (at least 4 workstations). Call once per process.
std::vector<CalibrationRow> run_calibration(const ExperimentSpec& spec, SimInputs inputs);

} // namespace spritesim
