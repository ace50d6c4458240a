// `spritesim reproduce` (see reproduce.hpp).
#include "experiments/reproduce.hpp"

#include <cstdio>
#include <stdexcept>

#include <fmt/format.h>

#include "experiments/data_files.hpp"
#include "core/json_reader.hpp"
#include "core/output_files.hpp"
#include "experiments/day_report.hpp"
#include "experiments/figure.hpp"
#include "experiments/job_pool.hpp"
#include "experiments/studies.hpp"

namespace spritesim {

namespace {

// A figure point's run: the central one, or one end of a documented range (a band).
PoolJob point_job(const Figure& f, const FigurePoint& p, const FigureBand* band, const std::string& dir,
                  size_t& failed)
{
  std::vector<std::string> a = {"run", f.experiment, "--out", dir, "--set", "workload.baseline=none"};
  for (const auto& s : p.sets)
    a.insert(a.end(), {"--set", s});
  if (band) // a band's overrides come last: they hold over the point's own
    for (const auto& s : band->sets)
      a.insert(a.end(), {"--set", s});
  std::string what = fmt::format("{} {}={}", f.name, f.x, p.x);
  std::string band_text = band ? " (band " + band->name + ")" : "";
  return {self_child(a, dir + "/run.log"),
          [&failed, what, band_text, dir](int code, double) {
            if (code != 0) {
              ++failed;
              fmt::print(stderr, "reproduce: {} FAILED ({}); see {}/run.log\n", what, exit_status_text(code), dir);
            } else {
              fmt::print("  {}{} done\n", what, band_text);
              std::fflush(stdout);
            }
          },
          [dir] { make_directories(dir); }};
}

} // namespace

int reproduce(const std::string& out, int jobs)
{
  std::vector<Figure> figures;
  for (const auto& name : embedded_names("configs/reproduction/"))
    figures.push_back(parse_figure(parse_json_text(std::string(*embedded_file(name)), name), name));
  make_directories(out);
  size_t failed = 0;
  std::vector<PoolJob> runs;
  // The month-long run goes first: it is the longest.
  std::string day_dir = out + "/runs/day-in-the-life";
  int day_status = -1;
  runs.push_back({self_child({"run", DAY_IN_THE_LIFE_CONFIG, "--out", day_dir}, day_dir + "/run.log"),
                  [&day_status](int code, double) { day_status = code; }, [day_dir] { make_directories(day_dir); }});
  for (const auto& f : figures) {
    std::string base = fmt::format("{}/runs/{}", out, f.name);
    for (const auto& p : f.points) {
      runs.push_back(point_job(f, p, nullptr, point_dir(f, base, p.x), failed));
      for (const auto& b : f.bands)
        runs.push_back(point_job(f, p, &b, point_dir(f, base, p.x, b.name), failed));
    }
  }
  fmt::print("reproduce: {} figure(s), {} simulations, {} at a time, and a month in the life\n", figures.size(),
             runs.size() - 1, jobs);
  std::fflush(stdout);
  JobPool pool(jobs);
  if (int sig = pool.run(std::move(runs))) {
    fmt::print(stderr, "reproduce: stopped by signal {}; finished runs are kept in {}/runs\n", sig, out);
    return 128 + sig;
  }
  if (failed)
    throw std::runtime_error(fmt::format("{} reproduction run(s) failed", failed));
  if (day_status != 0)
    throw std::runtime_error(
        fmt::format("the month-long run failed ({}); see {}/run.log", exit_status_text(day_status), day_dir));
  std::string sections = day_in_the_life_section(day_dir, "runs/day-in-the-life");
  fmt::print("reproduce: policy studies\n");
  std::fflush(stdout);
  sections += run_studies(out, pool);
  if (int sig = pool.stopped()) {
    fmt::print(stderr, "reproduce: stopped by signal {}; finished runs are kept under {}\n", sig, out);
    return 128 + sig;
  }
  std::vector<FigureResult> results;
  for (const auto& f : figures)
    results.push_back(collect_figure(f, fmt::format("{}/runs/{}", out, f.name)));
  write_reproduction(out, results, sections);
  fmt::print("reproduce: report in {}/report.md\n", out);
  return 0;
}

} // namespace spritesim
