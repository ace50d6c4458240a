// The simulator's side of migd: the actuator and event feeder around the one migd core (migd/migd_core.hpp), which
// keeps the book, asks the policy, re-checks and records every decision. Here: the per-host daemons' own state
// (owner periods, load averages), the processes as SimGrid actors carrying out the core's orders at their next safe
// point, timers as actors, and the client callbacks. Costs of talking to migd are charged by the callers from the
// cost model (TH90 Table 7.1).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/results.hpp"
#include "migd/migd_core.hpp"
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
  bool processes_migratable = true; ///< whether running processes can move at all (the book's `migratable`)
};

/// What the per-host daemon of one workstation keeps beside migd's book (migd/migd_book.hpp: BookHost).
struct HostState {
  LoadAverages load;          ///< every runnable process
  LoadAverages load_local;    ///< without foreign processes (compared with the high thresholds)
  std::vector<OwnerPeriod> owner; ///< the owner's console periods, sorted
  double foreign_cpu_s = 0;   ///< CPU of foreign processes' finished bursts here
};

class GlobalMigd : private MigdActuator {
public:
  GlobalMigd(Cluster& cluster, std::unique_ptr<Policy> policy, MigdOptions options);
  ~GlobalMigd() override;

  // --- clients (pmake) ---
  /// `on_revoke(host)` is called when migd takes a host back from the client (owner returned, fairness).
  void register_client(int client, std::function<void(int host)> on_revoke);
  /// Up to `count` hosts for `client` (never its home); may return fewer, or none.
  std::vector<int> request(int client, int home, int count) { return core_.host_request(client, home, count); }
  void release(int client, int host) { core_.host_released(client, host); }
  void release_all(int client);

  // --- processes ---
  SimProcess& create_process(const std::string& name, int client, int home, ProcessFootprint footprint);
  /// Asks the policy where a freshly exec'd process runs (PROCESS_ARRIVED); home when it does not say.
  int place(SimProcess& proc) { return core_.place(proc.id()); }
  /// The process exited; it is forgotten. `expected_work`: the reference instructions the workload asked of it
  /// (checked against what it computed; negative: not checked).
  void exited(SimProcess& proc, double expected_work = -1);
  /// The processes not exited yet, by name, with their state and host ("SUSPENDED on ws03").
  std::map<std::string, std::string> live_processes() const;
  /// The run's invariant checks (run_audit.hpp); migd records what it sees (CPU not conserved).
  RunAudit& audit() { return audit_; }
  /// Called by SimProcess on any change of host or state (`old_host` is where it was before, or -1).
  void process_changed(const SimProcess& proc, int old_host);
  /// A move ended: its record and MIGRATION_DONE.
  void process_moved(const SimProcess& proc, const MigrationRecord& rec) { core_.process_moved(proc.id(), rec); }
  /// Whether `h` takes a foreign process now (up, its owner away): checked when a move starts.
  bool accepts_foreign(int h) const;
  /// A MIGRATE carried out late found its target taken back: the policy hears the decision refused.
  void move_refused(const SimProcess& proc, int target, const std::string& why)
  {
    core_.move_refused(proc.id(), target, why);
  }
  /// A process arrived where it runs now (a move, or exec-time migration to a remote host): MIGRATION_DONE.
  void process_landed(const SimProcess& proc) { core_.process_landed(proc.id()); }
  void process_restarted(const SimProcess& proc, int from) { core_.process_restarted(proc.id(), from); }
  /// One step of `host`'s eviction is done (the process left, stopped, or was killed there).
  void eviction_step(int host) { core_.eviction_step(host); }
  /// Records a migration the process's own code carried out (exec-time migration).
  void record_migration(const MigrationRecord& rec) { core_.record_migration(rec); }

  // --- per-host daemons ---
  HostState& host(int h) { return hosts_[static_cast<size_t>(h)]; }
  /// migd's book entry for `h` (availability, owner, grants).
  BookHost& book(int h) { return core_.host(h); }
  const IdleRule& idle_rule() const { return core_.idle_rule(); }
  /// The owner touched the console of `h` (first input after a console-free spell).
  void owner_active(int h) { core_.owner_active(h); }
  /// The owner's console period ended at `end_s`.
  void owner_left(int h, double end_s) { core_.owner_left(h, end_s); }
  /// Re-evaluates the idle rule for `h`; raises OWNER_IDLE when the host becomes available.
  void evaluate(int h);
  /// Who steps a host's daemon when its loads or owner periods change (start_host_daemons).
  void on_host_changed(std::function<void(int host)> f) { on_host_changed_ = std::move(f); }
  /// Tells the daemons that `h`'s loads or owner periods changed.
  void host_changed(int h)
  {
    if (on_host_changed_)
      on_host_changed_(h);
  }

  bool direct_remote_moves() const { return options_.direct_remote_moves; }
  bool demand_paging() const { return options_.demand_paging; }
  void set_demand_paging(bool on) { options_.demand_paging = on; }

  // --- results ---
  const std::vector<MigrationRecord>& migrations() const { return core_.migrations(); }
  const std::vector<EvictionRecord>& evictions() const { return core_.evictions(); }
  const std::vector<DecisionRecord>& decisions() const { return core_.decisions(); }
  /// Moves migd's logs into the run's results (at its end).
  void hand_over(RunResult& r) { core_.hand_over(r); }
  const Policy& policy() const { return core_.policy(); }
  const MigdCore::Stats& stats() const { return core_.stats(); }
  uint64_t requests() const { return core_.stats().requests; }
  double remote_cpu_s() const { return remote_cpu_s_; } ///< CPU of processes while away from home
  /// A foreign process's burst on `host` ended (or was cut short) after `cpu_s` CPU seconds.
  void add_foreign_cpu(int host, double cpu_s) { hosts_[static_cast<size_t>(host)].foreign_cpu_s += cpu_s; }
  /// A restart threw away `cpu_s` CPU seconds of the process's attempt.
  void add_restart_lost(double cpu_s) { restart_lost_cpu_s_ += cpu_s; }
  double restart_lost_cpu_s() const { return restart_lost_cpu_s_; }

private:
  // MigdActuator: the core's orders, carried out by the processes' actors (SimProcess::request).
  Capabilities capabilities() const override { return simulator_capabilities(); }
  double now() const override;
  double sample_load(int host, BookHost& h) const override;
  double foreign_cpu_s(int host) const override;
  std::string migrate(const BookProcess& p, int target) override;
  std::string evict(const BookProcess& p, EvictionReason reason, bool eviction) override;
  std::string restart(const BookProcess& p, EvictionReason reason, bool eviction) override;
  std::string suspend(const BookProcess& p, bool eviction) override;
  std::string resume(const BookProcess& p) override;
  void revoked(int client, int host) override;
  void wake_at(double at_s) override;
  void policy_error(const PolicyEvent& ev, const std::string& what) override;
  void policy_failed(const std::string& what) override;
  SimProcess& proc(const BookProcess& p) { return *procs_.at(p.id); }
  void recount(int h);

  Cluster& cluster_;
  MigdOptions options_;
  MigdCore core_;
  std::vector<HostState> hosts_;
  std::function<void(int)> on_host_changed_;
  std::map<int64_t, std::unique_ptr<SimProcess>> procs_;
  std::map<int, std::function<void(int)>> clients_;
  double remote_cpu_s_ = 0;
  double restart_lost_cpu_s_ = 0;
  RunAudit audit_;
  int64_t next_pid_ = 1;
};

} // namespace spritesim
