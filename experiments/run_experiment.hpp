// One experiment, as `spritesim run` does it: the config checked completely before anything is written, the
// sequential baseline (for the speedup) read from a cache file or simulated in a child, the run, its outputs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace spritesim {

struct RunRequest {
  std::string config;               ///< a config file, or an embedded config's name
  std::vector<std::string> sets;    ///< --set json.path=value, in order
  std::optional<uint64_t> seed;     ///< --seed; the config's own otherwise
  std::string out;                  ///< results folder; results/NAME when empty
  std::string timeline;             ///< a Chrome/Perfetto trace of the run, when not empty
  std::string baseline_file;        ///< a baseline cache file (experiments/baseline.hpp) to read, when not empty
  std::optional<int64_t> cell;      ///< --cell N, for a sweep or figure file: which cell of its matrix (1-based)
};

/// Runs the experiment and writes its outputs; prints one summary line on stdout. Returns the exit status. A sweep
/// or figure file as the config runs one cell of its matrix (`cell`, the first by default) at the sweep's first
/// seed, as `spritesim sweep` would run it.
int run_experiment(const RunRequest& req);

/// The hidden verb `baseline` a run or a sweep starts: simulates the sequential baseline of the experiment `req`
/// describes and writes it into `to` (a baseline cache file). Returns the exit status.
int run_baseline(const RunRequest& req, const std::string& to);

} // namespace spritesim
