// The "Owners and eviction policies" section of report.md (see owner_study.hpp): the cells' means with 95% CIs, the
// frontier of the trade-off plane with paired per-seed differences, and where the published Sprite figures fall.
// Every number is computed from the study's runs; the published ones come from owner_published().
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "experiments/data_files.hpp"
#include "experiments/report_prose.hpp"
#include "experiments/owner_study.hpp"
#include "experiments/sweep_spec.hpp"

namespace spritesim {

namespace {

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

// A block of configs/owners/report.md with its {names} filled in.
template <typename... Named> std::string text(const std::string& name, const Named&... args)
{
  return prose("configs/owners/report.md", name, args...);
}

const char* significance(const SummaryStats& s) { return excludes_zero(s) ? "significant" : "not significant"; }

// One line comparing two settings of the plane, paired over the seeds (block "step" or "dominated").
std::string comparison(const OwnerStudy& s, const std::string& block, const std::string& setting,
                       const std::string& other)
{
  const OwnerCell* a = owner_cell(s, PLANE_BUILD, PLANE_WHEN, setting);
  const OwnerCell* b = owner_cell(s, PLANE_BUILD, PLANE_WHEN, other);
  SummaryStats dy = paired(*a, *b, "speedup"), dx = paired(*a, *b, "owner_intrusion_per_return_s");
  return text(block, fmt::arg("setting", setting), fmt::arg("other", other), fmt::arg("speedup", ci_text(dy)),
              fmt::arg("speedup_sig", significance(dy)), fmt::arg("intrusion", ci_text(dx)),
              fmt::arg("intrusion_sig", significance(dx))) +
         "\n";
}

std::string cells_table(const OwnerStudy& s)
{
  std::string md = text("time_of_week") + "\n";
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
  std::string md = fmt::format("\n{}\n\n", text("plane", fmt::arg("build", PLANE_BUILD), fmt::arg("when", PLANE_WHEN)));
  // Along the frontier, from the least intrusive setting to the fastest: what each step buys and costs.
  std::vector<const FrontierPoint*> front;
  for (const FrontierPoint& p : plane)
    if (p.on_frontier) {
      md += text("frontier_point", fmt::arg("setting", p.setting), fmt::arg("speedup", ci_text(p.speedup)),
                 fmt::arg("intrusion", ci_text(p.intrusion_s))) +
            "\n";
      front.push_back(&p);
    }
  if (front.empty())
    return md + text("frontier_none") + "\n";
  std::sort(front.begin(), front.end(), [](const FrontierPoint* a, const FrontierPoint* b) {
    return a->intrusion_s.mean < b->intrusion_s.mean;
  });
  if (front.size() > 1)
    md += fmt::format("\n{}\n\n", text("along"));
  for (size_t i = 1; i < front.size(); ++i)
    md += comparison(s, "step", front[i]->setting, front[i - 1]->setting);
  md += fmt::format("\n{}\n\n", text("off"));
  for (const FrontierPoint& p : plane)
    if (!p.on_frontier && !p.dominated_by.empty())
      md += comparison(s, "dominated", p.setting, p.dominated_by);
  return md;
}

// "a; b; c" of the pieces.
std::string joined(const std::vector<std::string>& pieces)
{
  std::string out;
  for (const auto& p : pieces)
    out += (out.empty() ? "" : "; ") + p;
  return out.empty() ? "-" : out;
}

std::string published_text(const OwnerStudy& s)
{
  std::string md = fmt::format("\n{}\n\n", text("time_to_free"));
  for (const OwnerPublished& p : owner_published()) {
    std::string pub = p.low == p.high ? fmt::format("{:.2f}", p.low) : fmt::format("{:.2f}-{:.2f}", p.low, p.high);
    std::vector<std::string> sim;
    if (p.quantity == "speedup_no_owners_kernel_12") {
      for (const OwnerCell& c : s.cells)
        if (c.build == "kernel-12" && c.when == PLANE_WHEN)
          sim.push_back(c.setting + " " + ci_text(owner_cell_stat(c, "speedup")));
      md += text("published_speedup", fmt::arg("published", pub), fmt::arg("source", p.source),
                 fmt::arg("simulated", s.no_owners_speedup ? fmt::format("{:.2f}", *s.no_owners_speedup) : "-"),
                 fmt::arg("when", PLANE_WHEN), fmt::arg("settings", joined(sim)));
      const FrontierPoint* best = nullptr;
      std::vector<FrontierPoint> plane = owner_plane(s);
      for (const FrontierPoint& f : plane)
        if (f.on_frontier && (!best || f.speedup.mean > best->speedup.mean))
          best = &f;
      if (best && s.no_owners_speedup)
        md += fmt::format(" {}", text("published_on_plane",
                                      fmt::arg("where", best->speedup.mean < p.low ? "above" : "on or below"),
                                      fmt::arg("setting", best->setting),
                                      fmt::arg("share_published", 100 * best->speedup.mean / p.low),
                                      fmt::arg("share_simulated", 100 * best->speedup.mean / *s.no_owners_speedup)));
    } else if (p.quantity == "evictions_per_host_hour") {
      for (const OwnerCell& c : s.cells)
        if (c.build == "kernel-12" && c.setting == "sprite")
          sim.push_back(c.when + " " + ci_text(owner_cell_stat(c, "evictions_per_host_hour"), 3));
      md += text("published_evictions", fmt::arg("published", pub), fmt::arg("source", p.source),
                 fmt::arg("simulated", joined(sim)));
    } else if (p.quantity == "time_to_free_host_s") {
      for (const char* policy : {"sprite", "condor", "remote-exec", "never-evict"}) {
        SummaryStats ev = summarize(pooled(s, policy, "evictions.csv", "duration_s", [](const auto&) { return true; }));
        SummaryStats ret = summarize(pooled(s, policy, "owner_returns.csv", "intrusion_s", [](const auto& row) {
          return row.at("foreign_processes") != "0" && row.at("censored") == "0";
        }));
        std::string where = ret.n == 0            ? ""
                            : ret.mean < p.low    ? ", below the published band"
                            : ret.mean <= p.high  ? ", within the published band"
                                                  : ", above the published band";
        sim.push_back(text("time_to_free_policy", fmt::arg("policy", policy), fmt::arg("eviction", ci_text(ev)),
                           fmt::arg("evictions", ev.n), fmt::arg("wait", ci_text(ret)), fmt::arg("waits", ret.n),
                           fmt::arg("where", where)));
      }
      md += text("published_time_to_free", fmt::arg("published", pub), fmt::arg("source", p.source),
                 fmt::arg("simulated", joined(sim)));
    }
    md += "\n";
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
          {"evictions_per_host_hour", 0.12, 0.12, "TH90 Table 8.2; SPE91 p.23"},
          {"time_to_free_host_s", 3.0, 3.44, "SPE91 p.23: 3.0 s, sd 3.1; TH90 8.3: 3.44 s, sd 3.65"}};
}

std::string owner_section(const OwnerStudy& s, bool figures, double cpu_s)
{
  std::string md = text("intro", fmt::arg("runs", s.runs), fmt::arg("seeds", s.seeds),
                        fmt::arg("plane_when", PLANE_WHEN), fmt::arg("cpu_s", cpu_s)) +
                   "\n";
  if (s.failed)
    md += fmt::format("\n{}\n", text("failed", fmt::arg("failed", s.failed)));
  for (const std::string& r : s.incomplete)
    md += fmt::format("\n{}\n", text("incomplete", fmt::arg("run", r)));
  if (!figures)
    md += fmt::format("\n{}\n", text("figures_failed"));
  md += fmt::format("\n{}{}{}\n{}\n", cells_table(s), frontier_text(s), published_text(s), text("rerun"));
  return md;
}

} // namespace spritesim
