// A simulated process that can be moved while it runs: its CPU work is interruptible, and requests from migd
// (evict, migrate, suspend, resume, restart) are carried out by the process's own actor at the next safe point, as
// Sprite's kernel does when it signals a process to trap before migrating it (TH90 4.2.5).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/results.hpp"
#include "policy/cluster_view.hpp"
#include "sim/cluster.hpp"

namespace spritesim {

class GlobalMigd;

/// Thrown inside a process's actor when migd restarts it (kill and rerun at home); the code that runs the process
/// catches it and starts again.
struct ProcessRestarted {};

/// What a process carries when it moves (TH90 Table 8.3 gives typical values).
struct ProcessFootprint {
  int64_t dirty_pages = 0;  ///< dirty VM pages at a migration (flushed to backing files)
  int64_t dirty_blocks = 0; ///< dirty file-cache blocks at a migration (flushed to the server)
  int64_t open_files = 0;   ///< open files whose state moves
};

class SimProcess {
public:
  SimProcess(Cluster& cluster, GlobalMigd& migd, int64_t id, std::string name, int client, int home,
             ProcessFootprint footprint);

  int64_t id() const { return id_; }
  const std::string& name() const { return name_; }
  int client() const { return client_; }
  int home() const { return home_; }
  int host() const { return host_; }
  ProcState state() const { return state_; }
  double started_s() const { return started_s_; }
  /// CPU seconds used so far, measured on the hosts it ran on, the running execution's progress included.
  double cpu_used_s() const;
  /// CPU seconds of the burst under way so far (0 when none runs).
  double burst_cpu_s() const;
  /// CPU seconds used while away from home.
  double remote_cpu_s() const { return remote_cpu_s_; }
  const ProcessFootprint& footprint() const { return footprint_; }
  /// Reference work (instructions) this attempt has done, summed over the bursts on every host it ran on: at its
  /// exit, what the workload asked for (CPU conserved across moves, suspensions and cancelled bursts).
  double work_done() const { return work_done_; }
  /// Unloaded time of moving it now (the view's migration_cost_s).
  double migration_cost_s() const;

  // --- called from the process's own actor ---
  /// Marks the process running on `host` (after a placement); a remote host's arrival is a MIGRATION_DONE.
  void start_on(int host);
  /// `ref_seconds` of CPU measured on a machine of `ref_mips`, interruptible: moves, suspensions and restarts
  /// requested meanwhile happen inside. Throws ProcessRestarted.
  void compute(double ref_seconds, double ref_mips);
  /// Carries out a pending request (a safe point between non-CPU steps). Throws ProcessRestarted.
  void checkpoint();
  /// The process has exited; later requests are refused.
  void finish();

  // --- called by migd (any actor); never blocks ---
  /// Asks the process to move (EVICT: home), suspend, resume or restart; migd's core has checked the decision
  /// against its book. Returns an empty string when accepted, or why the process's own state refuses it (a request
  /// already pending, not yet carried out). `eviction`: the request is a step of its host's eviction, reported done
  /// when the process has left the host or exited. `recorded_as`: the migrations.csv kind of a MIGRATE or EVICT.
  std::string request(DecisionKind kind, int target = -1, MigrationKind recorded_as = MigrationKind::EVICT,
                      bool eviction = false);

private:
  void move_to(int target, MigrationKind kind);
  /// The eviction steps this process owes its host are done.
  void eviction_done();
  Cluster& cluster_;
  GlobalMigd& migd_;
  int64_t id_;
  std::string name_;
  int client_;
  int home_;
  int host_;
  ProcessFootprint footprint_;
  ProcState state_ = ProcState::WAITING;
  double started_s_ = 0;
  double cpu_used_s_ = 0;
  double remote_cpu_s_ = 0;
  bool finished_ = false;
  bool suspend_requested_ = false;
  int eviction_steps_ = 0;  ///< accepted eviction requests not yet reported done
  int eviction_host_ = -1;  ///< the host whose eviction they belong to
  struct Pending {
    DecisionKind kind;
    int target;
    MigrationKind recorded_as;
  };
  std::optional<Pending> pending_;
  std::unique_ptr<Burst> burst_;
  double cancelled_left_ = 0; ///< flops the cancelled burst had left
  double burst_flops_ = 0;    ///< flops the running burst started with
  bool burst_cancelled_ = false;
  double work_done_ = 0; ///< reference instructions, see work_done()
  sg4::ConditionVariablePtr wake_;
  sg4::MutexPtr lock_;
};

} // namespace spritesim
