// Sweeps: a matrix of experiment runs (the cartesian product of config axes, times seeds), parsed strictly from a
// sweep file. The tables are sweep_tables.hpp; running the matrix is sweep_runner.hpp; docs/sweeps.md is the
// manual. SimGrid-free (the fuzz harnesses and unit tests use it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace spritesim {

/// One axis of the matrix: a config path (as `spritesim run --set` takes it) and the values it takes.
struct SweepAxis {
  std::string path;
  std::vector<nlohmann::json> values;
};

/// A parsed sweep file.
struct SweepSpec {
  std::string file;            ///< where the sweep came from (messages)
  std::string name;
  std::string experiment;      ///< as written in the sweep file
  std::string experiment_path; ///< what `spritesim run` is given: a file path or an embedded config name
  nlohmann::json set = nlohmann::json::object(); ///< fixed overrides applied to every run before the axes
  std::vector<SweepAxis> axes;
  std::vector<int64_t> seeds;
  std::vector<std::string> metrics; ///< results.json keys (dotted for nested ones) tabulated in the CSVs
};

/// The metrics tabulated when a sweep names none.
const std::vector<std::string>& default_sweep_metrics();

/// Parses a sweep document; `file` names it in messages and anchors the experiment path. Does not check that the
/// axes fit the experiment (load_sweep does).
SweepSpec parse_sweep(const nlohmann::json& doc, const std::string& file);

/// Reads a sweep file (from disk, else from the embedded configs), resolves its experiment and checks every
/// fixed override and every axis value against it, so that a bad sweep fails before any run starts.
SweepSpec load_sweep(const std::string& path);

/// One point of the product of the axes.
struct SweepCell {
  size_t index = 0;
  std::string name; ///< folder name under runs/, e.g. "policy.name=sprite+platform.workstations=5"
  std::vector<nlohmann::json> values; ///< one per axis
};

/// One run: a cell and a seed.
struct SweepRun {
  size_t index = 0; ///< position in matrix order (what --shard selects on)
  size_t cell = 0;
  int64_t seed = 0;
  std::string dir; ///< relative to the sweep's output folder: runs/CELL/seed-S
};

/// The matrix in its fixed order: cells in odometer order over the axes as listed (the last axis changes fastest),
/// and within each cell the seeds in the order given.
struct SweepMatrix {
  std::vector<SweepCell> cells;
  std::vector<SweepRun> runs;
};

SweepMatrix sweep_matrix(const SweepSpec& spec);

/// The `--set PATH=VALUE` overrides of one cell: the fixed ones, then one per axis.
std::vector<std::string> sweep_cell_sets(const SweepSpec& spec, const SweepCell& cell);

/// True when run `index` belongs to shard `shard` (1-based) of `shards`: index % shards == shard - 1.
bool sweep_in_shard(size_t index, int64_t shard, int64_t shards);

/// An axis value as written in CSV cells and folder names: strings bare, anything else as compact JSON.
std::string sweep_value_text(const nlohmann::json& v);

/// What the runs of a folder were made from (experiment config and fixed overrides): runs made from something
/// else must not be mixed into the same tables. Written as DIR/sweep.json.
nlohmann::json sweep_identity(const SweepSpec& spec);

/// A metric of one results.json (a dotted key reaches into objects); absent when missing or null.
std::optional<nlohmann::json> sweep_metric(const nlohmann::json& results, const std::string& metric);

/// The results.json of one run folder, or nothing when the run is not finished (no results.json yet).
std::optional<nlohmann::json> read_run_results(const std::string& run_dir);

} // namespace spritesim
