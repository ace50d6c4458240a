// The workload kinds a config can name and what each reads, SimGrid-free: the one table a new kind adds its row
// to (its simulated half is its entry in sim/workload_kinds.cpp). The kind is text only in JSON (configs, results).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spritesim {

/// What runs (docs/configs.md, workload.kind).
enum class WorkloadKind {
  PMAKE,     ///< one build replayed from a trace by pmake on workstation 0
  PROCESSES, ///< independent processes arriving at their homes, placed by the policy
  MIXED,     ///< pmake users (build sessions) and processes over a duration: the "day in the life"
};

/// The SimGrid-free description of one workload kind: its name and the config keys it reads.
struct WorkloadKindInfo {
  WorkloadKind kind;
  std::string_view name;              ///< its text in configs and resolved configs
  std::vector<std::string_view> keys; ///< the workload keys it reads besides kind and baseline; others are errors
  bool sequential_baseline = false;   ///< a sequential run on one host is defined (a speedup is reported)
  bool needs_duration = false;        ///< duration_s must be > 0
  std::vector<std::string_view> job_keys; ///< at least one of these must be given (empty: none needed)
};

/// Every workload kind, in the order configs list them.
inline const std::vector<WorkloadKindInfo>& workload_kinds()
{
  static const std::vector<WorkloadKindInfo> kinds = {
      {WorkloadKind::PMAKE,
       "pmake",
       {"trace", "max_jobs", "max_local", "migrate", "generator", "host_per_command", "local_first", "host_selection",
        "request_retry_s"},
       true,
       false,
       {}},
      {WorkloadKind::PROCESSES, "processes", {"duration_s", "processes", "script"}, false, true, {"processes", "script"}},
      {WorkloadKind::MIXED,
       "mixed",
       {"duration_s", "processes", "script", "builds"},
       false,
       true,
       {"processes", "script", "builds"}},
  };
  return kinds;
}

/// The description of `kind`.
const WorkloadKindInfo& workload_kind_info(WorkloadKind kind);

/// The kind's text in configs ("pmake").
std::string workload_kind_name(WorkloadKind kind);

/// The kind a config names, if any.
std::optional<WorkloadKind> find_workload_kind(std::string_view name);

/// Every kind's name, in table order.
std::vector<std::string> workload_kind_names();

/// Every key some kind reads, each once, in table order (the order configs are checked in).
std::vector<std::string_view> workload_kind_keys();

/// Names quoted and joined as a message lists alternatives: `"a", "b" or "c"`.
std::string quoted_alternatives(const std::vector<std::string_view>& names);

/// The kinds that read `key`, as a config error names them: `a "processes" or "mixed"`.
std::string kinds_reading(std::string_view key);

} // namespace spritesim
