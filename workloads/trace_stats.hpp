// What a trace's DAG allows, before any simulation: total work, the CPU-weighted critical path, the widest level,
// and the work/span bound on speedup (`spritesim trace info`). Computed on the Boost.Graph DAG of build_dag.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "workloads/trace.hpp"

namespace spritesim {

struct TraceStats {
  std::string name;
  int64_t jobs = 0;
  int64_t compiles = 0, links = 0, commands = 0;  ///< jobs by kind
  double total_cpu_s = 0;                         ///< work: sum of the jobs' cpu_s (the make tool's own excluded)
  double critical_path_s = 0;                     ///< span: heaviest dependency chain by cpu_s
  std::vector<std::string> critical_chain;        ///< its jobs, first to last
  int64_t levels = 0;                             ///< longest chain counted in jobs
  int64_t width = 0;                              ///< jobs on the most populated level (an antichain)
  int64_t width_level = 0;                        ///< that level (0 = jobs without dependencies)
  int64_t lookups = 0, bytes_read = 0, bytes_written = 0;
  double tool_scan_cpu_s = 0;                     ///< the make tool's scan, sequential before any job
  std::vector<std::pair<int, double>> speedup_bound; ///< hosts N -> min(N, work/span)
  std::vector<std::pair<std::string, double>> top_cpu; ///< the heaviest jobs (id, cpu_s), heaviest first
};

/// Computes the statistics; `hosts` are the N of the speedup bound, `top` how many heaviest jobs to list.
/// Width is by level: level(j) = 0 without dependencies, else 1 + the highest level of its dependencies; jobs of
/// one level are mutually independent, so the width is a lower bound on the largest antichain.
TraceStats trace_stats(const BuildTrace& trace, const std::vector<int>& hosts = {1, 2, 4, 8, 12, 16},
                       size_t top = 10);

nlohmann::json to_json(const TraceStats& s);
/// Human-readable summary; its first line is "jobs: N" (scripts grep for it).
std::string format_trace_stats(const TraceStats& s);

} // namespace spritesim
