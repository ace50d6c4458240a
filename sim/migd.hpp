// The simulator's backend for the policy boundary: Sprite's global migd plus the bookkeeping the kernel and the
// per-host daemons do. It keeps host states (owners, load averages, availability, grants), the table of processes
// that may move, builds ClusterViews, asks the configured policy, carries out its decisions (grants, revocations,
// placements, migrations, evictions, suspensions, restarts, timers) and records what happened. Costs of talking to
// migd are charged by the callers from the cost model (TH90 Table 7.1).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/results.hpp"
#include "models/idle_rule.hpp"
#include "models/load_average.hpp"
#include "models/owner_activity.hpp"
#include "policy/policy.hpp"
#include "sim/cluster.hpp"
#include "sim/process.hpp"
#include "sim/run_audit.hpp"

namespace spritesim {

struct MigdOptions {
  IdleRule idle_rule;
  bool direct_remote_moves = false; ///< Sprite moves remote -> remote through home (TH90 8.4); true: directly
  bool demand_paging = true;        ///< migrated processes page their dirty pages back in on the target
  bool processes_migratable = true; ///< what the view tells policies about running processes
};

/// One workstation's state as its per-host daemon and the global migd see it.
struct HostState {
  bool up = true;
  bool owner_active = false;
  double last_input_s = -1e18; ///< end of the owner's last console period (never: far past)
  bool available = true;
  double idle_since_s = 0;
  int holder = -1;
  double grant_time_s = 0;
  LoadAverages load;          ///< every runnable process
  LoadAverages load_local;    ///< without foreign processes (compared with the high thresholds)
  int foreign = 0;
  std::vector<OwnerPeriod> owner; ///< the owner's console periods, sorted
  sg4::ConditionVariablePtr changed; ///< wakes the host's daemon
  /// An eviction in progress: when it started, why, and how many processes it moves.
  double evict_start_s = -1;
  std::string evict_reason;
  int evict_processes = 0;
  int evict_pending = 0;
};

class GlobalMigd {
public:
  GlobalMigd(Cluster& cluster, std::unique_ptr<Policy> policy, MigdOptions options);
  ~GlobalMigd();

  // --- clients (pmake) ---
  /// `on_revoke(host)` is called when migd takes a host back from the client (owner returned, fairness).
  void register_client(int client, std::function<void(int host)> on_revoke);
  /// Up to `count` hosts for `client` (never its home); may return fewer, or none.
  std::vector<int> request(int client, int home, int count);
  void release(int client, int host);
  void release_all(int client);

  // --- processes ---
  SimProcess& create_process(const std::string& name, int client, int home, ProcessFootprint footprint);
  /// Asks the policy where a freshly exec'd process runs (PROCESS_ARRIVED); home when it does not say.
  int place(SimProcess& proc);
  /// The process exited; it is forgotten. `expected_work`: the reference instructions the workload asked of it
  /// (checked against what it computed; negative: not checked).
  void exited(SimProcess& proc, double expected_work = -1);
  /// The processes not exited yet, by name, with their state and host ("SUSPENDED on ws03").
  std::map<std::string, std::string> live_processes() const;
  /// The run's invariant checks (run_audit.hpp); migd records what it sees (CPU not conserved).
  RunAudit& audit() { return audit_; }
  /// Called by SimProcess on any change of host or state (`old_host` is where it was before, or -1).
  void process_changed(const SimProcess& proc, int old_host);
  /// A move ended: its record, the source's eviction if it was one, and MIGRATION_DONE.
  void process_moved(const SimProcess& proc, int from, const MigrationRecord& rec);
  /// Whether `h` takes a foreign process now (up, its owner away): checked when a move starts.
  bool accepts_foreign(int h) const;
  /// A MIGRATE carried out late found its target taken back: the policy hears the decision refused.
  void move_refused(const SimProcess& proc, int target, const std::string& why);
  /// A process arrived where it runs now (a move, or exec-time migration to a remote host): MIGRATION_DONE.
  void process_landed(const SimProcess& proc);
  void process_restarted(const SimProcess& proc, int from, const std::string& reason);
  /// Records a migration the process's own code carried out (exec-time migration).
  void record_migration(const MigrationRecord& rec) { migrations_.push_back(rec); }

  // --- per-host daemons ---
  HostState& host(int h) { return hosts_[static_cast<size_t>(h)]; }
  const IdleRule& idle_rule() const { return options_.idle_rule; }
  /// The owner touched the console of `h` (first input after a console-free spell).
  void owner_active(int h);
  /// Re-evaluates the idle rule for `h`; raises OWNER_IDLE when the host becomes available.
  void evaluate(int h);

  bool direct_remote_moves() const { return options_.direct_remote_moves; }
  bool demand_paging() const { return options_.demand_paging; }
  void set_demand_paging(bool on) { options_.demand_paging = on; }

  // --- results ---
  const std::vector<MigrationRecord>& migrations() const { return migrations_; }
  const std::vector<EvictionRecord>& evictions() const { return evictions_; }
  const std::vector<DecisionRecord>& decisions() const { return decisions_; }
  const Policy& policy() const { return *policy_; }
  struct Stats {
    uint64_t requests = 0;          ///< HOST_REQUEST events
    uint64_t requests_satisfied = 0; ///< requests that got every host asked for
    uint64_t requests_partial = 0;   ///< got some but not all
    uint64_t hosts_asked = 0, hosts_granted = 0;
    uint64_t revoked_owner = 0, revoked_fairness = 0;
    uint64_t rejected = 0;          ///< decisions refused as stale
    double hold_s_total = 0;        ///< summed grant-to-return times
    uint64_t holds = 0;
    double remote_cpu_s = 0;        ///< CPU of processes while away from home
  };
  const Stats& stats() const { return stats_; }
  uint64_t requests() const { return stats_.requests; }

private:
  ClusterView view() const;
  /// Calls the policy with one event and carries out its decisions. Grants to `client` and the placement of
  /// `proc` are returned through the pointers.
  void dispatch(const PolicyEvent& ev, std::vector<int>* granted = nullptr, int* placed = nullptr);
  void carry_out(const Decision& d, const PolicyEvent& ev, std::vector<int>* granted, int* placed);
  void reject(const Decision& d, const std::string& why);
  void end_hold(int h);
  void start_eviction(int h, const std::string& reason);
  /// One process of the host's eviction in progress left it (moved home, or exited first); the last closes it.
  void one_evicted(int h);
  void recount(int h);
  void schedule_timer(double at_s);
  Cluster& cluster_;
  std::unique_ptr<Policy> policy_;
  MigdOptions options_;
  std::vector<HostState> hosts_;
  std::map<int64_t, std::unique_ptr<SimProcess>> procs_;
  std::map<int, std::function<void(int)>> clients_;
  std::vector<PolicyEvent> rejected_;  ///< delivered with the next call
  std::vector<double> timers_;         ///< WAKE_AT times already scheduled
  std::vector<MigrationRecord> migrations_;
  std::vector<EvictionRecord> evictions_;
  std::vector<DecisionRecord> decisions_;
  void log(const Decision& d, const PolicyEvent& ev, const std::string& process, const char* kind = nullptr);
  Stats stats_;
  RunAudit audit_;
  int64_t next_pid_ = 1;
};

} // namespace spritesim
