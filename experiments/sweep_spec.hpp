// Sweeps: a matrix of experiment runs (the cartesian product of config axes, times seeds), parsed strictly from a
// sweep file; an axis sets one config path, or (a zip axis) several together at each of its labelled values. Tables:
// sweep_tables.hpp; running: sweep_runner.hpp; manual: docs/sweeps.md. SimGrid-free (fuzz harnesses, unit tests
// use it); the functions on a sweep's folder (identity, results) are in sweep_folder.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace spritesim {

/// One axis of the matrix. A path axis sets one config path (as `spritesim run --set` takes it) to each of its
/// values; a zip axis sets, at each of its values (labels such as 4 or "central"), several config paths together.
struct SweepAxis {
  std::string name; ///< column and folder name: the path of a path axis, the name of a zip axis
  std::string path; ///< a path axis's config path; empty for a zip axis
  std::vector<nlohmann::json> values; ///< the values of a path axis, the labels of a zip axis
  std::vector<nlohmann::json> sets;   ///< zip axis: per label, the object {config path: value} it sets; else empty
  bool zip() const { return path.empty(); }
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

/// Reads a sweep file (from disk, else from the embedded configs), resolves its experiment and checks it
/// (check_sweep), so that a bad sweep fails before any run starts. A reproduction figure file (a sweep file plus
/// figure keys, figure.hpp) gives its sweep.
SweepSpec load_sweep(const std::string& path);

/// Applies every fixed override, and each axis value on top of them, to the sweep's experiment: an InputError names
/// the sweep file and the JSON path of the first that does not fit.
void check_sweep(const SweepSpec& spec);

/// One point of the product of the axes.
struct SweepCell {
  size_t index = 0;
  std::string name; ///< folder name under runs/, e.g. "policy.name=sprite+platform.workstations=5"
  std::vector<nlohmann::json> values; ///< one per axis
  std::vector<size_t> value_index;    ///< one per axis: the position of the value in the axis
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

/// The `--set PATH=VALUE` overrides of one cell: the fixed ones, then the axes' in axis order (one per path axis,
/// those of the cell's label for a zip axis), so that a later axis holds over an earlier one.
std::vector<std::string> sweep_cell_sets(const SweepSpec& spec, const SweepCell& cell);

/// True when run `index` belongs to shard `shard` (1-based) of `shards`: index % shards == shard - 1.
bool sweep_in_shard(size_t index, int64_t shard, int64_t shards);

/// An axis value as written in CSV cells and folder names: strings bare, anything else as compact JSON.
std::string sweep_value_text(const nlohmann::json& v);

/// What the runs of a folder were made from (experiment config, fixed overrides, and what each zip axis label
/// sets): runs made from something else must not be mixed into the same tables. Written as DIR/sweep.json.
nlohmann::json sweep_identity(const SweepSpec& spec);

/// Whether runs made under identity `current` may join a folder whose sweep.json holds `stored`: the same
/// experiment and fixed overrides, and no zip label that both know sets other paths or values. Labels or zip axes
/// new to the folder are fine; `merged` (when given) receives the union to write back.
bool sweep_identity_fits(const nlohmann::json& stored, const nlohmann::json& current,
                         nlohmann::json* merged = nullptr);

/// A metric of one results.json (a dotted key reaches into objects); absent when missing or null.
std::optional<nlohmann::json> sweep_metric(const nlohmann::json& results, const std::string& metric);

/// The results.json of one run folder, or nothing when the run is not finished (no results.json yet).
std::optional<nlohmann::json> read_run_results(const std::string& run_dir);

/// The values of one column of a run's CSV (rows where `keep` holds, given the row's fields by column name); none
/// when the file is missing. Fields are split at commas: a field quoted for a comma in it would shift the row (job ids
/// of the built-in traces have none).
std::vector<double> csv_column(const std::string& file, const std::string& column,
                               const std::function<bool(const std::map<std::string, std::string>&)>& keep);

} // namespace spritesim
