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
#include "experiments/data_files.hpp"
#include "experiments/timeline.hpp"
#include "sim/simulation.hpp"

namespace spritesim {

namespace {

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

int run_experiment(const RunRequest& req)
{
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
  RunResult r = run_simulation(spec, std::move(inputs));
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
