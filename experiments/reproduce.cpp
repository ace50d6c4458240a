// `spritesim reproduce` (see reproduce.hpp).
#include "experiments/reproduce.hpp"

#include <cstdio>
#include <stdexcept>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "core/output_files.hpp"
#include "experiments/data_files.hpp"
#include "experiments/day_report.hpp"
#include "experiments/figure.hpp"
#include "experiments/job_pool.hpp"
#include "experiments/owner_study.hpp"
#include "experiments/studies.hpp"
#include "experiments/sweep_runner.hpp"

namespace spritesim {

namespace {

// A figure's sweep folder: DIR/runs/FIGURE (its runs in DIR/runs/FIGURE/runs/CELL/seed-S).
std::string figure_dir(const std::string& out, const Figure& f) { return fmt::format("{}/runs/{}", out, f.name); }

// The runs of every figure still to make, through the sweep machinery: the same folders and commands as
// `spritesim sweep` on the figure file.
std::vector<PoolJob> figure_jobs(const std::vector<Figure>& figures, const std::string& out, JobPool& pool,
                                 size_t& failed)
{
  std::vector<PoolJob> jobs;
  for (const auto& f : figures) {
    std::string dir = figure_dir(out, f);
    SweepTodo todo = sweep_todo(f.sweep, dir);
    auto done = [&failed, dir, name = f.name](const SweepRun& run, bool ok, int code, double) {
      if (!ok) {
        ++failed;
        fmt::print(stderr, "reproduce: {} {} FAILED ({}); see {}/{}/run.log\n", name, run.dir, exit_status_text(code),
                   dir, run.dir);
      } else {
        fmt::print("  {} {} done\n", name, run.dir);
        std::fflush(stdout);
      }
    };
    for (auto& job : sweep_jobs(f.sweep, todo, dir, pool, done))
      jobs.push_back(std::move(job));
  }
  return jobs;
}

} // namespace

int reproduce(const std::string& out, int jobs)
{
  std::vector<Figure> figures;
  for (const auto& name : embedded_names("configs/reproduction/")) {
    figures.push_back(parse_figure(parse_json_text(std::string(*embedded_file(name)), name), name));
    check_sweep(figures.back().sweep); // every point fits its experiment before any run starts
  }
  make_directories(out);
  size_t failed = 0;
  std::vector<PoolJob> runs;
  // The month-long run goes first: it is the longest.
  std::string day_dir = out + "/runs/day-in-the-life";
  int day_status = -1;
  std::vector<std::string> day_args = {"run", DAY_IN_THE_LIFE_CONFIG, "--out", day_dir};
  if (quick_reproduction())
    day_args.insert(day_args.end(), {"--set", "workload.duration_s=604800"});
  runs.push_back({self_child(day_args, day_dir + "/run.log"),
                  [&day_status](int code, double) { day_status = code; }, [day_dir] { make_directories(day_dir); }});
  JobPool pool(jobs);
  for (auto& job : figure_jobs(figures, out, pool, failed))
    runs.push_back(std::move(job));
  fmt::print("reproduce: {} figure(s), {} simulations, {} at a time, and a month in the life\n", figures.size(),
             runs.size() - 1, jobs);
  std::fflush(stdout);
  if (int sig = pool.run(std::move(runs))) {
    fmt::print(stderr, "reproduce: stopped by signal {}; finished runs are kept in {}/runs\n", sig, out);
    return 128 + sig;
  }
  if (failed)
    throw std::runtime_error(fmt::format("{} reproduction run(s) failed", failed));
  if (day_status != 0)
    throw std::runtime_error(
        fmt::format("the month-long run failed ({}); see {}/run.log", exit_status_text(day_status), day_dir));
  if (!run_embedded_script("analysis/plot_month.py", day_dir, day_dir + "/plot.log"))
    fmt::print(stderr, "reproduce: drawing the month's figures failed; see {}/plot.log\n", day_dir);
  std::string sections = day_in_the_life_section(day_dir, "runs/day-in-the-life");
  fmt::print("reproduce: policy studies\n");
  std::fflush(stdout);
  size_t study_failures = 0;
  sections += run_studies(out, pool, study_failures);
  if (!pool.stopped()) {
    fmt::print("reproduce: owner study\n");
    std::fflush(stdout);
    sections += run_owner_study(out, pool, study_failures);
  }
  if (int sig = pool.stopped()) {
    fmt::print(stderr, "reproduce: stopped by signal {}; finished runs are kept under {}\n", sig, out);
    return 128 + sig;
  }
  std::vector<FigureResult> results;
  for (const auto& f : figures) {
    write_sweep_tables(f.sweep, sweep_matrix(f.sweep), figure_dir(out, f));
    results.push_back(collect_figure(f, figure_dir(out, f)));
  }
  write_reproduction(out, results, sections);
  fmt::print("reproduce: report in {}/report.md\n", out);
  if (study_failures) // the report says which; its numbers leave them out
    throw std::runtime_error(fmt::format("{} study run(s) failed or lost jobs; see {}/report.md", study_failures, out));
  return 0;
}

} // namespace spritesim
