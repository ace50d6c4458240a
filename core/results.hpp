// What a run produces, independent of the backend: per-job, per-migration and per-host records plus a summary,
// and the writer for results.json, jobs.csv, migrations.csv, hosts.csv (columns documented in docs/outputs.md).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace spritesim {

/// A run that broke one of the backend's invariants (a job lost or finished twice, CPU not conserved, a process left
/// waiting, an engine deadlock): its numbers are wrong, so nothing is written and the command exits with
/// EXIT_INVALID_RUN (docs/outputs.md "Exit status").
struct InvariantViolation : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Exit status of a run whose invariants were violated (distinct from bad input, 2).
constexpr int EXIT_INVALID_RUN = 3;

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

struct MigrationRecord {
  double time_s = 0;
  std::string job_id;
  /// "exec" (remote invocation), "evict" (sent home: owner returned, host revoked), "to-home" / "from-home" /
  /// "remote" (a policy's migration to, from or between remote hosts), "restart" (killed, rerun at home)
  std::string kind;
  std::string from_host;
  std::string to_host;
  double duration_s = 0;
  int64_t bytes = 0; ///< bytes moved on the wire by the migration itself
};

/// One host freed of its foreign processes: from the first eviction request to the last process gone.
struct EvictionRecord {
  double time_s = 0;
  std::string host;
  std::string reason; ///< "owner" (console input), "fairness" (revoked for another client), "policy"
  int64_t processes = 0;
  double duration_s = 0;
};

/// One policy decision the backend carried out (refused ones are counted, not listed).
struct DecisionRecord {
  double time_s = 0;
  std::string event; ///< the event that prompted it (host_request, owner_active, timer, ...)
  std::string kind;  ///< grant_host, revoke_host, place, migrate, evict, suspend, resume, restart, wake_at
  int64_t client = -1;
  std::string host;  ///< empty when none
  std::string process;
};

/// One console period of a workstation's owner as the run used it (from the owner trace or the stochastic model).
struct OwnerRecord {
  std::string host;
  double start_s = 0;
  double end_s = 0;
  double cpu_share = 0; ///< share of a CPU the owner's own processes used meanwhile
};

struct HostRecord {
  std::string host;
  std::string role; ///< "pmake", "workstation", "file_server", "network"
  double busy_s = 0;
  double utilization = 0; ///< busy_s / makespan_s
  int64_t jobs = 0;
};

struct RunResult {
  double makespan_s = 0;
  double baseline_makespan_s = 0; ///< sequential baseline (0 = none)
  std::vector<JobRecord> jobs;
  std::vector<MigrationRecord> migrations;
  std::vector<HostRecord> hosts;
  std::vector<EvictionRecord> evictions;
  std::vector<DecisionRecord> decisions;
  std::vector<OwnerRecord> owners; ///< console periods that began before the run ended
  nlohmann::json extra = nlohmann::json::object(); ///< backend-specific summary fields
};

/// The keys results.json may hold at its top level (docs/outputs.md), each with the keys it holds when it is an
/// object ("usage" lists its own; an empty list: not an object, or keys not fixed in advance).
const std::vector<std::pair<std::string, std::vector<std::string>>>& known_result_keys();

/// Why `dotted` (a sweep metric such as "utilization.network") cannot be a results.json key, or "" when it can.
std::string unknown_result_key(const std::string& dotted);

/// The summary object of results.json.
nlohmann::json results_json(const RunResult& r, uint64_t seed, const std::string& version);

/// Writes every output file atomically (evictions.csv, decisions.csv and owners.csv too) into dir; results.json goes last, so its presence marks a complete run.
void write_run_outputs(const std::string& dir, const RunResult& r, const nlohmann::json& resolved_config,
                       uint64_t seed, const std::string& version);

} // namespace spritesim
