// What a policy sees: an immutable snapshot of the cluster (time, hosts, who holds them) and the events since
// its last call. Backends (sim/, real/) build these; policies never read a clock or touch SimGrid.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spritesim {

/// One workstation as migd sees it.
struct HostView {
  int id = 0;
  std::string name;
  bool available = true;       ///< meets the idle rule (no console input for 30 s, low load averages)
  double idle_since_s = 0;     ///< when it last became available (longest idle = smallest)
  int holder = -1;             ///< client currently granted this host, or -1
  double load = 0;             ///< 1-minute load average as migd computes it
  bool is_file_server = false; ///< never handed out
};

/// The snapshot a policy decides on.
struct ClusterView {
  double now_s = 0;
  std::vector<HostView> hosts;
  /// Hosts granted per client id (index = client id).
  std::vector<int> held_by_client;
};

enum class EventKind { HOST_REQUEST, HOST_RETURNED };

/// Something that happened since the policy's last call.
struct PolicyEvent {
  EventKind kind = EventKind::HOST_REQUEST;
  int client = -1;  ///< requesting or returning client
  int home = -1;    ///< the client's home host (never granted to it)
  int count = 0;    ///< hosts wanted (HOST_REQUEST)
  int host = -1;    ///< host returned (HOST_RETURNED)
};

enum class DecisionKind { GRANT_HOST, REVOKE_HOST };

/// What a policy wants done; the backend re-checks it against the current state before acting.
struct Decision {
  DecisionKind kind = DecisionKind::GRANT_HOST;
  int client = -1;
  int host = -1;
};

} // namespace spritesim
