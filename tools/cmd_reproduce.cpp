// `spritesim reproduce`: every paper figure of configs/reproduction/ (embedded in the binary), each point a
// `spritesim run` in its own process, then speedup.csv, report.md and the figures (analysis/plot_speedup.py).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "core/embedded.hpp"
#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "core/output_files.hpp"
#include "tools/commands.hpp"
#include "tools/day_report.hpp"
#include "tools/reproduction.hpp"
#include "tools/studies.hpp"

namespace spritesim {

namespace {

struct PointRun {
  const Figure* figure = nullptr;
  const FigurePoint* point = nullptr;
  std::string dir;
  const FigureBand* band = nullptr; ///< null: the central run
};

// Runs every point, at most `jobs` processes at once.
void run_points(const std::vector<PointRun>& runs, int jobs)
{
  std::map<int, const PointRun*> live;
  size_t next = 0, failed = 0;
  auto reap_one = [&] {
    int pid = 0, status = 0;
    for (auto& [p, run] : live) {
      pid = p;
      break;
    }
    status = wait_child(pid);
    const PointRun* run = live[pid];
    live.erase(pid);
    if (status != 0) {
      ++failed;
      fmt::print(stderr, "reproduce: {} at {}={} FAILED ({}); see {}/run.log\n", run->figure->name,
                 run->figure->x, run->point->x, exit_status_text(status), run->dir);
    } else {
      fmt::print("  {} {}={}{} done\n", run->figure->name, run->figure->x, run->point->x,
                 run->band ? " (band " + run->band->name + ")" : "");
    }
  };
  while (next < runs.size() || !live.empty()) {
    while (next < runs.size() && static_cast<int>(live.size()) < jobs) {
      const PointRun& r = runs[next++];
      make_directories(r.dir);
      Args a = {"run", r.figure->experiment, "--out", r.dir, "--set", "workload.baseline=none"};
      for (const auto& s : r.point->sets) {
        a.push_back("--set");
        a.push_back(s);
      }
      if (r.band) // a band's overrides come last: they hold over the point's own
        for (const auto& s : r.band->sets) {
          a.push_back("--set");
          a.push_back(s);
        }
      live[spawn_self(a, r.dir + "/run.log")] = &r;
    }
    if (!live.empty())
      reap_one();
  }
  if (failed)
    throw std::runtime_error(fmt::format("{} reproduction run(s) failed", failed));
}

} // namespace

int cmd_reproduce(const Args& args)
{
  std::string out = "reproduction";
  int jobs = 2;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--out" && i + 1 < args.size())
      out = args[++i];
    else if (args[i] == "--jobs" && i + 1 < args.size()) {
      std::string v = args[++i];
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) < 1 ||
          std::stoi(v) > 256)
        throw UsageError(fmt::format("--jobs expects an integer in [1, 256], got \"{}\"", v));
      jobs = std::stoi(v);
    } else
      throw UsageError(fmt::format("unexpected argument \"{}\" (reproduce [--out DIR] [--jobs N])", args[i]));
  }
  std::vector<Figure> figures;
  for (const auto& name : embedded_names("configs/reproduction/"))
    figures.push_back(parse_figure(parse_json_text(std::string(*embedded_file(name)), name), name));
  make_directories(out);
  std::vector<PointRun> runs;
  for (const auto& f : figures) {
    std::string base = fmt::format("{}/runs/{}", out, f.name);
    for (const auto& p : f.points) {
      runs.push_back({&f, &p, point_dir(f, base, p.x), nullptr});
      for (const auto& b : f.bands)
        runs.push_back({&f, &p, point_dir(f, base, p.x, b.name), &b});
    }
  }
  fmt::print("reproduce: {} figure(s), {} simulations, {} at a time, and a month in the life\n", figures.size(),
             runs.size(), jobs);
  std::string day_dir = out + "/runs/day-in-the-life";
  make_directories(day_dir);
  int day_pid = spawn_self({"run", DAY_IN_THE_LIFE_CONFIG, "--out", day_dir}, day_dir + "/run.log");
  run_points(runs, jobs);
  if (int status = wait_child(day_pid); status != 0)
    throw std::runtime_error(
        fmt::format("the month-long run failed ({}); see {}/run.log", exit_status_text(status), day_dir));
  std::string sections = day_in_the_life_section(day_dir, "runs/day-in-the-life");
  fmt::print("reproduce: policy studies\n");
  sections += run_studies(out, jobs);
  std::vector<FigureResult> results;
  for (const auto& f : figures)
    results.push_back(collect_figure(f, fmt::format("{}/runs/{}", out, f.name)));
  write_reproduction(out, results, sections);
  fmt::print("reproduce: report in {}/report.md\n", out);
  return 0;
}

} // namespace spritesim
