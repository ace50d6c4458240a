// One experiment (see run_experiment.hpp).
#include "experiments/run_experiment.hpp"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "core/experiment.hpp"
#include "core/input_error.hpp"
#include "core/output_files.hpp"
#include "core/results.hpp"
#include "experiments/baseline.hpp"
#include "core/json_reader.hpp"
#include "experiments/data_files.hpp"
#include "experiments/progress.hpp"
#include "experiments/sweep_spec.hpp"
#include "experiments/timeline.hpp"
#include "sim/simulation.hpp"

namespace spritesim {

namespace {

// Whether `config` is a sweep or figure file rather than an experiment: it names an experiment. A file that does
// not parse is left to the experiment's loader, which says why.
bool is_sweep_file(const std::string& config)
{
  try {
    nlohmann::json doc = parse_json_text(config_text(config), config);
    return doc.is_object() && doc.contains("experiment");
  } catch (const InputError&) {
    return false;
  }
}

// A request for one cell of a sweep becomes the request for that cell's experiment, its overrides first.
RunRequest cell_request(RunRequest req)
{
  if (!is_sweep_file(req.config)) {
    if (req.cell)
      throw InputError(req.config, "--cell", "--cell picks a cell of a sweep or figure file; this is an experiment");
    return req;
  }
  SweepSpec sweep = load_sweep(req.config);
  SweepMatrix matrix = sweep_matrix(sweep);
  int64_t n = req.cell.value_or(1), cells = static_cast<int64_t>(matrix.cells.size());
  if (n < 1 || n > cells)
    throw InputError(req.config, "--cell", fmt::format("expected a cell in [1, {}], got {}", cells, n));
  const SweepCell& cell = matrix.cells[static_cast<size_t>(n - 1)];
  std::vector<std::string> sets = sweep_cell_sets(sweep, cell);
  sets.insert(sets.end(), req.sets.begin(), req.sets.end());
  req.sets = std::move(sets);
  if (!req.seed)
    req.seed = static_cast<uint64_t>(sweep.seeds.front());
  fmt::print(stderr, "spritesim run: {} is a sweep; running its cell {} of {} ({}) at seed {} "
                     "(`spritesim sweep {}` runs them all)\n",
             req.config, n, cells, cell.name, *req.seed, req.config);
  req.config = sweep.experiment_path;
  req.cell.reset();
  return req;
}

ExperimentSpec load(const RunRequest& req)
{
  ExperimentSpec spec = load_experiment(req.config, req.sets);
  if (req.seed)
    spec.seed = *req.seed;
  return spec;
}

// The baseline from the cache file a sweep made, else simulated in a child into a scratch file in `out`.
double baseline_of(const ExperimentSpec& spec, const RunRequest& req, const std::string& out)
{
  if (!req.baseline_file.empty()) {
    if (auto v = read_baseline_file(req.baseline_file, spec))
      return *v;
    throw InputError(req.baseline_file, "$", "not the sequential baseline of this experiment and seed");
  }
  std::string scratch = out + "/.sequential-baseline.json";
  double v = compute_baseline_in_child(spec, experiment_args(req.config, spec.seed, req.sets), scratch);
  std::filesystem::remove(scratch);
  std::filesystem::remove(out + "/.sequential-baseline.log");
  return v;
}

} // namespace

int run_experiment(const RunRequest& sweep_or_experiment)
{
  const RunRequest req = cell_request(sweep_or_experiment);
  ExperimentSpec spec = load(req);
  std::string out = req.out.empty() ? "results/" + spec.name : req.out;
  // A bad profile, trace or policy fails here, before any simulation; blamed on the --set that wrote it, if any.
  SimInputs inputs = [&] {
    try {
      return prepare_simulation(spec);
    } catch (const InputError& e) {
      throw blame_set_override(e, spec.file, req.sets);
    }
  }();
  prepare_output_dir(out, "--out " + out); // and so do paths the results could not be written to
  if (!req.timeline.empty())
    check_output_file(req.timeline, "--timeline " + req.timeline);

  double baseline = needs_baseline(spec) ? baseline_of(spec, req, out) : 0;
  std::fflush(stdout);
  RunResult r = [&] {
    RunProgress progress(spec.workload.duration_s); // 0 for a build: its end is not known in advance
    return run_simulation(spec, std::move(inputs), progress.watcher());
  }();
  r.baseline_makespan_s = wants_baseline(spec) ? (baseline > 0 ? baseline : r.makespan_s) : 0;
  if (!req.timeline.empty())
    write_timeline(req.timeline, r); // Chrome/Perfetto trace events (docs/sweeps.md); before results.json
  write_run_outputs(out, r, to_json(spec), spec.seed, SPRITESIM_VERSION);
  fmt::print("{}: makespan {:.1f} s", spec.name, r.makespan_s);
  if (r.baseline_makespan_s > 0)
    fmt::print(", speedup {:.2f} over {:.1f} s sequential", r.baseline_makespan_s / r.makespan_s,
               r.baseline_makespan_s);
  fmt::print(" -> {}/results.json\n", out);
  return 0;
}

int run_baseline(const RunRequest& req, const std::string& to)
{
  ExperimentSpec spec = load(req);
  if (!needs_baseline(spec))
    throw InputError(spec.file, "$.workload.baseline", "this experiment has no sequential baseline to simulate");
  write_baseline_file(to, spec, simulate_baseline(spec));
  return 0;
}

} // namespace spritesim
