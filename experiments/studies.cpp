// The policy studies (see studies.hpp, docs/studies.md): runs the embedded sweeps of configs/studies/ through the
// job pool, reads every run's results.json, and writes per-cell means with 95% CIs and per-seed paired gains (the
// same seed gives every policy the same arrivals, so a gain is computed seed by seed) and the figures; the report
// section is study_report.cpp.
#include "experiments/studies.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "experiments/data_files.hpp"
#include "core/json_reader.hpp"
#include "core/output_files.hpp"
#include "core/vocabulary.hpp"
#include "experiments/figure.hpp"
#include "experiments/job_pool.hpp"
#include "experiments/statistics.hpp"
#include "experiments/study_data.hpp"
#include "experiments/sweep_runner.hpp"
#include "experiments/sweep_spec.hpp"
#include "workloads/process_workload.hpp"

namespace spritesim {

namespace {

std::string policy_label(const nlohmann::json& v)
{
  if (v.is_string())
    return v.get<std::string>();
  auto params = v.value("params", nlohmann::json::object());
  if (params.value("place_arrivals", true) == false)
    return "home only";
  return v.at("name").get<std::string>();
}

// Mean duration of the active migrations (not remote execs, not restarts) in a run's migrations.csv.
void add_moves(const std::string& file, double& sum, int64_t& count)
{
  auto active = [](const std::map<std::string, std::string>& row) {
    auto kind = parse_enum<MigrationKind>(row.at("kind"));
    return kind && *kind != MigrationKind::EXEC && *kind != MigrationKind::RESTART;
  };
  for (double d : csv_column(file, "duration_s", active)) {
    sum += d;
    ++count;
  }
}

StudySweep run_sweep(const std::string& dir, const std::string& name, JobPool& pool, bool quick)
{
  std::string path = "configs/studies/" + name + ".json";
  if (quick) {
    // A reduced copy for tests: two seeds, ten minutes of arrivals; the experiment stays the embedded one.
    nlohmann::json j = parse_json_text(std::string(*embedded_file(path)), path);
    j["seeds"] = {1, 2};
    j["set"]["workload.duration_s"] = 600;
    j["experiment"] = "configs/studies/" + j.at("experiment").get<std::string>();
    path = dir + "/quick-" + name + ".json";
    write_file_atomic(path, j.dump(2) + "\n");
  }
  StudySweep d;
  d.name = name;
  // The reduced runs get folders of their own: a later full run into the same OUT_DIR must not mix them in.
  std::string folder = (quick ? "quick-" : "") + name;
  std::string sweep_dir = dir + "/" + folder;
  d.folder = "studies/" + folder; // relative to OUT_DIR, as the report's links are
  SweepSpec spec = load_sweep(path);
  d.failed = run_sweep_matrix(spec, sweep_dir, pool);
  SweepMatrix m = sweep_matrix(spec);
  size_t pol = spec.axes.size(), x = spec.axes.size();
  for (size_t i = 0; i < spec.axes.size(); ++i)
    (spec.axes[i].path == "policy" ? pol : x) = i;
  if (pol == spec.axes.size() || x == spec.axes.size() || spec.axes.size() != 2)
    throw std::logic_error(path + ": a study sweep has two axes, \"policy\" and one x");
  d.x_path = spec.axes[x].path;
  for (const auto& v : spec.axes[pol].values)
    d.policies.push_back(policy_label(v));
  for (const auto& v : spec.axes[x].values)
    d.xs.push_back(sweep_value_text(v));
  std::map<std::pair<std::string, std::string>, std::pair<double, int64_t>> moves;
  for (const auto& run : m.runs) {
    const SweepCell& c = m.cells[run.cell];
    std::string rd = sweep_dir + "/" + run.dir;
    auto res = read_run_results(rd);
    if (!res)
      continue;
    std::string p = policy_label(c.values[pol]), xv = sweep_value_text(c.values[x]);
    d.runs[p][xv][run.seed] = *res;
    if (std::isnan(d.mean_cpu_s))
      d.mean_cpu_s = mean_lifetime_s(parse_process_workload(
          parse_json_text(read_text_file(rd + "/config.resolved.json"), rd).at("workload").at("processes"), rd,
          "$.workload.processes"));
    if (p == "mosix" || p == "lifetime")
      add_moves(rd + "/migrations.csv", moves[{p, xv}].first, moves[{p, xv}].second);
  }
  for (const auto& [key, sc] : moves)
    if (sc.second > 0)
      d.move_s[key.first][key.second] = sc.first / static_cast<double>(sc.second);
  return d;
}

void write_tables(const std::string& dir, const std::vector<const StudySweep*>& all)
{
  CsvTable cells({"sweep", "x_name", "x", "policy", "metric", "n", "mean", "ci95_half_width"});
  CsvTable gains({"sweep", "x_name", "x", "policy", "baseline", "metric", "n", "mean_pct", "ci95_half_width_pct"});
  const std::vector<std::string> metrics = {"job_delay_mean_s", "job_response_mean_s", "job_slowdown_mean",
                                            "migrations_per_job"};
  auto num = [](const std::optional<double>& v) { return v ? fixed(*v) : std::string(); };
  for (const StudySweep* d : all)
    for (const auto& x : d->xs)
      for (const auto& p : d->policies)
        for (const auto& key : metrics) {
          SummaryStats s = study_cell(*d, p, x, key);
          cells.add_row({d->name, d->x_path, x, p, key, std::to_string(s.n), s.n ? fixed(s.mean) : "", num(s.ci95)});
          for (const auto& b : d->policies)
            if (b != p && key != "migrations_per_job") {
              SummaryStats g = study_gain(*d, p, b, x, key);
              gains.add_row({d->name, d->x_path, x, p, b, key, std::to_string(g.n), g.n ? fixed(g.mean) : "",
                             num(g.ci95)});
            }
        }
  write_file_atomic(dir + "/studies-cells.csv", cells.text());
  write_file_atomic(dir + "/studies-gains.csv", gains.text());
}

} // namespace

double study_metric(const nlohmann::json& r, const std::string& key)
{
  if (key == "migrations_per_job") {
    double jobs = r.value("jobs_total", 0.0);
    return jobs > 0 ? r.value("migrations", 0.0) / jobs : std::nan("");
  }
  auto it = r.find(key);
  return it != r.end() && it->is_number() ? it->get<double>() : std::nan("");
}

SummaryStats study_cell(const StudySweep& d, const std::string& policy, const std::string& x, const std::string& key)
{
  std::vector<double> v;
  if (auto p = d.runs.find(policy); p != d.runs.end())
    if (auto c = p->second.find(x); c != p->second.end())
      for (const auto& [seed, r] : c->second)
        if (double m = study_metric(r, key); !std::isnan(m))
          v.push_back(m);
  return summarize(v);
}

// Per seed: 100 * (1 - policy / baseline), over the seeds both finished: the paired cut, in percent.
SummaryStats study_gain(const StudySweep& d, const std::string& policy, const std::string& base, const std::string& x,
                  const std::string& key)
{
  std::vector<double> v;
  auto p = d.runs.find(policy), b = d.runs.find(base);
  if (p != d.runs.end() && b != d.runs.end() && p->second.count(x) && b->second.count(x))
    for (const auto& [seed, r] : p->second.at(x))
      if (auto o = b->second.at(x).find(seed); o != b->second.at(x).end())
        if (double pv = study_metric(r, key), bv = study_metric(o->second, key); !std::isnan(pv) && bv > 0)
          v.push_back(100 * (1 - pv / bv));
  return summarize(v);
}

bool quick_reproduction()
{
  const char* q = std::getenv("SPRITESIM_REPRODUCE_QUICK");
  return q && std::string(q) == "1";
}

std::string run_studies(const std::string& out_dir, JobPool& pool, size_t& failed_runs)
{
  const bool quick = quick_reproduction();
  std::string dir = out_dir + "/studies";
  make_directories(dir);
  fmt::print("studies: running the policy-study sweeps{} into {}\n", quick ? " (reduced)" : "", dir);
  StudySweep load = run_sweep(dir, "hbd-load", pool, quick);
  StudySweep cost = run_sweep(dir, "hbd-cost", pool, quick);
  StudySweep elz = run_sweep(dir, "elz-load", pool, quick);
  if (pool.stopped())
    return "";
  failed_runs += load.failed + cost.failed + elz.failed;
  write_tables(dir, {&load, &cost, &elz});
  bool figures = run_embedded_script("analysis/plot_study.py", dir, dir + "/plot.log");
  if (!figures)
    fmt::print(stderr, "studies: drawing the figures failed; see {}/plot.log\n", dir);
  return studies_section(load, cost, elz, figures);
}

} // namespace spritesim
