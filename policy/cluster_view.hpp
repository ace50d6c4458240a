// What a policy sees and says: an immutable snapshot of the cluster (time, hosts with their owners and loads, the
// processes that may move), the events since its last call, and the decisions it returns. Backends (sim/, real/)
// build the snapshot and carry out decisions; policies never read a clock or touch SimGrid or a socket.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/strong_id.hpp"
#include "core/vocabulary.hpp"

namespace spritesim {

/// @page backend_contract What a backend promises every policy
///
/// Both backends run the one migd core (migd/migd_core.hpp): the simulator (sim/migd.cpp) and real mode's
/// coordinator feed it events and carry out its orders. The core calls Policy::decide with a fresh ClusterView and
/// the events since the last call, then carries out the returned decisions **in answer order**, re-checking each
/// against its book with one set of stale rules (migd/migd_decisions.cpp, stale_reason); refused decisions come
/// back as DECISION_REJECTED events with the next call. docs/policies.md ("The backend contract") lists every rule:
/// placements and grants, REVOKE_HOST, suspensions, RESTART, the stale rules, each backend's capabilities (real
/// mode cannot MIGRATE, EVICT or GRANT_HOST), policy errors, host evictions, WAKE_AT and HOST_DOWN.

/// One workstation as migd sees it (per-host daemon reports plus the coordinator's own bookkeeping).
struct HostView {
  int id = 0;                  ///< index in ClusterView::hosts
  std::string name;
  bool is_file_server = false; ///< never handed out, never runs processes
  bool up = true;              ///< false once the host stops reporting (crash, agent gone)
  bool available = true;       ///< meets Sprite's idle rule (30 s without console input, low load averages)
  bool owner_active = false;   ///< console input within the input threshold
  double last_input_s = -1e18; ///< end of the last console input (far past when never): ClusterView::input_idle_s
  double idle_since_s = 0;     ///< when the host last became available (longest idle = smallest)
  double load[3] = {0, 0, 0};  ///< 1-, 5- and 15-minute run-queue averages, migd's 5 s smoothing
  int run_queue = 0;           ///< runnable processes now (owner's plus foreign)
  int foreign = 0;             ///< foreign processes on the host now
  int holder = -1;             ///< client granted this host exclusively, or -1
  double speed = 1;            ///< CPU speed relative to the cluster's reference workstation
  /// Processes run only on hosts of their home's architecture (Sprite: TH90 8.5, 9.3); one name for all hosts
  /// of a homogeneous cluster. ClusterView::same_architecture.
  std::string architecture;
};

/// WAITING: exec'd, waits for a placement answer. RUNNING and SUSPENDED: on `host`. MIGRATING: leaving `host` (the
/// source until the move ends, then RUNNING or SUSPENDED at the destination, with a MIGRATION_DONE).
enum class ProcState { WAITING, RUNNING, SUSPENDED, MIGRATING };

/// A process a policy may place or move. WAITING processes have just exec'd and wait for a placement answer.
struct ProcessView {
  int64_t id = 0;
  int client = -1;          ///< the client (e.g. a pmake) it belongs to, or -1
  int home = 0;             ///< home host: where it was started and where it is evicted to
  int host = 0;             ///< where it runs (home while WAITING; the source while MIGRATING)
  ProcState state = ProcState::RUNNING;
  /// When its current attempt began running (placement, or its last restart); unused while WAITING. Its age is
  /// ClusterView::age_s.
  double run_start_s = 0;
  double started_s = 0;     ///< when it was created
  double migration_cost_s = 0; ///< backend's estimate of moving it now (dirty pages, blocks, open files)
  bool migratable = true;   ///< false for processes Sprite cannot move (shared writable memory, devices)
};

/// The snapshot a policy decides on.
struct ClusterView {
  double now_s = 0;
  std::vector<HostView> hosts; ///< indexed by host id
  std::vector<ProcessView> processes; ///< sorted by id
  /// Hosts granted per client id (index = client id).
  std::vector<int> held_by_client;
  /// Home host per client id (index = client id; -1 or absent when the backend does not say). When known, the
  /// runner refuses to grant a client its own home in any answer, not only in the answer to its request.
  std::vector<int> client_homes;
  /// Seconds since the host's last console input: 0 while its owner is active (and for the file server), large
  /// when never.
  double input_idle_s(const HostView& h) const { return h.owner_active || h.is_file_server ? 0 : now_s - h.last_input_s; }
  /// Seconds since the process's current attempt began running; 0 while WAITING. Wall seconds in real mode,
  /// simulated seconds in the simulator: both can measure it (real mode learns a command's CPU only at its end), and
  /// a process sharing a CPU ages as fast as one running alone.
  double age_s(const ProcessView& p) const { return p.state == ProcState::WAITING ? 0 : now_s - p.run_start_s; }
  /// Whether host `h` may run a process whose home is `home`: both of one architecture (migd refuses the rest).
  bool same_architecture(const HostView& h, int home) const
  {
    return home < 0 || home >= static_cast<int>(hosts.size()) ||
           h.architecture == hosts[static_cast<size_t>(home)].architecture;
  }
  /// The process with this id, or nullptr.
  const ProcessView* process(int64_t id) const;
  /// The host with this id, or nullptr.
  const HostView* host(int id) const;
  /// Hosts held by `client` (0 for unknown clients).
  int held(int client) const;
  /// The client's home host, or -1 when unknown.
  int client_home(int client) const;
  /// Fills held_by_client from the hosts' holders (what every backend does once its hosts are in place).
  void count_holders();
};

/// What a policy wants done; the backend re-checks it against the current state before acting.
struct Decision {
  DecisionKind kind = DecisionKind::GRANT_HOST;
  ClientId client; ///< -1 (invalid) when none; typed so that a host or a process cannot stand in for it
  HostId host;
  ProcId proc;
  double at_s = 0; ///< WAKE_AT only
};

/// Something that happened since the policy's last call.
struct PolicyEvent {
  EventKind kind = EventKind::HOST_REQUEST;
  int client = -1;  ///< requesting or returning client
  int home = -1;    ///< the client's or process's home host (never granted to that client)
  int count = 0;    ///< hosts wanted (HOST_REQUEST)
  int host = -1;    ///< host concerned (returned, owner, down, migration target, exit host)
  int64_t proc = -1; ///< process concerned
  Decision rejected;  ///< DECISION_REJECTED: the decision the backend refused
  std::string reason; ///< DECISION_REJECTED: why
};

/// The DECISION_REJECTED event a backend gives the policy for a decision it refused, and why (both backends).
PolicyEvent rejection_event(const Decision& refused, std::string why);

const char* to_string(ProcState s);

} // namespace spritesim
