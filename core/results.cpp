// Result files of a run (see results.hpp; columns in docs/outputs.md).
#include "core/results.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <type_traits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/output_files.hpp"

namespace spritesim {

// What owners paid for foreign work (owner_returns.csv) and how often hosts were evicted, per workstation-hour.
static void owner_summary(const RunResult& r, int64_t evictions, nlohmann::json& j)
{
  int64_t intruded = 0;
  double intrusion = 0, cpu = 0;
  bool cpu_known = true;
  for (const auto& o : r.owner_returns) {
    intruded += o.foreign_processes > 0;
    intrusion += o.intrusion_s;
    cpu_known = cpu_known && !std::isnan(o.foreign_cpu_s);
    cpu += std::isnan(o.foreign_cpu_s) ? 0 : o.foreign_cpu_s;
  }
  const auto returns = static_cast<int64_t>(r.owner_returns.size());
  j["owner_returns"] = returns;
  j["owner_intrusions"] = intruded;
  j["owner_intrusion_per_return_s"] = returns ? std::stod(fixed(intrusion / static_cast<double>(returns))) : 0.0;
  if (intruded)
    j["owner_intrusion_mean_s"] = std::stod(fixed(intrusion / static_cast<double>(intruded)));
  j["owner_foreign_cpu_s"] = cpu_known ? nlohmann::json(std::stod(fixed(cpu))) : nlohmann::json(nullptr);
  const auto workstations = std::count_if(r.hosts.begin(), r.hosts.end(), [](const HostRecord& h) {
    return h.role == "workstation" || h.role == "pmake";
  });
  const double host_hours = static_cast<double>(workstations) * r.makespan_s / 3600.0;
  j["evictions_per_host_hour"] =
      host_hours > 0 ? std::stod(fixed(static_cast<double>(evictions) / host_hours)) : 0.0;
}

nlohmann::json results_json(const RunResult& r, uint64_t seed, const std::string& version)
{
  int64_t completed = std::count_if(r.jobs.begin(), r.jobs.end(), [](const JobRecord& j) { return j.end_s > 0; });
  int64_t remote = std::count_if(r.jobs.begin(), r.jobs.end(), [](const JobRecord& j) { return j.remote; });
  std::map<MigrationKind, int64_t> kinds; // migrations.csv's rows by kind, counted once
  for (const auto& m : r.migrations)
    ++kinds[m.kind];
  auto count_kind = [&kinds](MigrationKind k) { return kinds[k]; };
  nlohmann::json j = {
      {"makespan_s", std::stod(fixed(r.makespan_s))},
      {"jobs_total", r.jobs.size()},
      {"jobs_completed", completed},
      {"remote_execs", count_kind(MigrationKind::EXEC)},
      {"remote_jobs", remote},
      {"migrations", count_kind(MigrationKind::EVICT) + count_kind(MigrationKind::TO_HOME) +
                         count_kind(MigrationKind::FROM_HOME) + count_kind(MigrationKind::REMOTE)},
      {"evictions", count_kind(MigrationKind::EVICT)},
      {"restarts", count_kind(MigrationKind::RESTART)},
      {"host_evictions", r.evictions.size()},
      {"seed", seed},
      {"spritesim_version", version},
  };
  // Per-job delay: time from ready to done beyond the job's own CPU (queueing, migration, contention).
  double response = 0, delay = 0, slowdown = 0;
  int64_t done = 0;
  for (const auto& jr : r.jobs) {
    if (jr.end_s <= 0)
      continue;
    double resp = jr.end_s - jr.ready_s;
    response += resp;
    delay += std::max(0.0, resp - jr.cpu_s);
    slowdown += jr.cpu_s > 0 ? resp / jr.cpu_s : 1;
    ++done;
  }
  if (done > 0) {
    j["job_response_mean_s"] = std::stod(fixed(response / static_cast<double>(done)));
    j["job_delay_mean_s"] = std::stod(fixed(delay / static_cast<double>(done)));
    j["job_slowdown_mean"] = std::stod(fixed(slowdown / static_cast<double>(done)));
  }
  if (!r.evictions.empty()) {
    double sum = 0;
    for (const auto& e : r.evictions)
      sum += e.duration_s;
    j["host_eviction_mean_s"] = std::stod(fixed(sum / static_cast<double>(r.evictions.size())));
  }
  owner_summary(r, count_kind(MigrationKind::EVICT), j);
  if (r.baseline_makespan_s > 0) {
    j["baseline_makespan_s"] = std::stod(fixed(r.baseline_makespan_s));
    j["speedup"] = std::stod(fixed(r.baseline_makespan_s / r.makespan_s));
  } else {
    j["speedup"] = nullptr;
  }
  for (auto it = r.extra.begin(); it != r.extra.end(); ++it)
    j[it.key()] = it.value();
  return j;
}

const std::vector<std::pair<std::string, std::vector<std::string>>>& known_result_keys()
{
  static const std::vector<std::pair<std::string, std::vector<std::string>>> keys = {
      {"makespan_s", {}}, {"baseline_makespan_s", {}}, {"speedup", {}}, {"jobs_total", {}}, {"jobs_completed", {}},
      {"remote_execs", {}}, {"remote_jobs", {}}, {"migrations", {}}, {"evictions", {}}, {"restarts", {}},
      {"host_evictions", {}}, {"host_eviction_mean_s", {}}, {"job_response_mean_s", {}}, {"job_delay_mean_s", {}},
      {"job_slowdown_mean", {}}, {"policy_decisions", {}}, {"build_sessions", {}}, {"processes", {}}, {"seed", {}},
      {"spritesim_version", {}}, {"trace", {}}, {"scan_s", {}}, {"migd_requests", {}}, {"owner_returns", {}},
      {"owner_intrusions", {}}, {"owner_intrusion_per_return_s", {}}, {"owner_intrusion_mean_s", {}},
      {"owner_foreign_cpu_s", {}}, {"evictions_per_host_hour", {}}, {"restart_lost_cpu_s", {}}, {"hosts_lost", {}},
      {"build_lost_host", {}},
      {"utilization", {"pmake_host", "file_server", "compile_hosts_mean", "network"}},
      {"usage",
       {"host_hours", "migrations_per_host_hour", "evictions_per_host_hour", "remote_cpu_share",
        "cluster_cpu_utilization", "host_requests", "requests_fully_satisfied_share", "requests_none_share",
        "builds_fully_satisfied_share", "builds_no_host_share", "builds_hosts_wanted_mean",
        "builds_hosts_obtained_mean", "hold_time_mean_s", "revoked_owner", "revoked_fairness",
        "host_evictions_owner", "host_evictions_fairness", "host_eviction_mean_s", "idle_share_weekday",
        "idle_share_offhours", "idle_share_total", "idle_to_active_per_host_hour", "rejected_decisions"}}};
  return keys;
}

std::string unknown_result_key(const std::string& dotted)
{
  size_t dot = dotted.find('.');
  std::string top = dotted.substr(0, dot);
  std::vector<std::string> names;
  for (const auto& [key, children] : known_result_keys()) {
    names.push_back(key);
    if (key != top)
      continue;
    if (dot == std::string::npos)
      return "";
    if (children.empty())
      return fmt::format("\"{}\" holds a number or a string, not keys", top);
    std::string sub = dotted.substr(dot + 1, dotted.find('.', dot + 1) - dot - 1);
    if (std::find(children.begin(), children.end(), sub) != children.end())
      return "";
    return fmt::format("\"{}\" has no key \"{}\" (known: {})", top, sub, fmt::join(children, ", "));
  }
  return fmt::format("results.json has no key \"{}\" (known: {}; docs/outputs.md)", top, fmt::join(names, ", "));
}

std::vector<std::pair<std::string, std::vector<std::string>>> csv_files()
{
  std::vector<std::pair<std::string, std::vector<std::string>>> files;
  RunResult().for_each_table([&](const auto& rows) {
    using Record = typename std::decay_t<decltype(rows)>::value_type;
    files.emplace_back(record_table<Record>().file, csv_columns<Record>());
  });
  return files;
}

void write_run_outputs(const std::string& dir, const RunResult& r, const nlohmann::json& resolved_config,
                       uint64_t seed, const std::string& version, Durability durability)
{
  make_directories(dir);
  std::remove((dir + "/results.json").c_str()); // the directory must not look complete while it is rewritten
  r.for_each_table([&](const auto& rows) {
    using Record = typename std::decay_t<decltype(rows)>::value_type;
    AtomicFile csv(dir + "/" + record_table<Record>().file, 0644, durability); // streamed: no copy in memory
    csv_lines(rows, [&](const std::string& line) { csv.write(line); });
    csv.commit();
  });
  write_file_atomic(dir + "/config.resolved.json", resolved_config.dump(2) + "\n", 0644, durability);
  write_file_atomic(dir + "/results.json", results_json(r, seed, version).dump(2) + "\n", 0644, durability);
}

std::string exit_status_meaning(int code)
{
  switch (code) {
  case 0:
    return "success";
  case EXIT_RUN_FAILED:
    return "run failed: failed runs in a sweep or reproduce, or a system error (a file not written, a program not "
           "started)";
  case EXIT_USAGE:
    return "usage: the command line is wrong";
  case EXIT_INVALID_RUN:
    return "invalid run: the simulation broke its invariants, its numbers would be wrong";
  case EXIT_BAD_INPUT:
    return "bad input: a config, sweep, trace, profile, owner trace or platform file refused";
  case EXIT_INTERNAL_ERROR:
    return "internal error: a bug in spritesim, please report it";
  default:
    return code > 128 && code < 128 + 65 ? fmt::format("killed by signal {} ({})", code - 128, strsignal(code - 128))
                                          : "";
  }
}

} // namespace spritesim
