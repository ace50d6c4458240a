// The usage summary of a population workload (see usage_summary.hpp), from the run's records and migd's counts.
#include "sim/usage_summary.hpp"

#include <algorithm>
#include <map>

#include "sim/sim_workload.hpp"

namespace spritesim {

// What TH90 Tables 8.2, 8.5 and 8.6 report, from this run's records (docs/outputs.md "usage").
nlohmann::json usage_summary(const Cluster& cluster, const GlobalMigd& migd, const RunResult& r,
                             const std::vector<std::vector<OwnerPeriod>>& owners, double duration_s, double week_start)
{
  double host_hours = duration_s / 3600.0 * cluster.workstations();
  std::map<MigrationKind, int64_t> kinds;
  for (const auto& m : r.migrations)
    ++kinds[m.kind];
  nlohmann::json per_hour = nlohmann::json::object();
  for (const auto& [k, n] : kinds)
    per_hour[to_string(k)] = rounded(static_cast<double>(n) / host_hours);
  double cpu = 0;
  for (int h = 0; h < cluster.workstations(); ++h)
    cpu += cluster.busy_s(h);
  const auto& st = migd.stats();
  OwnerStats os = owner_stats(owners, duration_s, week_start);
  int64_t owner_evictions = 0, fairness = 0;
  double evict_s = 0;
  for (const auto& e : r.evictions) {
    (e.reason == EvictionReason::FAIRNESS ? fairness : owner_evictions) += 1;
    evict_s += e.duration_s;
  }
  return {
      {"host_hours", rounded(host_hours, 1)},
      {"migrations_per_host_hour", per_hour},
      {"evictions_per_host_hour", rounded(static_cast<double>(kinds[MigrationKind::EVICT]) / host_hours)},
      {"remote_cpu_share", cpu > 0 ? rounded(migd.remote_cpu_s() / cpu) : 0.0},
      // Over the run's length: processes may run past duration_s, and the CPU counted is the whole run's.
      {"cluster_cpu_utilization", rounded(cpu / (std::max(duration_s, r.makespan_s) * cluster.workstations()))},
      {"host_requests", st.requests},
      {"requests_fully_satisfied_share",
       st.requests ? rounded(static_cast<double>(st.requests_satisfied) / static_cast<double>(st.requests)) : 0.0},
      {"requests_none_share",
       st.requests ? rounded(static_cast<double>(st.requests - st.requests_satisfied - st.requests_partial) /
                             static_cast<double>(st.requests))
                   : 0.0},
      {"hold_time_mean_s", st.holds ? rounded(st.hold_s_total / static_cast<double>(st.holds), 2) : 0.0},
      {"revoked_owner", st.revoked_owner},
      {"revoked_fairness", st.revoked_fairness},
      {"host_evictions_owner", owner_evictions},
      {"host_evictions_fairness", fairness},
      {"host_eviction_mean_s", r.evictions.empty() ? 0.0 : rounded(evict_s / static_cast<double>(r.evictions.size()))},
      {"idle_share_weekday", rounded(os.weekday_idle_share)},
      {"idle_share_offhours", rounded(os.offhours_idle_share)},
      {"idle_share_total", rounded(os.total_idle_share)},
      {"idle_to_active_per_host_hour", rounded(os.idle_to_active_per_hour)},
      {"rejected_decisions", st.rejected}};
}

} // namespace spritesim
