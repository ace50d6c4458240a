// The owner study (see owner_study.hpp): runs the embedded sweeps of configs/owners/ through the job pool, with the
// shipped owner trace written out beside them (a run reads it from disk), reads every run's results.json, and writes
// the tables behind the figures: per-cell means with 95% CIs, the trade-off plane, and the owner returns and
// evictions of every run pooled. The report section is owner_report.cpp.
#include "experiments/owner_study.hpp"

#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "core/child_process.hpp"
#include "core/json_reader.hpp"
#include "core/output_files.hpp"
#include "experiments/data_files.hpp"
#include "experiments/figure.hpp"
#include "experiments/job_pool.hpp"
#include "experiments/studies.hpp"
#include "experiments/sweep_runner.hpp"
#include "experiments/sweep_spec.hpp"

namespace spritesim {

namespace {

// The family's sweeps and the build each runs (its builtin trace and compile hosts; docs/owners.md).
const std::vector<std::pair<std::string, std::string>> SWEEPS = {
    {"owners-kernel-12", "kernel-12"},        {"owners-kernel-12-settings", "kernel-12"},
    {"owners-kernel-40", "kernel-40"},
    {"owners-gremlin-12", "gremlin-12"},      {"owners-tex-12", "tex-12"},
    {"owners-pmake-12", "pmake-12"},
};

const char* TRACE = "configs/owners/owner-week.csv";

// The results.json keys of owners-cells.csv (docs/outputs.md).
const std::vector<std::string> CELL_METRICS = {
    "speedup",          "owner_returns",   "owner_intrusions",       "owner_intrusion_per_return_s",
    "owner_intrusion_mean_s", "owner_foreign_cpu_s", "restart_lost_cpu_s", "hosts_lost",
    "build_lost_host",  "evictions_per_host_hour", "evictions",       "restarts"};

// The colour family of a setting: its policy, or never-evict for sprite without eviction.
std::string policy_family(const nlohmann::json& set)
{
  const nlohmann::json& p = set.at("policy");
  std::string name = p.at("name").get<std::string>();
  if (name == "sprite" && p.value("params", nlohmann::json::object()).value("evict_on_owner", true) == false)
    return "never-evict";
  return name;
}

double children_cpu_s()
{
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  return cpu_seconds(u);
}

// The embedded sweep written into DIR with its experiment named as embedded and the trace's path made absolute
// (quick: seeds 1-2); returns the copy's path.
std::string sweep_copy(const std::string& dir, const std::string& name, const std::string& trace_path, bool quick)
{
  std::string path = "configs/owners/" + name + ".json";
  nlohmann::json j = parse_json_text(std::string(*embedded_file(path)), path);
  j["experiment"] = "configs/owners/" + j.at("experiment").get<std::string>();
  for (auto& axis : j.at("axes"))
    for (auto& point : axis.at("points"))
      if (auto& set = point.at("set"); set.contains("owners") && set["owners"].contains("trace"))
        set["owners"]["trace"] = trace_path;
  if (quick)
    j["seeds"] = {1, 2};
  std::string copy = dir + "/" + (quick ? "quick-" : "") + name + ".json";
  write_file_atomic(copy, j.dump(2) + "\n");
  return copy;
}

void run_sweep(const std::string& dir, const std::string& name, const std::string& build,
               const std::string& trace_path, bool quick, JobPool& pool, OwnerStudy& study)
{
  SweepSpec spec = load_sweep(sweep_copy(dir, name, trace_path, quick));
  std::string sweep_dir = dir + "/" + (quick ? "quick-" : "") + name;
  // The sweeps of one build share its sequential baselines (one host, no owners: the same for every time, setting
  // and host count), so each is simulated once for the family: the cache files go round through DIR/baselines.
  namespace fs = std::filesystem;
  auto share = [](const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    for (const auto& f : fs::directory_iterator(from))
      if (f.path().extension() == ".json")
        fs::copy_file(f.path(), to / f.path().filename(), fs::copy_options::skip_existing);
  };
  share(dir + "/baselines", sweep_dir + "/baselines");
  study.failed += run_sweep_matrix(spec, sweep_dir, pool);
  share(sweep_dir + "/baselines", dir + "/baselines");
  if (spec.axes.size() != 2 || spec.axes[0].name != "when" || spec.axes[1].name != "setting")
    throw std::logic_error(name + ": an owner sweep has two zip axes, \"when\" and \"setting\"");
  SweepMatrix m = sweep_matrix(spec);
  size_t first = study.cells.size();
  for (const SweepCell& c : m.cells) {
    OwnerCell cell;
    cell.build = build;
    cell.when = sweep_value_text(c.values[0]);
    cell.setting = sweep_value_text(c.values[1]);
    cell.policy = policy_family(spec.axes[1].sets[c.value_index[1]]);
    study.cells.push_back(cell);
  }
  study.seeds = static_cast<int64_t>(spec.seeds.size());
  for (const SweepRun& run : m.runs) {
    OwnerCell& cell = study.cells[first + run.cell];
    std::string rd = sweep_dir + "/" + run.dir;
    ++study.runs;
    auto res = read_run_results(rd);
    if (!res)
      continue;
    if (res->value("jobs_completed", -1) != res->value("jobs_total", -2))
      study.incomplete.push_back(fmt::format("{} {} {} seed {}", cell.build, cell.when, cell.setting, run.seed));
    cell.runs[run.seed] = *res;
    cell.run_dirs[run.seed] = rd;
  }
}

std::string num(const SummaryStats& s, bool ci)
{
  if (ci)
    return s.ci95 ? fixed(*s.ci95) : "";
  return s.n ? fixed(s.mean) : "";
}

// Every row of one CSV of every run, behind the cell's labels and the seed (the runs' own header once).
void pool_rows(const OwnerStudy& s, const std::string& csv, const std::string& out)
{
  std::string text, header;
  for (const OwnerCell& c : s.cells)
    for (const auto& [seed, rd] : c.run_dirs) {
      std::ifstream in(rd + "/" + csv);
      std::string line;
      if (!std::getline(in, line))
        continue;
      header = line;
      while (std::getline(in, line))
        text += fmt::format("{},{},{},{},{},{}\n", c.build, c.when, c.setting, c.policy, seed, line);
    }
  if (header.empty()) // the backend wrote none (an older binary): the pooled file says so by its absence
    return;
  write_file_atomic(out, "build,when,setting,policy,seed," + header + "\n" + text);
}

void write_tables(const std::string& dir, const OwnerStudy& s)
{
  std::vector<std::string> header = {"build", "when", "setting", "policy", "n"};
  for (const auto& m : CELL_METRICS) {
    header.push_back(m + "_mean");
    header.push_back(m + "_ci95");
  }
  CsvTable cells(header);
  for (const OwnerCell& c : s.cells) {
    std::vector<std::string> row = {c.build, c.when, c.setting, c.policy, std::to_string(c.runs.size())};
    for (const auto& m : CELL_METRICS) {
      SummaryStats st = owner_cell_stat(c, m);
      row.push_back(num(st, false));
      row.push_back(num(st, true));
    }
    cells.add_row(row);
  }
  write_file_atomic(dir + "/owners-cells.csv", cells.text());

  CsvTable plane({"build", "when", "setting", "policy", "n", "intrusion_per_return_mean_s",
                  "intrusion_per_return_ci95_s", "speedup_mean", "speedup_ci95", "on_frontier", "dominated_by"});
  for (const FrontierPoint& p : owner_plane(s)) {
    const OwnerCell* c = owner_cell(s, PLANE_BUILD, PLANE_WHEN, p.setting);
    plane.add_row({PLANE_BUILD, PLANE_WHEN, p.setting, c->policy, std::to_string(p.speedup.n),
                   num(p.intrusion_s, false), num(p.intrusion_s, true), num(p.speedup, false), num(p.speedup, true),
                   p.on_frontier ? "1" : "0", p.dominated_by});
  }
  write_file_atomic(dir + "/owners-frontier.csv", plane.text());
  CsvTable published({"quantity", "low", "high", "source"});
  for (const OwnerPublished& p : owner_published())
    published.add_row({p.quantity, fixed(p.low), fixed(p.high), p.source});
  if (s.no_owners_speedup)
    published.add_row({"simulated_speedup_no_owners_kernel_12", fixed(*s.no_owners_speedup),
                       fixed(*s.no_owners_speedup), "spritesim: the reproduction's kernel-speedup runs, seed 1"});
  write_file_atomic(dir + "/owners-published.csv", published.text());
  pool_rows(s, "owner_returns.csv", dir + "/owners-returns.csv");
  pool_rows(s, "evictions.csv", dir + "/owners-evictions.csv");
}

// The kernel build's speedup on 12 hosts without owners, from the runs of the reproduction's kernel-speedup figure
// (seed 1, central band; made before this section): its 1-host run is the sequential baseline.
std::optional<double> no_owners_speedup(const std::string& out_dir)
{
  std::string runs = out_dir + "/runs/kernel-speedup/runs/";
  auto one = read_run_results(runs + "hosts=1+band=central/seed-1");
  auto twelve = read_run_results(runs + "hosts=12+band=central/seed-1");
  if (!one || !twelve || twelve->value("makespan_s", 0.0) <= 0)
    return std::nullopt;
  return one->value("makespan_s", 0.0) / twelve->value("makespan_s", 0.0);
}

} // namespace

SummaryStats owner_cell_stat(const OwnerCell& c, const std::string& key)
{
  std::vector<double> v;
  for (const auto& [seed, r] : c.runs)
    if (auto it = r.find(key); it != r.end() && it->is_number())
      v.push_back(it->get<double>());
  return summarize(v);
}

const OwnerCell* owner_cell(const OwnerStudy& s, const std::string& build, const std::string& when,
                            const std::string& setting)
{
  for (const OwnerCell& c : s.cells)
    if (c.build == build && c.when == when && c.setting == setting)
      return &c;
  return nullptr;
}

std::vector<FrontierPoint> owner_plane(const OwnerStudy& s)
{
  std::vector<FrontierPoint> points;
  for (const OwnerCell& c : s.cells)
    if (c.build == PLANE_BUILD && c.when == PLANE_WHEN)
      points.push_back({c.setting, owner_cell_stat(c, "owner_intrusion_per_return_s"),
                        owner_cell_stat(c, "speedup"), false, ""});
  mark_frontier(points);
  return points;
}

std::string run_owner_study(const std::string& out_dir, JobPool& pool, size_t& failed_runs)
{
  const bool quick = quick_reproduction();
  const double cpu0 = children_cpu_s();
  std::string dir = out_dir + "/owners";
  make_directories(dir);
  // The runs read the trace from disk: the embedded copy goes beside the sweeps, named by its absolute path.
  std::string trace_path = std::filesystem::absolute(dir + "/owner-week.csv").string();
  make_directories(dir + "/baselines");
  write_file_atomic(trace_path, std::string(*embedded_file(TRACE)));
  fmt::print("owners: running the owner-study sweeps{} into {}\n", quick ? " (reduced)" : "", dir);
  std::fflush(stdout);
  OwnerStudy study;
  for (const auto& [name, build] : SWEEPS) {
    run_sweep(dir, name, build, trace_path, quick, pool, study);
    if (pool.stopped())
      return "";
  }
  study.no_owners_speedup = no_owners_speedup(out_dir);
  write_tables(dir, study);
  bool figures = run_embedded_script("analysis/plot_owners.py", dir, dir + "/plot.log");
  if (!figures)
    fmt::print(stderr, "owners: drawing the figures failed; see {}/plot.log\n", dir);
  failed_runs += study.failed + study.incomplete.size();
  if (study.failed || !study.incomplete.empty())
    fmt::print(stderr, "owners: {} run(s) failed, {} finished with jobs missing\n", study.failed,
               study.incomplete.size());
  return owner_section(study, figures, children_cpu_s() - cpu0);
}

} // namespace spritesim
