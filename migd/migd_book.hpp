// migd's book: what the one migd core (migd_core.hpp) knows of the cluster, fed by a backend (sim/ or real/) and
// read by the core to build ClusterViews and to check every decision before it is carried out. Plain data, no
// clock: times are the backend's, handed in with each event.
#pragma once

#include <bitset>
#include <cstdint>
#include <map>
#include <string>

#include "policy/cluster_view.hpp"

namespace spritesim {

/// A host eviction in progress: opened by the first process sent away or stopped, closed by the last one done.
struct EvictionState {
  double start_s = -1; ///< negative: none in progress
  EvictionReason reason = EvictionReason::OWNER;
  int processes = 0;   ///< processes it concerns so far
  int pending = 0;     ///< of those, not yet reported done
  double latency_s = 0; ///< the longest latency a backend measured for one step (real mode: agent notice to kill)
};

/// One workstation in the book.
struct BookHost {
  std::string name;
  bool is_file_server = false; ///< never handed out, never runs processes (the simulator's server)
  double speed = 1;            ///< relative to the reference workstation
  /// Processes move only between hosts of one architecture (TH90 8.5, 9.3): one name for all in real mode.
  std::string architecture;
  bool up = true;
  bool available = true;       ///< meets the idle rule (MigdCore::evaluate)
  bool owner_active = false;
  double last_input_s = -1e18; ///< end of the owner's last console input (never: far past)
  double idle_since_s = 0;     ///< when it last became available
  double load[3] = {0, 0, 0};  ///< run-queue averages as last sampled (the backend refreshes them: sample_load)
  int run_queue = 0;
  int running = 0;             ///< book processes RUNNING here, kept by MigdCore as they change (no walk per event)
  int running_local = 0;       ///< those of them whose home it is
  int foreign = 0;             ///< book processes here away from home and not WAITING (kept likewise)
  int holder = -1;             ///< client granted it, or -1
  double grant_time_s = 0;
  EvictionState eviction;
};

/// One process in the book.
struct BookProcess {
  int64_t id = 0;
  std::string name;
  int client = -1;
  int home = 0;
  int host = 0;
  ProcState state = ProcState::WAITING;
  double started_s = 0;    ///< created (exec'd)
  double run_start_s = 0;  ///< its current attempt began running (placement, or its last restart)
  double migration_cost_s = 0;
  bool migratable = true;  ///< the view's `migratable`: a backend without MIGRATE and EVICT declares false, so that
                           ///< policies restart or suspend instead (asked anyway, the core refuses them)
};

/// The decision kinds a backend can carry out. The core refuses the others with one DECISION_REJECTED reason
/// (MigdCore::incapable_reason), whatever the backend.
class Capabilities {
public:
  static Capabilities all();
  Capabilities without(DecisionKind k) const;
  bool can(DecisionKind k) const { return bits_.test(static_cast<size_t>(k)); }

private:
  std::bitset<static_cast<size_t>(DecisionKind::WAKE_AT) + 1> bits_;
};

/// The simulator's: everything.
Capabilities simulator_capabilities();
/// Real mode's: its agents kill, stop and continue processes, so no MIGRATE or EVICT (no checkpoint/restore), and
/// no GRANT_HOST (rexec asks per process, never for hosts).
Capabilities real_capabilities();

} // namespace spritesim
