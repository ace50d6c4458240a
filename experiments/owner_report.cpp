// The "Owners and eviction policies" section of report.md (see owner_study.hpp): the cells' means with 95% CIs, the
// frontier of the trade-off plane with paired per-seed differences, and where the published Sprite figures fall.
// Every number is computed from the study's runs; the published ones come from owner_published().
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "experiments/data_files.hpp"
#include "experiments/owner_study.hpp"

namespace spritesim {

namespace {

std::string ci_text(const SummaryStats& s, int decimals = 2)
{
  if (s.n == 0)
    return "-";
  if (!s.ci95)
    return fmt::format("{:.{}f} (n={})", s.mean, decimals, s.n);
  return fmt::format("{:.{}f} ± {:.{}f}", s.mean, decimals, *s.ci95, decimals);
}

// Per seed, a's value of `key` minus b's, over the seeds both have: the paired difference.
SummaryStats paired(const OwnerCell& a, const OwnerCell& b, const std::string& key)
{
  std::vector<double> v;
  for (const auto& [seed, r] : a.runs)
    if (auto o = b.runs.find(seed); o != b.runs.end())
      if (auto x = r.find(key), y = o->second.find(key);
          x != r.end() && y != o->second.end() && x->is_number() && y->is_number())
        v.push_back(x->get<double>() - y->get<double>());
  return summarize(v);
}

bool excludes_zero(const SummaryStats& s) { return s.ci95 && std::abs(s.mean) > *s.ci95; }

std::vector<double> pooled(const OwnerStudy& s, const std::string& policy, const std::string& csv,
                           const std::string& column,
                           const std::function<bool(const std::map<std::string, std::string>&)>& keep)
{
  std::vector<double> v;
  for (const OwnerCell& c : s.cells)
    if (c.policy == policy)
      for (const auto& [seed, rd] : c.run_dirs)
        for (double x : csv_column(rd + "/" + csv, column, keep))
          v.push_back(x);
  return v;
}

std::string cells_table(const OwnerStudy& s)
{
  std::string md = "| build | when | setting | n | speedup | intrusion per return (s) | intruded return, mean (s) | "
                   "foreign CPU beside owners (s) | CPU lost to restarts (s) | builds that lost a host | "
                   "evictions per host-hour |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const OwnerCell& c : s.cells)
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", c.build, c.when, c.setting,
                      c.runs.size(), ci_text(owner_cell_stat(c, "speedup")),
                      ci_text(owner_cell_stat(c, "owner_intrusion_per_return_s")),
                      ci_text(owner_cell_stat(c, "owner_intrusion_mean_s")),
                      ci_text(owner_cell_stat(c, "owner_foreign_cpu_s"), 1),
                      ci_text(owner_cell_stat(c, "restart_lost_cpu_s"), 1),
                      ci_text(owner_cell_stat(c, "build_lost_host")),
                      ci_text(owner_cell_stat(c, "evictions_per_host_hour"), 3));
  return md;
}

std::string frontier_text(const OwnerStudy& s)
{
  std::vector<FrontierPoint> plane = owner_plane(s);
  std::string md = fmt::format("\n### The trade-off plane ({} at {})\n\n![trade-off plane](owners/owners-tradeoff.png)"
                               "\n\nOn the frontier (no other setting has both a higher mean speedup and a lower "
                               "mean intrusion per owner return):\n\n",
                               PLANE_BUILD, PLANE_WHEN);
  bool any = false;
  for (const FrontierPoint& p : plane)
    if (p.on_frontier) {
      md += fmt::format("- **{}**: speedup {}, intrusion {} s per owner return\n", p.setting, ci_text(p.speedup),
                        ci_text(p.intrusion_s));
      any = true;
    }
  if (!any)
    return md + "- none: the runs carry no owner_intrusion_per_return_s (docs/outputs.md), so there is no plane.\n";
  // Along the frontier, from the least intrusive setting to the fastest: what each step buys and costs.
  std::vector<const FrontierPoint*> front;
  for (const FrontierPoint& p : plane)
    if (p.on_frontier)
      front.push_back(&p);
  std::sort(front.begin(), front.end(), [](const FrontierPoint* a, const FrontierPoint* b) {
    return a->intrusion_s.mean < b->intrusion_s.mean;
  });
  if (front.size() > 1)
    md += "\nAlong it, each step from the less intrusive setting to the next (paired over the seeds):\n\n";
  for (size_t i = 1; i < front.size(); ++i) {
    const OwnerCell* a = owner_cell(s, PLANE_BUILD, PLANE_WHEN, front[i]->setting);
    const OwnerCell* b = owner_cell(s, PLANE_BUILD, PLANE_WHEN, front[i - 1]->setting);
    SummaryStats dy = paired(*a, *b, "speedup"), dx = paired(*a, *b, "owner_intrusion_per_return_s");
    md += fmt::format("- {} over {}: speedup {} ({}), intrusion per return {} s ({})\n", front[i]->setting,
                      front[i - 1]->setting, ci_text(dy), excludes_zero(dy) ? "significant" : "not significant",
                      ci_text(dx), excludes_zero(dx) ? "significant" : "not significant");
  }
  md += "\nOff it, each against the setting that dominates it (paired over the seeds, which give every setting the "
        "same owners and build; a difference is significant when its 95% interval excludes 0):\n\n";
  for (const FrontierPoint& p : plane) {
    if (p.on_frontier || p.dominated_by.empty())
      continue;
    const OwnerCell* a = owner_cell(s, PLANE_BUILD, PLANE_WHEN, p.setting);
    const OwnerCell* b = owner_cell(s, PLANE_BUILD, PLANE_WHEN, p.dominated_by);
    SummaryStats dy = paired(*a, *b, "speedup"), dx = paired(*a, *b, "owner_intrusion_per_return_s");
    md += fmt::format("- {} vs {}: speedup {} ({}), intrusion per return {} s ({})\n", p.setting, p.dominated_by,
                      ci_text(dy), excludes_zero(dy) ? "significant" : "not significant", ci_text(dx),
                      excludes_zero(dx) ? "significant" : "not significant");
  }
  return md;
}

std::string published_text(const OwnerStudy& s)
{
  std::string md = "\n### Where the published Sprite figures fall\n\n";
  for (const OwnerPublished& p : owner_published()) {
    std::string pub = p.low == p.high ? fmt::format("{:.2f}", p.low) : fmt::format("{:.2f}-{:.2f}", p.low, p.high);
    if (p.quantity == "speedup_no_owners_kernel_12") {
      md += fmt::format("- Kernel build on 12 hosts without owners: published {} ({}); simulated {} (the "
                        "kernel-speedup figure's runs, seed 1). With owners at {} the settings reach:",
                        pub, p.source, s.no_owners_speedup ? fmt::format("{:.2f}", *s.no_owners_speedup) : "-",
                        PLANE_WHEN);
      for (const OwnerCell& c : s.cells)
        if (c.build == "kernel-12" && c.when == PLANE_WHEN)
          md += fmt::format(" {} {};", c.setting, ci_text(owner_cell_stat(c, "speedup")));
      md.back() = '.';
      const FrontierPoint* best = nullptr;
      for (const FrontierPoint& f : owner_plane(s))
        if (f.on_frontier && (!best || f.speedup.mean > best->speedup.mean))
          best = &f;
      if (best)
        md += fmt::format(" On the plane the published point lies {} the frontier: its fastest setting, {}, keeps "
                          "{:.0f}% of the published speedup{}.",
                          best->speedup.mean < p.low ? "above" : "on or below", best->setting,
                          100 * best->speedup.mean / p.low,
                          s.no_owners_speedup ? fmt::format(" and {:.0f}% of the simulated one without owners",
                                                            100 * best->speedup.mean / *s.no_owners_speedup)
                                              : "");
      md += "\n";
    } else if (p.quantity == "evictions_per_host_hour") {
      md += fmt::format("- Evictions per host-hour: published {} ({}; over every host-hour of a month of ordinary "
                        "use, not only during builds); simulated, per host-hour of the build:",
                        pub, p.source);
      for (const OwnerCell& c : s.cells)
        if (c.build == "kernel-12" && c.setting == "sprite")
          md += fmt::format(" {} {};", c.when, ci_text(owner_cell_stat(c, "evictions_per_host_hour"), 3));
      md.back() = '.';
      md += "\n";
    } else if (p.quantity == "time_to_free_host_s") {
      md += fmt::format("- Time to free a host: published {} s ({}). Simulated (pooled over the family's runs):", pub,
                        p.source);
      for (const char* policy : {"sprite", "condor", "remote-exec", "never-evict"}) {
        SummaryStats ev = summarize(pooled(s, policy, "evictions.csv", "duration_s", [](const auto&) { return true; }));
        SummaryStats ret = summarize(pooled(s, policy, "owner_returns.csv", "intrusion_s", [](const auto& row) {
          return row.at("foreign_processes") != "0" && row.at("censored") == "0";
        }));
        std::string where = ret.n == 0            ? ""
                            : ret.mean < p.low    ? ", below the published band"
                            : ret.mean <= p.high  ? ", within the published band"
                                                  : ", above the published band";
        md += fmt::format(" {}: evictions.csv duration {} s (n={}), owner's wait {} s (n={}{});", policy, ci_text(ev),
                          ev.n, ci_text(ret), ret.n, where);
      }
      md.back() = '.';
      md += " The simulated time to free a host comes from the calibrated migration costs (docs/cost-model.md, "
            "\"eviction gap\"), not from TH90's measurement.\n";
    }
  }
  return md;
}

} // namespace

std::vector<OwnerPublished> owner_published()
{
  const char* figure = "configs/reproduction/kernel-speedup.json";
  nlohmann::json k = parse_json_text(std::string(*embedded_file(figure)), figure).at("published");
  double kernel12 = k.at("speedup").at("12").get<double>();
  return {{"speedup_no_owners_kernel_12", kernel12, kernel12, k.at("source").get<std::string>()},
          {"evictions_per_host_hour", 0.12, 0.12, "TH90 Table 8.2; SPE91 p.23 (sprite-facts 4c)"},
          {"time_to_free_host_s", 3.0, 3.44, "SPE91 p.23: 3.0 s, sd 3.1; TH90 8.3: 3.44 s, sd 3.65 (sprite-facts 4c)"}};
}

std::vector<double> csv_column(const std::string& file, const std::string& column,
                               const std::function<bool(const std::map<std::string, std::string>&)>& keep)
{
  std::vector<double> out;
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line))
    return out;
  auto split = [](const std::string& l) {
    std::vector<std::string> f;
    std::stringstream ss(l);
    for (std::string cell; std::getline(ss, cell, ',');)
      f.push_back(cell);
    return f;
  };
  std::vector<std::string> header = split(line);
  while (std::getline(in, line)) {
    std::vector<std::string> f = split(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < f.size(); ++i)
      row[header[i]] = f[i];
    if (auto it = row.find(column); it != row.end() && keep(row))
      out.push_back(std::stod(it->second));
  }
  return out;
}

std::string owner_section(const OwnerStudy& s, bool figures, double cpu_s)
{
  std::string md = fmt::format(
      "\n## Owners and eviction policies\n\n"
      "The paper's builds on workstations whose owners come and go (docs/owners.md, \"The owner study\"): "
      "stochastic owners at Wednesday 10:00, Wednesday 15:00 and Sunday 03:00 (the model has only two regimes, "
      "weekday 9-17 and the rest), and the shipped owner trace, which is **synthetic** (configs/owners/README.md), "
      "replayed from a different point of its week per seed. Policies: sprite (evict home when the owner returns; "
      "sprite-idle-300 uses a 300 s input threshold), condor (suspend, vacate after max_suspend_s; condor-30-60 "
      "starts after 30 s idle and vacates after 60 s), remote-exec (kill and restart at home), never-evict (sprite "
      "with evict_on_owner false). {} runs, {} seeds per cell; the same seed gives every setting the same owners and "
      "build. Values are mean ± 95% CI half-width (Student t over the seeds). The grid is sized to the reproduction's "
      "budget: sprite, condor and never-evict at every time of week for the kernel build on 12 hosts, remote-exec and "
      "the two extra settings at {} only, the full-size kernel build (39 hosts) from the trace for sprite and condor, "
      "and the other builds at {} for sprite and never-evict. The section's runs and figures took {:.1f} CPU-s. CSVs: owners/owners-cells.csv, "
      "owners-frontier.csv, owners-returns.csv, owners-evictions.csv, owners-published.csv; sweeps under owners/.\n",
      s.runs, s.seeds, PLANE_WHEN, PLANE_WHEN, cpu_s);
  if (s.failed)
    md += fmt::format("\n**{} run(s) failed** (see their run.log under owners/); the tables use those that finished.\n",
                      s.failed);
  for (const std::string& r : s.incomplete)
    md += fmt::format("\n**{} finished with jobs missing.**\n", r);
  if (!figures)
    md += "\nThe figures could not be drawn (see owners/plot.log); the tables stand without them.\n";
  md += "\n### Speedup against time of week\n\n![speedup against time of week](owners/owners-time-of-week.png)\n\n";
  md += cells_table(s);
  md += frontier_text(s);
  md += "\n![time to free a host](owners/owners-time-to-free.png)\n";
  md += published_text(s);
  md += "\nRerun: `spritesim reproduce --out DIR` (this section), or one sweep: `spritesim sweep "
        "configs/owners/owners-kernel-12.json --out DIR`.\n";
  return md;
}

} // namespace spritesim
