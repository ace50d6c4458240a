// Trace statistics for `spritesim trace info` (see trace_stats.hpp).
#include "workloads/trace_stats.hpp"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "workloads/build_dag.hpp"

namespace spritesim {

TraceStats trace_stats(const BuildTrace& trace, const std::vector<int>& hosts, size_t top)
{
  TraceStats s;
  s.name = trace.name;
  s.jobs = static_cast<int64_t>(trace.jobs.size());
  s.tool_scan_cpu_s = trace.tool.scan_cpu_s;
  std::vector<double> cpu;
  cpu.reserve(trace.jobs.size());
  for (const TraceJob& j : trace.jobs) {
    cpu.push_back(j.cpu_s);
    s.total_cpu_s += j.cpu_s;
    s.lookups += j.lookups;
    s.bytes_read += j.bytes_read;
    s.bytes_written += j.bytes_written;
    (j.kind == "compile" ? s.compiles : j.kind == "link" ? s.links : s.commands) += 1;
  }
  BuildDag dag(trace, trace.name);
  for (size_t v : dag.critical_chain(cpu)) {
    s.critical_chain.push_back(trace.jobs[v].id);
    s.critical_path_s += cpu[v];
  }
  std::vector<size_t> level = dag.levels();
  std::vector<int64_t> per_level;
  for (size_t l : level) {
    if (l >= per_level.size())
      per_level.resize(l + 1, 0);
    ++per_level[l];
  }
  s.levels = static_cast<int64_t>(per_level.size());
  for (size_t l = 0; l < per_level.size(); ++l)
    if (per_level[l] > s.width) {
      s.width = per_level[l];
      s.width_level = static_cast<int64_t>(l);
    }
  // Work/span: with N hosts no schedule beats work/N, nor the critical path, so speedup <= min(N, work/span).
  for (int n : hosts)
    s.speedup_bound.emplace_back(
        n, s.critical_path_s > 0 ? std::min<double>(n, s.total_cpu_s / s.critical_path_s) : static_cast<double>(n));
  std::vector<size_t> order(trace.jobs.size());
  std::iota(order.begin(), order.end(), 0);
  size_t k = std::min(top, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&cpu](size_t a, size_t b) { return cpu[a] != cpu[b] ? cpu[a] > cpu[b] : a < b; });
  for (size_t i = 0; i < k; ++i)
    s.top_cpu.emplace_back(trace.jobs[order[i]].id, cpu[order[i]]);
  return s;
}

nlohmann::json to_json(const TraceStats& s)
{
  nlohmann::json bound = nlohmann::json::object();
  for (auto [n, b] : s.speedup_bound)
    bound[std::to_string(n)] = b;
  nlohmann::json top = nlohmann::json::array();
  for (const auto& [id, cpu] : s.top_cpu)
    top.push_back({{"id", id}, {"cpu_s", cpu}});
  return {
      {"name", s.name},
      {"jobs", s.jobs},
      {"jobs_by_kind", {{"compile", s.compiles}, {"link", s.links}, {"command", s.commands}}},
      {"total_cpu_s", s.total_cpu_s},
      {"critical_path_s", s.critical_path_s},
      {"critical_path_jobs", s.critical_chain},
      {"levels", s.levels},
      {"width", s.width},
      {"width_level", s.width_level},
      {"width_method", "most jobs on one level (longest-path depth); a lower bound on the largest antichain"},
      {"lookups", s.lookups},
      {"bytes_read", s.bytes_read},
      {"bytes_written", s.bytes_written},
      {"tool_scan_cpu_s", s.tool_scan_cpu_s},
      {"speedup_bound", bound},
      {"top_cpu", top},
  };
}

std::string format_trace_stats(const TraceStats& s)
{
  std::string out = fmt::format("jobs: {}\n", s.jobs);
  out += fmt::format("name: {}\n", s.name);
  out += fmt::format("kinds: {} compile, {} link, {} command\n", s.compiles, s.links, s.commands);
  out += fmt::format("total CPU: {:.3f} s\n", s.total_cpu_s);
  std::string chain = s.critical_chain.size() <= 6
                          ? fmt::format("{}", fmt::join(s.critical_chain, " -> "))
                          : fmt::format("{} -> ... ({} jobs) -> {}", s.critical_chain.front(),
                                        s.critical_chain.size() - 2, s.critical_chain.back());
  out += fmt::format("critical path: {:.3f} s CPU ({})\n", s.critical_path_s, chain);
  out += fmt::format("levels: {}\n", s.levels);
  out += fmt::format("width: {} (jobs on level {}; widest level of the longest-path layering)\n", s.width,
                     s.width_level);
  out += fmt::format("lookups: {}, bytes read: {}, bytes written: {}\n", s.lookups, s.bytes_read, s.bytes_written);
  out += fmt::format("make tool scan: {:.3f} s CPU (sequential, before any job; not in the bound)\n",
                     s.tool_scan_cpu_s);
  out += "speedup bound min(N, work/span):";
  for (auto [n, b] : s.speedup_bound)
    out += fmt::format(" N={}: {:.2f}", n, b);
  out += "\ntop jobs by CPU:\n";
  for (const auto& [id, cpu] : s.top_cpu)
    out += fmt::format("  {:>12.3f} s  {}\n", cpu, id);
  return out;
}

} // namespace spritesim
