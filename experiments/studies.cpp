// The policy studies (see studies.hpp, docs/studies.md): runs the embedded sweeps of configs/studies/, reads every
// run's results.json, and writes per-cell means with 95% CIs and per-seed paired gains (the same seed gives every
// policy the same arrivals, so a gain is computed seed by seed), the figures, and the report section.
#include "experiments/studies.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "core/embedded.hpp"
#include "core/json_reader.hpp"
#include "core/output_files.hpp"
#include "experiments/figure.hpp"
#include "experiments/job_pool.hpp"
#include "experiments/statistics.hpp"
#include "experiments/sweep_runner.hpp"
#include "experiments/sweep_spec.hpp"

namespace spritesim {

namespace {

const double NaN = std::nan("");

// One sweep's runs: policy label -> x value -> seed -> results.json.
struct SweepData {
  std::string name, x_path, folder;
  size_t failed = 0; // runs that failed
  std::vector<std::string> policies, xs; // in sweep order
  std::map<std::string, std::map<std::string, std::map<int64_t, nlohmann::json>>> runs;
  double mean_cpu_s = NaN; // E[min(L, max)] of the experiment's lifetimes (for the offered load)
  std::map<std::string, std::map<std::string, double>> move_s; // policy -> x -> mean active move (s), migrations.csv
};

std::string policy_label(const nlohmann::json& v)
{
  if (v.is_string())
    return v.get<std::string>();
  auto params = v.value("params", nlohmann::json::object());
  if (params.value("place_arrivals", true) == false)
    return "home only";
  return v.at("name").get<std::string>();
}

// Mean of min(L, max) for Pareto lifetimes Pr[L > t] = (min/t)^alpha (workloads/process_workload.hpp).
double truncated_pareto_mean(const nlohmann::json& p)
{
  double lo = p.at("min_cpu_s"), hi = p.at("max_cpu_s"), a = p.at("pareto_alpha");
  if (std::fabs(a - 1) < 1e-12)
    return lo * (1 + std::log(hi / lo));
  return lo + std::pow(lo, a) * (std::pow(hi, 1 - a) - std::pow(lo, 1 - a)) / (1 - a);
}

// Mean duration of the active migrations (not remote execs, not restarts) in a run's migrations.csv.
void add_moves(const std::string& file, double& sum, int64_t& count)
{
  std::ifstream in(file);
  std::string line;
  std::getline(in, line); // header: time_s,job_id,kind,from_host,to_host,duration_s,bytes
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');)
      f.push_back(cell);
    if (f.size() >= 6 && f[2] != "exec" && f[2] != "restart") {
      sum += std::stod(f[5]);
      ++count;
    }
  }
}

SweepData run_sweep(const std::string& dir, const std::string& name, JobPool& pool, bool quick)
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
  SweepData d;
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
      d.mean_cpu_s = truncated_pareto_mean(parse_json_text(read_text_file(rd + "/config.resolved.json"), rd)
                                               .at("workload")
                                               .at("processes"));
    if (p == "mosix" || p == "lifetime")
      add_moves(rd + "/migrations.csv", moves[{p, xv}].first, moves[{p, xv}].second);
  }
  for (const auto& [key, sc] : moves)
    if (sc.second > 0)
      d.move_s[key.first][key.second] = sc.first / static_cast<double>(sc.second);
  return d;
}

double metric(const nlohmann::json& r, const std::string& key)
{
  if (key == "migrations_per_job") {
    double jobs = r.value("jobs_total", 0.0);
    return jobs > 0 ? r.value("migrations", 0.0) / jobs : NaN;
  }
  auto it = r.find(key);
  return it != r.end() && it->is_number() ? it->get<double>() : NaN;
}

SummaryStats cell(const SweepData& d, const std::string& policy, const std::string& x, const std::string& key)
{
  std::vector<double> v;
  if (auto p = d.runs.find(policy); p != d.runs.end())
    if (auto c = p->second.find(x); c != p->second.end())
      for (const auto& [seed, r] : c->second)
        if (double m = metric(r, key); !std::isnan(m))
          v.push_back(m);
  return summarize(v);
}

// Per seed: 100 * (1 - policy / baseline), over the seeds both finished: the paired cut, in percent.
SummaryStats gain(const SweepData& d, const std::string& policy, const std::string& base, const std::string& x,
                  const std::string& key)
{
  std::vector<double> v;
  auto p = d.runs.find(policy), b = d.runs.find(base);
  if (p != d.runs.end() && b != d.runs.end() && p->second.count(x) && b->second.count(x))
    for (const auto& [seed, r] : p->second.at(x))
      if (auto o = b->second.at(x).find(seed); o != b->second.at(x).end())
        if (double pv = metric(r, key), bv = metric(o->second, key); !std::isnan(pv) && bv > 0)
          v.push_back(100 * (1 - pv / bv));
  return summarize(v);
}

std::string ci_text(const SummaryStats& s, int decimals = 2)
{
  if (s.n == 0)
    return "-";
  if (!s.ci95)
    return fmt::format("{:.{}f} (n={})", s.mean, decimals, s.n);
  return fmt::format("{:.{}f} ± {:.{}f}", s.mean, decimals, *s.ci95, decimals);
}

// The policy with the lowest mean of `key` among `names` at x (a placement-only "best of" baseline).
std::string best_of(const SweepData& d, const std::vector<std::string>& names, const std::string& x,
                    const std::string& key)
{
  std::string best;
  double v = 0;
  for (const auto& n : names)
    if (auto s = cell(d, n, x, key); s.n > 0 && (best.empty() || s.mean < v)) {
      best = n;
      v = s.mean;
    }
  return best;
}

std::string x_heading(const SweepData& d)
{
  if (d.x_path == "workload.processes.arrivals_per_host_hour")
    return "arrivals per host-hour (offered load)";
  if (d.x_path == "workload.processes.dirty_pages_mean")
    return "dirty pages per process, mean (mosix's mean move)";
  return d.x_path;
}

std::string x_text(const SweepData& d, const std::string& x)
{
  if (d.x_path == "workload.processes.arrivals_per_host_hour" && !std::isnan(d.mean_cpu_s))
    return fmt::format("{} ({:.2f})", x, std::stod(x) * d.mean_cpu_s / 3600);
  if (d.x_path == "workload.processes.dirty_pages_mean" && d.move_s.count("mosix") && d.move_s.at("mosix").count(x))
    return fmt::format("{} ({:.1f} s)", x, d.move_s.at("mosix").at(x));
  return x;
}

// A table: one row per x; a column per policy (mean ± CI of `key`), then the paired gains of `gains`
// (policy, baseline; baseline "" = the best placement-only policy of the row).
std::string table(const SweepData& d, const std::string& key,
                  const std::vector<std::pair<std::string, std::string>>& gains,
                  const std::vector<std::string>& placement)
{
  std::string md = fmt::format("| {} |", x_heading(d));
  for (const auto& p : d.policies)
    md += fmt::format(" {} |", p);
  for (const auto& [p, b] : gains)
    md += fmt::format(" cut, {} vs {} (%) |", p, b.empty() ? "best placement" : b);
  md += "\n|---|";
  for (size_t i = 0; i < d.policies.size() + gains.size(); ++i)
    md += "---|";
  md += "\n";
  for (const auto& x : d.xs) {
    md += fmt::format("| {} |", x_text(d, x));
    for (const auto& p : d.policies)
      md += fmt::format(" {} |", ci_text(cell(d, p, x, key)));
    for (const auto& [p, b] : gains) {
      std::string base = b.empty() ? best_of(d, placement, x, key) : b;
      md += fmt::format(" {}{} |", ci_text(gain(d, p, base, x, key), 1), b.empty() ? fmt::format(" ({})", base) : "");
    }
    md += "\n";
  }
  return md;
}

std::string sweep_notes(const SweepData& d)
{
  std::string md;
  if (d.failed != 0)
    md += fmt::format("\n**Sweep {} had {} failed run(s)** (see their run.log under `{}`); the tables use the runs "
                      "that finished.\n",
                      d.name, d.failed, d.folder);
  return md;
}

void write_tables(const std::string& dir, const std::vector<const SweepData*>& all)
{
  CsvTable cells({"sweep", "x_name", "x", "policy", "metric", "n", "mean", "ci95_half_width"});
  CsvTable gains({"sweep", "x_name", "x", "policy", "baseline", "metric", "n", "mean_pct", "ci95_half_width_pct"});
  const std::vector<std::string> metrics = {"job_delay_mean_s", "job_response_mean_s", "job_slowdown_mean",
                                            "migrations_per_job"};
  auto num = [](const std::optional<double>& v) { return v ? fixed(*v) : std::string(); };
  for (const SweepData* d : all)
    for (const auto& x : d->xs)
      for (const auto& p : d->policies)
        for (const auto& key : metrics) {
          SummaryStats s = cell(*d, p, x, key);
          cells.add_row({d->name, d->x_path, x, p, key, std::to_string(s.n), s.n ? fixed(s.mean) : "", num(s.ci95)});
          for (const auto& b : d->policies)
            if (b != p && key != "migrations_per_job") {
              SummaryStats g = gain(*d, p, b, x, key);
              gains.add_row({d->name, d->x_path, x, p, b, key, std::to_string(g.n), g.n ? fixed(g.mean) : "",
                             num(g.ci95)});
            }
        }
  write_file_atomic(dir + "/studies-cells.csv", cells.text());
  write_file_atomic(dir + "/studies-gains.csv", gains.text());
}

// Lowest and highest mean of some cuts, and how many 95% intervals lie wholly below, wholly above, or partly within
// [lo, hi] percent.
struct GainRange {
  double min = NaN, max = NaN;
  int below = 0, inside = 0, above = 0, cells = 0;
  void add(const SummaryStats& g, double lo, double hi)
  {
    if (g.n == 0)
      return;
    min = cells ? std::min(min, g.mean) : g.mean;
    max = cells ? std::max(max, g.mean) : g.mean;
    ++cells;
    double ci = g.ci95.value_or(0);
    ++(g.mean + ci < lo ? below : g.mean - ci > hi ? above : inside);
  }
  std::string text() const
  {
    if (!cells)
      return "not compared (it never migrated)";
    return fmt::format("from {:.0f}% to {:.0f}% over {} cells", min, max, cells);
  }
};

double max_migrations_per_job(const SweepData& d, const std::string& policy)
{
  double m = 0;
  for (const auto& x : d.xs)
    if (auto s = cell(d, policy, x, "migrations_per_job"); s.n > 0)
      m = std::max(m, s.mean);
  return m;
}

// What the lifetime policy did, for both studies' discussions.
std::string lifetime_note(const std::vector<const SweepData*>& ds)
{
  double lm = 0;
  for (const SweepData* d : ds)
    lm = std::max(lm, max_migrations_per_job(*d, "lifetime"));
  if (lm >= 0.001)
    return fmt::format(" lifetime made up to {:.2f} active migrations per job.", lm);
  return fmt::format(" lifetime made no active migration (at most {:.3f} per job), so its numbers are those of home "
                     "only. The simulator hands the policy a process's CPU age as the CPU time of its finished or "
                     "interrupted executions (SimProcess::cpu_used_s), so a process that has run without "
                     "interruption since it started shows age 0 and never passes age > cost / (n - m): a gap in the "
                     "backend, not a finding about Harchol-Balter & Downey's policy; mosix stands in as the "
                     "preemptive policy until it is closed (docs/studies.md).",
                     lm);
}

std::string hbd_section(const SweepData& load, const SweepData& cost)
{
  std::string md = "\n### Preemptive migration against remote execution (Harchol-Balter & Downey)\n\n"
                   "**Published claim** (Harchol-Balter & Downey, SIGMETRICS 1996 / TOCS 1997; sprite-facts 7a, "
                   "read in the abstracts only): preemptive, lifetime-based migration cuts the mean delay (queueing "
                   "plus migration) by **35-50%** against non-preemptive remote execution, \"even when the "
                   "memory-transfer cost is high\". UNVERIFIED in sprite-facts: their criterion (migrate when "
                   "age > cost / (n - m), which our `lifetime` implements), their cost model and simulator "
                   "parameters. Cut = 100 (1 - delay / delay of remote-exec), per seed (negative: more delay than "
                   "remote-exec).\n\n";
  std::vector<std::pair<std::string, std::string>> cuts = {{"lifetime", "remote-exec"}, {"mosix", "remote-exec"}};
  md += "Mean delay (s) against load, dirty pages as measured (TH90 Table 8.3):\n\n" +
        table(load, "job_delay_mean_s", cuts, {}) + sweep_notes(load);
  md += "\nMean delay (s) against the migration cost, at the highest load " +
        fmt::format("(the memory-transfer sweep; mosix's mean move time in brackets):\n\n") +
        table(cost, "job_delay_mean_s", cuts, {}) + sweep_notes(cost);
  md += "\nMean slowdown (response / CPU) against load:\n\n" + table(load, "job_slowdown_mean", cuts, {});
  md += "\n![delay against load](studies/hbd-load.png)\n![delay against migration cost](studies/hbd-cost.png)\n";
  GainRange life, mosix;
  for (const SweepData* d : {&load, &cost})
    for (const auto& x : d->xs) {
      life.add(gain(*d, "lifetime", "remote-exec", x, "job_delay_mean_s"), 35, 50);
      mosix.add(gain(*d, "mosix", "remote-exec", x, "job_delay_mean_s"), 35, 50);
    }
  md += fmt::format("\n**Where we agree and where we differ.** Cut in mean delay against remote-exec: lifetime {} "
                    "({} below, {} within or overlapping, {} above 35-50%); mosix {} ({} below, {} within or "
                    "overlapping, {} above).",
                    life.text(), life.below, life.inside, life.above, mosix.text(), mosix.below, mosix.inside,
                    mosix.above);
  md += lifetime_note({&load, &cost});
  const std::string& top = load.xs.back();
  const std::string& dear = cost.xs.back();
  md += fmt::format(" Exec-time placement alone removes most of the delay of keeping work at home: at {} arrivals "
                    "per host-hour remote-exec cuts it by {}% against home only. Our remote-exec is Sprite's: a "
                    "global migd with current knowledge puts each new process on a host running no foreign "
                    "process, which in an owner-less pool below saturation usually exists, so little is left for "
                    "migration to win; HB&D's non-preemptive baseline is not described in sprite-facts, so whether "
                    "it was as strong is unknown. Preemptive moves cost more than they return here: mosix moves the "
                    "cheapest running process whatever its age, so short processes move too, and its delay grows "
                    "with the migration cost ({} s at {} dirty pages against {} s for remote-exec).",
                    top, ci_text(gain(load, "remote-exec", "home only", top, "job_delay_mean_s"), 1),
                    ci_text(cell(cost, "mosix", dear, "job_delay_mean_s")), dear,
                    ci_text(cell(cost, "remote-exec", dear, "job_delay_mean_s")));
  if (max_migrations_per_job(cost, "lifetime") >= 0.001 && cost.move_s.count("lifetime"))
    md += fmt::format(" lifetime weighs age against the backend's unloaded estimate of one move, but a move between "
                      "two remote hosts goes through home, every move shares one 10 Mb/s Ethernet, and each dirty "
                      "page crosses it twice (flushed, then paged in on the target): its moves took {:.1f} s on "
                      "average at {} dirty pages, and its delay was {} s.",
                      cost.move_s.at("lifetime").count(dear) ? cost.move_s.at("lifetime").at(dear) : NaN, dear,
                      ci_text(cell(cost, "lifetime", dear, "job_delay_mean_s")));
  md += "\n";
  return md;
}

std::string elz_section(const SweepData& d)
{
  const std::vector<std::string> placement = {"random", "least-loaded", "remote-exec"};
  std::string md = "\n### Migration of active processes against placement at exec (Eager, Lazowska & Zahorjan)"
                   "\n\n**Published claim** (Eager, Lazowska & Zahorjan, SIGMETRICS 1988; sprite-facts 7a, "
                   "abstract only): migrating active processes gives only **modest** gains over non-migratory load "
                   "sharing (placement at exec), and only under fairly extreme conditions; their model was built to "
                   "overestimate migration's benefit. UNVERIFIED in sprite-facts: the model itself (homogeneous "
                   "nodes, hyperexponential demands, migration cost proportional to demand) and its numbers. "
                   "Placement only: random, least-loaded (1-minute loads), remote-exec (Sprite's idle-host "
                   "choice); placement plus migration: mosix; migration only: lifetime. Cut = 100 (1 - response / "
                   "response of the baseline), per seed (negative: worse than the baseline); \"best placement\" is "
                   "the placement-only policy with the "
                   "lowest mean in that row. We read \"modest\" as a cut below 20%.\n\n";
  std::vector<std::pair<std::string, std::string>> gains = {
      {"mosix", ""}, {"mosix", "least-loaded"}, {"lifetime", ""}};
  md += "Mean response time (s) against load:\n\n" + table(d, "job_response_mean_s", gains, placement) +
        sweep_notes(d);
  md += "\nMean delay (s) against load:\n\n" + table(d, "job_delay_mean_s", gains, placement);
  md += "\n![response time against load](studies/elz-load.png)\n";
  GainRange mosix, ll, life;
  for (const auto& x : d.xs) {
    std::string best = best_of(d, placement, x, "job_response_mean_s");
    mosix.add(gain(d, "mosix", best, x, "job_response_mean_s"), -1e9, 20);
    if (max_migrations_per_job(d, "lifetime") >= 0.001) // a lifetime that never moves is home only
      life.add(gain(d, "lifetime", best, x, "job_response_mean_s"), -1e9, 20);
    ll.add(gain(d, "mosix", "least-loaded", x, "job_response_mean_s"), -1e9, 20);
  }
  md += fmt::format("\n**Where we agree and where we differ.** Cut in mean response time against the best "
                    "placement-only policy: mosix (placement plus migration) {}, above 20% in {}; lifetime {}, "
                    "above 20% in {}. mosix against least-loaded: {}, above 20% in {}. ",
                    mosix.text(), mosix.above, life.text(), life.above, ll.text(), ll.above);
  double top = std::max(mosix.max, life.max);
  if (mosix.above + life.above > 0)
    md += "Against the best placement we differ from ELZ: migration gains more than a modest amount somewhere. ";
  else if (top < 0)
    md += "Against the best placement we agree with ELZ, and more strongly: migration gains nothing, it costs "
          "response time, because the best placement already finds an idle host for nearly every process. ";
  else
    md += "Against the best placement we agree with ELZ: migration gains little. ";
  if (ll.above > 0)
    md += "Against least-loaded the gain is large, as Krueger & Livny found (sprite-facts 7a, second hand): "
          "migration repairs a poor placement (1-minute load averages lag the queue, so bursts land on hosts that "
          "only look light), so the answer depends on the placement one compares with. ";
  else if (ll.max > 0)
    md += "Migration does repair part of a poorer placement (least-loaded's 1-minute load averages lag the queue). ";
  md += "Response time includes each process's own CPU time, the same for every policy, so relative cuts in response "
        "are smaller than in delay (second table). Our lifetimes are heavy-tailed (Pareto, alpha 1), the case "
        "Downey & Harchol-Balter argue ELZ's model misses and which favours migration, and our migration costs "
        "follow dirty pages and open files, not demand (ELZ's cost model is UNVERIFIED here).";
  md += lifetime_note({&d});
  return md + "\n";
}

std::string studies_section(const SweepData& load, const SweepData& cost, const SweepData& elz, bool figures)
{
  const auto& any = load.runs.empty() ? elz : load;
  int64_t seeds = 0;
  for (const auto& [p, xs] : any.runs)
    for (const auto& [x, s] : xs)
      seeds = std::max<int64_t>(seeds, static_cast<int64_t>(s.size()));
  std::string md = fmt::format(
      "\n## Policy studies\n\nTwo policy claims from the literature (docs/studies.md), on a pool of identical "
      "SS1 workstations with no owners (the idle rule's load thresholds out of reach, so the policy alone decides "
      "where work goes). Processes arrive at their home hosts (Poisson) with Pareto CPU lifetimes "
      "Pr[L > T | L >= 1 s] = 1/T truncated at 1 h (mean {:.2f} s; sprite-facts 7a) and migration state drawn "
      "around TH90 Table 8.3 (2f), moved by the calibrated Sprite mechanism. Each cell: {} seeds; the same seed "
      "gives every policy the same arrivals. Values are mean ± 95% CI half-width (Student t over the seeds); the "
      "offered load in brackets is arrivals x mean lifetime / 3600 s per host. \"home only\" is remote-exec with "
      "`place_arrivals: false` (no remote execution, no migration). CSVs: studies/studies-cells.csv, "
      "studies/studies-gains.csv; sweeps under studies/.\n",
      any.mean_cpu_s, seeds);
  if (!figures)
    md += "\nThe figures could not be drawn (see studies/plot.log); the tables stand without them.\n";
  return md + hbd_section(load, cost) + elz_section(elz);
}

} // namespace

std::string run_studies(const std::string& out_dir, JobPool& pool)
{
  const char* q = std::getenv("SPRITESIM_STUDIES_QUICK");
  bool quick = q && std::string(q) == "1";
  std::string dir = out_dir + "/studies";
  make_directories(dir);
  fmt::print("studies: running the policy-study sweeps{} into {}\n", quick ? " (reduced)" : "", dir);
  SweepData load = run_sweep(dir, "hbd-load", pool, quick);
  SweepData cost = run_sweep(dir, "hbd-cost", pool, quick);
  SweepData elz = run_sweep(dir, "elz-load", pool, quick);
  if (pool.stopped())
    return "";
  write_tables(dir, {&load, &cost, &elz});
  bool figures = run_embedded_script("analysis/plot_study.py", dir, dir + "/plot.log");
  if (!figures)
    fmt::print(stderr, "studies: drawing the figures failed; see {}/plot.log\n", dir);
  return studies_section(load, cost, elz, figures);
}

} // namespace spritesim
