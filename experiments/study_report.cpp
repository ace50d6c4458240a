// The "Policy studies" section of report.md (see study_data.hpp): tables of mean ± 95% CI per cell, the paired
// cuts, and where we agree with the published claims or differ. The prose is configs/studies/report.md (embedded);
// this file only chooses among its blocks and fills in the numbers.
#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include <fmt/args.h>
#include <fmt/format.h>

#include "experiments/report_prose.hpp"
#include "experiments/study_data.hpp"

namespace spritesim {

namespace {

const double NaN = std::nan("");

// A block of configs/studies/report.md with its {names} filled in.
template <typename... Named> std::string text(const std::string& name, const Named&... args)
{
  return prose("configs/studies/report.md", name, args...);
}

// The policy with the lowest mean of `key` among `names` at x (a placement-only "best of" baseline).
std::string best_of(const StudySweep& d, const std::vector<std::string>& names, const std::string& x,
                    const std::string& key)
{
  std::string best;
  double v = 0;
  for (const auto& n : names)
    if (auto s = study_cell(d, n, x, key); s.n > 0 && (best.empty() || s.mean < v)) {
      best = n;
      v = s.mean;
    }
  return best;
}

// A paired cut as text. A policy that more than doubles the baseline (a cut below -100%) is shown as a ratio with
// both means: a percentage of a baseline near 0 (-13298%) says only that the baseline was small.
std::string cut_text(const StudySweep& d, const std::string& policy, const std::string& base, const std::string& x,
                     const std::string& key)
{
  SummaryStats g = study_gain(d, policy, base, x, key);
  if (g.n == 0 || g.mean >= -100)
    return ci_text(g, 1);
  double pm = study_cell(d, policy, x, key).mean, bm = study_cell(d, base, x, key).mean;
  auto num = [](double v) { return fmt::format("{:.{}f}", v, v >= 100 ? 0 : v >= 10 ? 1 : 2); };
  return text("cut_ratio", fmt::arg("ratio", num(pm / bm)), fmt::arg("policy_mean", num(pm)),
              fmt::arg("base_mean", num(bm)));
}

std::string x_heading(const StudySweep& d)
{
  if (d.x_path == "workload.processes.arrivals_per_host_hour")
    return text("x_load");
  if (d.x_path == "workload.processes.dirty_pages_mean")
    return text("x_cost");
  return d.x_path;
}

std::string x_text(const StudySweep& d, const std::string& x)
{
  if (d.x_path == "workload.processes.arrivals_per_host_hour" && !std::isnan(d.mean_cpu_s))
    return fmt::format("{} ({:.2f})", x, std::stod(x) * d.mean_cpu_s / 3600);
  if (d.x_path == "workload.processes.dirty_pages_mean" && d.move_s.count("mosix") && d.move_s.at("mosix").count(x))
    return fmt::format("{} ({:.1f} s)", x, d.move_s.at("mosix").at(x));
  return x;
}

// A table: one row per x; a column per policy (mean ± CI of `key`), then the paired gains of `gains`
// (policy, baseline; baseline "" = the best placement-only policy of the row).
std::string table(const StudySweep& d, const std::string& key,
                  const std::vector<std::pair<std::string, std::string>>& gains,
                  const std::vector<std::string>& placement)
{
  std::string md = fmt::format("| {} |", x_heading(d));
  for (const auto& p : d.policies)
    md += fmt::format(" {} |", p);
  for (const auto& [p, b] : gains)
    md += fmt::format(" {} |", text("cut_column", fmt::arg("policy", p),
                                    fmt::arg("baseline", b.empty() ? text("best_placement") : b)));
  md += "\n|---|";
  for (size_t i = 0; i < d.policies.size() + gains.size(); ++i)
    md += "---|";
  md += "\n";
  for (const auto& x : d.xs) {
    md += fmt::format("| {} |", x_text(d, x));
    for (const auto& p : d.policies)
      md += fmt::format(" {} |", ci_text(study_cell(d, p, x, key)));
    for (const auto& [p, b] : gains) {
      std::string base = b.empty() ? best_of(d, placement, x, key) : b;
      md += fmt::format(" {}{} |", cut_text(d, p, base, x, key),
                        b.empty() ? fmt::format(" ({})", base) : "");
    }
    md += "\n";
  }
  return md;
}

std::string sweep_notes(const StudySweep& d)
{
  if (d.failed == 0)
    return "";
  return fmt::format("\n{}\n", text("sweep_failed", fmt::arg("name", d.name), fmt::arg("failed", d.failed),
                                    fmt::arg("folder", d.folder)));
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
  std::string range() const
  {
    if (!cells)
      return text("cuts_none");
    if (max < -100)
      return text("cuts_all_doubled", fmt::arg("cells", cells));
    if (min < -100)
      return text("cuts_range_doubled", fmt::arg("max", max), fmt::arg("cells", cells));
    return text("cuts_range", fmt::arg("min", min), fmt::arg("max", max), fmt::arg("cells", cells));
  }
};

double max_migrations_per_job(const StudySweep& d, const std::string& policy)
{
  double m = 0;
  for (const auto& x : d.xs)
    if (auto s = study_cell(d, policy, x, "migrations_per_job"); s.n > 0)
      m = std::max(m, s.mean);
  return m;
}

// What the lifetime policy did, for both studies' discussions.
std::string lifetime_note(const std::vector<const StudySweep*>& ds)
{
  double lm = 0;
  for (const StudySweep* d : ds)
    lm = std::max(lm, max_migrations_per_job(*d, "lifetime"));
  return fmt::format(" {}", text(lm >= 0.001 ? "lifetime_moved" : "lifetime_still", fmt::arg("per_job", lm)));
}

std::string hbd_section(const StudySweep& load, const StudySweep& cost)
{
  std::string md = "\n" + text("hbd_claim") + "\n\n";
  std::vector<std::pair<std::string, std::string>> cuts = {{"lifetime", "remote-exec"}, {"mosix", "remote-exec"}};
  md += text("hbd_delay_load") + "\n\n" + table(load, "job_delay_mean_s", cuts, {}) + sweep_notes(load);
  md += "\n" + text("hbd_delay_cost") + "\n\n" + table(cost, "job_delay_mean_s", cuts, {}) + sweep_notes(cost);
  md += "\n" + text("hbd_slowdown") + "\n\n" + table(load, "job_slowdown_mean", cuts, {});
  md += "\n" + text("hbd_figures") + "\n";
  GainRange life, mosix;
  for (const StudySweep* d : {&load, &cost})
    for (const auto& x : d->xs) {
      life.add(study_gain(*d, "lifetime", "remote-exec", x, "job_delay_mean_s"), 35, 50);
      mosix.add(study_gain(*d, "mosix", "remote-exec", x, "job_delay_mean_s"), 35, 50);
    }
  md += "\n" + text("hbd_verdict", fmt::arg("life", life.range()), fmt::arg("life_below", life.below),
                    fmt::arg("life_inside", life.inside), fmt::arg("life_above", life.above),
                    fmt::arg("mosix", mosix.range()), fmt::arg("mosix_below", mosix.below),
                    fmt::arg("mosix_inside", mosix.inside), fmt::arg("mosix_above", mosix.above));
  md += lifetime_note({&load, &cost});
  const std::string& top = load.xs.back();
  const std::string& dear = cost.xs.back();
  md += " " + text("hbd_placement", fmt::arg("top", top),
                   fmt::arg("cut", ci_text(study_gain(load, "remote-exec", "home only", top, "job_delay_mean_s"), 1)),
                   fmt::arg("mosix_delay", ci_text(study_cell(cost, "mosix", dear, "job_delay_mean_s"))),
                   fmt::arg("dear", dear),
                   fmt::arg("remote_delay", ci_text(study_cell(cost, "remote-exec", dear, "job_delay_mean_s"))));
  if (max_migrations_per_job(cost, "lifetime") >= 0.001 && cost.move_s.count("lifetime"))
    md += " " + text("hbd_lifetime_moves",
                     fmt::arg("move_s", cost.move_s.at("lifetime").count(dear) ? cost.move_s.at("lifetime").at(dear)
                                                                                : NaN),
                     fmt::arg("dear", dear),
                     fmt::arg("delay", ci_text(study_cell(cost, "lifetime", dear, "job_delay_mean_s"))));
  return md + "\n";
}

std::string elz_section(const StudySweep& d)
{
  const std::vector<std::string> placement = {"random", "least-loaded", "remote-exec"};
  std::string md = "\n" + text("elz_claim") + "\n\n";
  std::vector<std::pair<std::string, std::string>> gains = {
      {"mosix", ""}, {"mosix", "least-loaded"}, {"lifetime", ""}};
  md += text("elz_response") + "\n\n" + table(d, "job_response_mean_s", gains, placement) + sweep_notes(d);
  md += "\n" + text("elz_delay") + "\n\n" + table(d, "job_delay_mean_s", gains, placement);
  md += "\n" + text("elz_figures") + "\n";
  GainRange mosix, ll, life;
  for (const auto& x : d.xs) {
    std::string best = best_of(d, placement, x, "job_response_mean_s");
    mosix.add(study_gain(d, "mosix", best, x, "job_response_mean_s"), -1e9, 20);
    if (max_migrations_per_job(d, "lifetime") >= 0.001) // a lifetime that never moves is home only
      life.add(study_gain(d, "lifetime", best, x, "job_response_mean_s"), -1e9, 20);
    ll.add(study_gain(d, "mosix", "least-loaded", x, "job_response_mean_s"), -1e9, 20);
  }
  md += "\n" + text("elz_verdict", fmt::arg("mosix", mosix.range()), fmt::arg("mosix_above", mosix.above),
                    fmt::arg("life", life.range()), fmt::arg("life_above", life.above), fmt::arg("ll", ll.range()),
                    fmt::arg("ll_above", ll.above)) + " ";
  double top = std::max(mosix.max, life.max);
  md += text(mosix.above + life.above > 0 ? "elz_differ" : top < 0 ? "elz_agree_strongly" : "elz_agree") + " ";
  if (ll.above > 0)
    md += text("elz_repairs_much") + " ";
  else if (ll.max > 0)
    md += text("elz_repairs_some") + " ";
  md += text("elz_closing") + lifetime_note({&d});
  return md + "\n";
}

} // namespace

std::string studies_section(const StudySweep& load, const StudySweep& cost, const StudySweep& elz, bool figures)
{
  const auto& any = load.runs.empty() ? elz : load;
  int64_t seeds = 0;
  for (const auto& [p, xs] : any.runs)
    for (const auto& [x, s] : xs)
      seeds = std::max<int64_t>(seeds, static_cast<int64_t>(s.size()));
  std::string md = fmt::format("\n{}\n", text("intro", fmt::arg("mean_cpu_s", any.mean_cpu_s), fmt::arg("seeds", seeds)));
  if (!figures)
    md += "\n" + text("figures_failed") + "\n";
  return md + hbd_section(load, cost) + elz_section(elz);
}

} // namespace spritesim
