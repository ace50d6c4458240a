// The "day in the life" report section (see day_report.hpp). Published values and their sources are listed here
// once; what each simulated figure includes, and why it differs, is in docs/day-in-the-life.md.
#include "experiments/day_report.hpp"

#include <cmath>
#include <cstdint>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json_reader.hpp"

namespace spritesim {

namespace {

struct Row {
  const char* what;
  const char* key; ///< in results.json's "usage", or "migrations_per_host_hour.KIND"
  double published;
  const char* unit; ///< "%" multiplies shares by 100
  const char* source;
  const char* note;
};

const Row ROWS[] = {
    {"exec-time migrations per host-hour", "migrations_per_host_hour.exec", 1.76, "", "TH90 Table 8.2",
     "an input more than a prediction: build sessions are derived from TH90 8.5.2's request counts"},
    {"eviction migrations per host-hour", "evictions_per_host_hour", 0.12, "", "TH90 Table 8.2; SPE91 p.23", ""},
    {"voluntary migrations remote -> home per host-hour", "migrations_per_host_hour.to-home", 0.13, "",
     "TH90 Table 8.2", "not modelled: no simulated process goes home of its own accord"},
    {"voluntary migrations home -> remote per host-hour", "migrations_per_host_hour.from-home", 0.04, "",
     "TH90 Table 8.2", "not modelled: pmake does not remigrate evicted jobs"},
    {"share of CPU run remotely", "remote_cpu_share", 0.3108, "%", "SPE91 Table 4 / TH90 Table 8.1", ""},
    {"cluster CPU utilization", "cluster_cpu_utilization", 0.023, "%", "TH90 8.1 / 9.3", ""},
    {"hosts idle, weekdays 9-17", "idle_share_weekday", 0.66, "%", "TH90 Table 8.5 / SPE91 Table 5",
     "an input: the owner model is calibrated on it"},
    {"hosts idle, off-hours", "idle_share_offhours", 0.78, "%", "TH90 Table 8.5 / SPE91 Table 5", "an input"},
    {"hosts idle, overall", "idle_share_total", 0.75, "%", "TH90 Table 8.5 / SPE91 Table 5", "an input"},
    {"builds that got every host they asked for", "builds_fully_satisfied_share", 0.86, "%",
     "TH90 8.5.2, Fig. 8.1 (per requesting process)",
     "counted per build; a build of N >= 2 jobs is N - 1 compiles and a link, so it never holds N hosts at once: "
     "only 1-host builds can count (month-requests.png)"},
    {"builds that got no host", "builds_no_host_share", 0.02, "%", "TH90 8.5.2", ""},
    {"hosts wanted per build, mean", "builds_hosts_wanted_mean", 2.6, "", "TH90 8.5.2 (largest request)",
     "an input (request sizes)"},
    {"hosts obtained per build, mean", "builds_hosts_obtained_mean", 1.8, "", "TH90 8.5.2", ""},
    {"host hold time, mean (s)", "hold_time_mean_s", 62, "", "TH90 Table 8.6", ""},
    {"time to free a host on eviction (s)", "host_eviction_mean_s", 3.44, "", "TH90 8.3 (SPE91: 3.0)",
     "a field figure with RPC tracing on and busy servers"},
};

double lookup(const nlohmann::json& usage, const std::string& key)
{
  auto dot = key.find('.');
  const nlohmann::json* node = &usage;
  std::string leaf = key;
  if (dot != std::string::npos) {
    auto it = usage.find(key.substr(0, dot));
    if (it == usage.end())
      return NAN;
    node = &*it;
    leaf = key.substr(dot + 1);
  }
  auto it = node->find(leaf);
  return it == node->end() ? 0.0 : it->get<double>();
}

std::string show(double v, const char* unit)
{
  if (std::isnan(v))
    return "n/a";
  return std::string(unit) == "%" ? fmt::format("{:.1f}%", 100 * v) : fmt::format("{:.3g}", v);
}

} // namespace

std::string day_in_the_life_section(const std::string& run_dir, const std::string& rel_dir)
{
  nlohmann::json r = parse_json_text(read_text_file(run_dir + "/results.json"), run_dir + "/results.json");
  const nlohmann::json& u = r.at("usage");
  nlohmann::json cfg =
      parse_json_text(read_text_file(run_dir + "/config.resolved.json"), run_dir + "/config.resolved.json");
  std::string md = fmt::format(
      "\n## A month in the life of the cluster\n\n"
      "Experiment `{}`: {} workstations with stochastic owners, {} pmake sessions and {} long simulations over {} "
      "host-hours, Sprite's policy (run in `{}`). Published values are TH90's one-month (Aug-Sep 1990) and "
      "13-month logs; docs/day-in-the-life.md explains each input and gap.\n\n"
      "| measure | simulated | published | source | note |\n|---|---|---|---|---|\n",
      DAY_IN_THE_LIFE_CONFIG, cfg.at("platform").at("workstations").get<int64_t>(), r.value("build_sessions", 0), r.value("processes", 0), u.at("host_hours").get<double>(), rel_dir);
  for (const Row& row : ROWS)
    md += fmt::format("| {} | {} | {} | {} | {} |\n", row.what, show(lookup(u, row.key), row.unit),
                      show(row.published, row.unit), row.source, row.note);
  md += fmt::format("\nHosts revoked because the owner returned: {}; reclaimed for fairness: {} (TH90 Table 8.6: "
                    "700 and 760 of 130,000 assignments). Evictions freed {} hosts.\n",
                    u.at("revoked_owner").get<int64_t>(), u.at("revoked_fairness").get<int64_t>(),
                    u.at("host_evictions_owner").get<int64_t>() + u.at("host_evictions_fairness").get<int64_t>());
  md += fmt::format(
      "\n### Figures beside TH90 chapter 8\n\n"
      "TH90 gives chapter 8's measures as tables and means; where it gives no curve, each figure draws the published "
      "summary and says so (compare shape only).\n\n"
      "| figure | compare with |\n|---|---|\n"
      "| [idle hosts by hour of the week]({0}/month-idle-hosts.png) | TH90 Table 8.5 (weekday and off-hours idle "
      "shares), SPE91 Table 5 (hosts in use for migration) |\n"
      "| [utilization over the month, per host]({0}/month-utilization.png) | TH90 8.1 / 9.3 (2.3% month mean); no "
      "time series published |\n"
      "| [hold times, time to free a host, processes per eviction]({0}/month-holds-evictions.png) | TH90 Table 8.6 "
      "(mean hold 62 s), TH90 8.3 / SPE91 p.23 (3.44 s / 3.0 s, 3.26 processes) |\n"
      "| [requests satisfied by hosts wanted]({0}/month-requests.png) | TH90 Fig. 8.1 and 8.5.2 (86% got every "
      "host, 98% at least one) |\n\n"
      "![idle hosts by hour of the week]({0}/month-idle-hosts.png)\n\n"
      "![utilization over the month]({0}/month-utilization.png)\n\n"
      "![hold and eviction times]({0}/month-holds-evictions.png)\n\n"
      "![requests satisfied]({0}/month-requests.png)\n",
      rel_dir);
  return md;
}

} // namespace spritesim
