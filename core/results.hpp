// What a run produces, independent of the backend: per-job, per-migration and per-host records, each with its field
// table (record_fields.hpp: its CSV's columns, docs/outputs.md), plus a summary, and the writer of the run's files.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/output_files.hpp"
#include "core/record_fields.hpp"
#include "core/vocabulary.hpp"

namespace spritesim {

/// A run that broke one of the backend's invariants (a job lost or finished twice, CPU not conserved, a process left
/// waiting, an engine deadlock): its numbers are wrong, so nothing is written and the command exits with
/// EXIT_INVALID_RUN (docs/outputs.md "Exit status").
struct InvariantViolation : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The exit statuses of every spritesim command, one definition (docs/outputs.md "Exit status", `spritesim --help`,
/// the sweep's account of a failed run). 0 is success; 128+N, killed by signal N; `rexec` and `make` pass their
/// command's status through.
constexpr int EXIT_RUN_FAILED = 1;     ///< runs of a sweep or reproduce failed, or a system error (a file not written)
constexpr int EXIT_USAGE = 2;          ///< the command line is wrong (UsageError)
constexpr int EXIT_INVALID_RUN = 3;    ///< the run broke its invariants (InvariantViolation)
constexpr int EXIT_BAD_INPUT = 4;      ///< a config, sweep, trace, profile, owner trace or platform refused (InputError)
constexpr int EXIT_INTERNAL_ERROR = 5; ///< a bug: std::logic_error or anything unexpected

/// What an exit status means, one phrase ("bad input: ..."), for 0 to 5 and 128+N; "" for any other status.
std::string exit_status_meaning(int code);

struct JobRecord {
  std::string id;
  std::string kind;
  std::string home_host;
  std::string exec_host;
  double ready_s = 0;  ///< all dependencies done
  double start_s = 0;  ///< the make tool started it (after host selection)
  double end_s = 0;    ///< its exit was reaped at home
  double cpu_s = 0;    ///< CPU seconds it used where it ran (reference work scaled to that host)
  bool remote = false;
  int64_t lookups = 0;
};
template <>
inline const RecordTable<JobRecord>& record_table<JobRecord>()
{
  static const RecordTable<JobRecord> table{"jobs.csv", "job", {
      field<&JobRecord::id>("job_id", {.journal = Journal::REQUIRED, .key = "id"}),
      field<&JobRecord::kind>("kind"),
      field<&JobRecord::home_host>("home_host", {.journal = Journal::REQUIRED}),
      field<&JobRecord::exec_host>("exec_host", {.journal = Journal::REQUIRED}),
      field<&JobRecord::ready_s>("ready_s"),
      field<&JobRecord::start_s>("start_s", {.journal = Journal::REQUIRED}),
      field<&JobRecord::end_s>("end_s", {.journal = Journal::REQUIRED}),
      field<&JobRecord::cpu_s>("cpu_s", {.journal = Journal::OPTIONAL}),
      field<&JobRecord::remote>("remote", {.journal = Journal::OPTIONAL}),
      field<&JobRecord::lookups>("lookups"),
  }};
  return table;
}

struct MigrationRecord {
  double time_s = 0;
  std::string job_id;
  MigrationKind kind = MigrationKind::EXEC;
  std::string from_host;
  std::string to_host;
  double duration_s = 0;
  int64_t bytes = 0; ///< bytes moved on the wire by the migration itself
};
template <>
inline const RecordTable<MigrationRecord>& record_table<MigrationRecord>()
{
  static const RecordTable<MigrationRecord> table{"migrations.csv", "migration", {
      field<&MigrationRecord::time_s>("time_s", {.journal = Journal::REQUIRED}),
      field<&MigrationRecord::job_id>("job_id", {.journal = Journal::REQUIRED}),
      field<&MigrationRecord::kind>("kind", {.journal = Journal::REQUIRED}),
      field<&MigrationRecord::from_host>("from_host", {.journal = Journal::REQUIRED}),
      field<&MigrationRecord::to_host>("to_host", {.journal = Journal::REQUIRED}),
      field<&MigrationRecord::duration_s>("duration_s"),
      field<&MigrationRecord::bytes>("bytes"),
  }};
  return table;
}

/// One host freed of its foreign processes: from the first eviction request to the last process gone.
struct EvictionRecord {
  double time_s = 0;
  std::string host;
  EvictionReason reason = EvictionReason::OWNER;
  int64_t processes = 0;
  double duration_s = 0;
};
template <>
inline const RecordTable<EvictionRecord>& record_table<EvictionRecord>()
{
  static const RecordTable<EvictionRecord> table{"evictions.csv", "eviction", {
      field<&EvictionRecord::time_s>("time_s", {.journal = Journal::REQUIRED}),
      field<&EvictionRecord::host>("host", {.journal = Journal::REQUIRED}),
      field<&EvictionRecord::reason>("reason", {.journal = Journal::REQUIRED}),
      field<&EvictionRecord::processes>("processes", {.journal = Journal::REQUIRED}),
      field<&EvictionRecord::duration_s>("duration_s", {.journal = Journal::REQUIRED}),
  }};
  return table;
}

/// One policy decision the backend carried out (refused ones are counted, not listed).
struct DecisionRecord {
  double time_s = 0;
  EventKind event = EventKind::HOST_REQUEST; ///< the event that prompted it
  RecordedKind kind = RecordedKind::GRANT_HOST;
  int64_t client = -1;
  std::string host;  ///< empty when none
  std::string process;
};
template <>
inline const RecordTable<DecisionRecord>& record_table<DecisionRecord>()
{
  static const RecordTable<DecisionRecord> table{"decisions.csv", "decision", {
      field<&DecisionRecord::time_s>("time_s", {.journal = Journal::REQUIRED}),
      field<&DecisionRecord::event>("event", {.journal = Journal::REQUIRED}),
      field<&DecisionRecord::kind>("kind", {.journal = Journal::REQUIRED}),
      field<&DecisionRecord::client>("client", {.journal = Journal::REQUIRED, .min = -1}),
      field<&DecisionRecord::host>("host", {.journal = Journal::OPTIONAL}),
      field<&DecisionRecord::process>("process", {.journal = Journal::OPTIONAL}),
  }};
  return table;
}

/// One console period of a workstation's owner as the run used it (from the owner trace or the stochastic model).
struct OwnerRecord {
  std::string host;
  double start_s = 0;
  double end_s = 0;
  double cpu_share = 0; ///< share of a CPU the owner's own processes used meanwhile
};
template <>
inline const RecordTable<OwnerRecord>& record_table<OwnerRecord>()
{
  static const RecordTable<OwnerRecord> table{"owners.csv", nullptr, {
      field<&OwnerRecord::host>("host"),
      field<&OwnerRecord::start_s>("start_s"),
      field<&OwnerRecord::end_s>("end_s"),
      field<&OwnerRecord::cpu_share>("cpu_share"),
  }};
  return table;
}

/// One return of a workstation's owner (console input after a console-free spell) and what foreign work cost them.
struct OwnerReturnRecord {
  double time_s = 0;          ///< the owner's first input
  std::string host;
  int64_t foreign_processes = 0; ///< foreign processes on the host then (running, suspended or moving)
  double intrusion_s = 0;     ///< until the last of them was gone from the host (0 when none was there)
  double foreign_cpu_s = 0;   ///< CPU foreign processes used on the host while the owner was active (NaN: unknown)
  double active_s = 0;        ///< the owner's console period, first input to last
  bool censored = false;      ///< the run ended before the owner left or before the host was freed
};
template <>
inline const RecordTable<OwnerReturnRecord>& record_table<OwnerReturnRecord>()
{
  static const RecordTable<OwnerReturnRecord> table{"owner_returns.csv", nullptr, {
      field<&OwnerReturnRecord::time_s>("time_s"),
      field<&OwnerReturnRecord::host>("host"),
      field<&OwnerReturnRecord::foreign_processes>("foreign_processes"),
      field<&OwnerReturnRecord::intrusion_s>("intrusion_s"),
      field<&OwnerReturnRecord::foreign_cpu_s>("foreign_cpu_s"),
      field<&OwnerReturnRecord::active_s>("active_s"),
      field<&OwnerReturnRecord::censored>("censored"),
  }};
  return table;
}

struct HostRecord {
  std::string host;
  std::string role; ///< "pmake", "workstation", "file_server", "network"
  double busy_s = 0;
  double utilization = 0; ///< busy_s / makespan_s
  int64_t jobs = 0;
  // Last, so that a brace list of the fields above leaves them empty (a 0 must not initialize a string).
  std::string group;        ///< the workstation's group (platform.groups; "ws" without groups); empty otherwise
  std::string architecture; ///< the workstation's group's architecture; empty otherwise
};
template <>
inline const RecordTable<HostRecord>& record_table<HostRecord>()
{
  static const RecordTable<HostRecord> table{"hosts.csv", nullptr, {
      field<&HostRecord::host>("host"),
      field<&HostRecord::role>("role"),
      field<&HostRecord::group>("group"),
      field<&HostRecord::architecture>("architecture"),
      field<&HostRecord::busy_s>("busy_s"),
      field<&HostRecord::utilization>("utilization"),
      field<&HostRecord::jobs>("jobs"),
  }};
  return table;
}

/// CPU busy seconds of one host (workstation or file server) in one interval of simulated time, by whose work it
/// was (utilization.csv). Work that spans intervals is spread evenly over its wall-clock time.
struct UtilizationRecord {
  std::string host;
  double start_s = 0;   ///< the interval's start (a multiple of UTILIZATION_INTERVAL_S)
  double busy_s = 0;    ///< owner_s + foreign_s + home_s + system_s
  double owner_s = 0;   ///< the owner's own processes (owner model)
  double foreign_s = 0; ///< processes away from their home host
  double home_s = 0;    ///< processes on their home host
  double system_s = 0;  ///< the cost model's kernel and daemon work: migrations, RPCs, file service, pmake
};
/// utilization.csv's interval: one hour of simulated time.
constexpr double UTILIZATION_INTERVAL_S = 3600.0;
template <>
inline const RecordTable<UtilizationRecord>& record_table<UtilizationRecord>()
{
  static const RecordTable<UtilizationRecord> table{"utilization.csv", nullptr, {
      field<&UtilizationRecord::host>("host"),
      field<&UtilizationRecord::start_s>("start_s"),
      field<&UtilizationRecord::busy_s>("busy_s"),
      field<&UtilizationRecord::owner_s>("owner_s"),
      field<&UtilizationRecord::foreign_s>("foreign_s"),
      field<&UtilizationRecord::home_s>("home_s"),
      field<&UtilizationRecord::system_s>("system_s"),
  }};
  return table;
}

/// One build session of a mixed workload (a pmake started from its home): how many remote hosts it could use and
/// how many it held at once (builds.csv; TH90 8.5.2 counts the same per requesting process).
struct BuildRecord {
  int64_t client = 0; ///< decisions.csv's client
  std::string home_host;
  double start_s = 0;
  double end_s = 0; ///< its last job reaped
  int64_t jobs = 0;
  int64_t hosts_wanted = 0;   ///< remote hosts it could use at once: min(its request, its jobs)
  int64_t hosts_obtained = 0; ///< most remote hosts it held at once
};
template <>
inline const RecordTable<BuildRecord>& record_table<BuildRecord>()
{
  static const RecordTable<BuildRecord> table{"builds.csv", nullptr, {
      field<&BuildRecord::client>("client"),
      field<&BuildRecord::home_host>("home_host"),
      field<&BuildRecord::start_s>("start_s"),
      field<&BuildRecord::end_s>("end_s"),
      field<&BuildRecord::jobs>("jobs"),
      field<&BuildRecord::hosts_wanted>("hosts_wanted"),
      field<&BuildRecord::hosts_obtained>("hosts_obtained"),
  }};
  return table;
}

struct RunResult {
  double makespan_s = 0;
  double baseline_makespan_s = 0; ///< sequential baseline (0 = none)
  std::vector<JobRecord> jobs;
  std::vector<MigrationRecord> migrations;
  std::vector<HostRecord> hosts;
  std::vector<EvictionRecord> evictions;
  std::vector<DecisionRecord> decisions;
  std::vector<OwnerRecord> owners; ///< console periods that began before the run ended
  std::vector<OwnerReturnRecord> owner_returns;
  std::vector<UtilizationRecord> utilization; ///< simulator: every host and interval of the run
  std::vector<BuildRecord> builds;            ///< mixed workloads: one per build session
  nlohmann::json extra = nlohmann::json::object(); ///< backend-specific summary fields
  /// Calls `f(rows)` with each list of records that fills a CSV (each file: record_table of its type).
  template <typename F>
  void for_each_table(F&& f) const
  {
    f(jobs), f(migrations), f(hosts), f(evictions), f(decisions), f(owners), f(owner_returns);
    f(utilization), f(builds);
  }
};

/// Each CSV of a run with its columns, in for_each_table's order (`spritesim outputs --columns`).
std::vector<std::pair<std::string, std::vector<std::string>>> csv_files();

/// The keys results.json may hold at its top level (docs/outputs.md), each with the keys it holds when it is an
/// object ("usage" lists its own; an empty list: not an object, or keys not fixed in advance).
const std::vector<std::pair<std::string, std::vector<std::string>>>& known_result_keys();

/// Why `dotted` (a sweep metric such as "utilization.network") cannot be a results.json key, or "" when it can.
std::string unknown_result_key(const std::string& dotted);

/// The summary object of results.json.
nlohmann::json results_json(const RunResult& r, uint64_t seed, const std::string& version);

/// Writes every output file atomically (each CSV of for_each_table) into dir; results.json goes last, so its presence marks a complete run.
void write_run_outputs(const std::string& dir, const RunResult& r, const nlohmann::json& resolved_config,
                       uint64_t seed, const std::string& version, Durability durability = Durability::SYNCED);

} // namespace spritesim
