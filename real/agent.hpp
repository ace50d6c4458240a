// The real-mode host agent (`spritesim agent`): one per workstation. It reports the host's load averages (smoothed
// as Sprite's migd does) and its owner's console idleness to the coordinator, runs foreign commands in their own
// process groups with their I/O streamed over the connection, and carries out the coordinator's evictions.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <csignal>
#include <sys/resource.h>
#include <sys/types.h>

#include "models/load_average.hpp"
#include "real/idle_probe.hpp"
#include "real/group_reaper.hpp"
#include "real/net.hpp"
#include "real/protocol.hpp"

namespace spritesim::real {

struct AgentOptions {
  std::string name;                  ///< reported host name (default: the endpoint text)
  std::string bind = "127.0.0.1";
  int port = 0;
  std::string secret_file;
  std::string idle_probe;            ///< console-idleness probe spec (real/idle_probe.hpp: file:PATH, tty, input, ...)
  std::string owner_control;         ///< synonym of idle_probe "file:PATH" (used when idle_probe is empty)
  std::string loadavg = "/proc/loadavg"; ///< where the run queue is read (tests point it at a file of their own)
  double poll_s = 0.02;              ///< how often the owner control and the run queue are looked at
  double report_s = 1;               ///< periodic report interval (changes of owner state are reported at once)
  bool allow_root = false;           ///< run commands as root anyway (containers, tests); never by default
  std::string user;                  ///< drop to this user for foreign commands when started as root
  AcceptLimits limits;               ///< handshake deadline, unauthenticated peers apart from authenticated ones
};

/// The number of runnable tasks in a /proc/loadavg-format file (4th field "running/total"), less the reader itself;
/// -1 when unreadable.
int read_run_queue(const std::string& path);

class Agent {
public:
  /// Reads the secret and sets up the idleness probe: throws InputError when either is unusable.
  explicit Agent(AgentOptions options);
  /// Listens and serves forever (throws on a fatal setup error). Prints "agent NAME listening on HOST:PORT".
  void run();

private:
  struct Job {
    pid_t pgid = 0;          ///< 0 while it is being started: controls are then applied once it has a group
    bool killed = false;     ///< the coordinator evicted it by killing
    bool stop_pending = false; ///< stopped by the coordinator while it was being started
  };
  void monitor();
  nlohmann::json report_locked(double now);
  void serve(Connection& conn, const std::string& peer_name);
  void serve_watch(Connection& conn);
  void serve_exec(Connection& conn, const nlohmann::json& exec);
  /// Lists a new job; false (and "evicted" sent) when migd already killed it before it started.
  bool admit_exec(Connection& conn, int64_t job, int attempt);
  /// Unlists an ended job and tells the client how it ended, unless the client is gone.
  void report_end(Connection& conn, int64_t job, int attempt, bool client_gone, int status, const rusage& usage);
  /// Feeds the started command's stdin from the connection and relays its output until both output pipes close;
  /// closes the three descriptors. Returns false when the client went away (the command is then killed).
  bool relay_command(Connection& conn, int64_t job, int attempt, pid_t pid, int to_child, int from_out, int from_err);
  void control(Connection& conn, const nlohmann::json& msg);
  void broadcast_locked(const nlohmann::json& msg);

  AgentOptions options_;
  std::string secret_;
  double start_s_ = 0;
  uid_t run_uid_ = 0;
  gid_t run_gid_ = 0;
  bool drop_ = false;
  sigset_t ignored_;               ///< signals the agent ignores: reset to default in each command (exec keeps them)

  std::unique_ptr<IdleProbe> probe_; ///< read by the monitor thread only

  std::mutex mutex_;
  LoadAverages load_;
  OwnerState owner_;
  double owner_active_since_ = -1; ///< monotonic time the agent noticed the owner (for eviction latency)
  std::map<int64_t, Job> jobs_;
  std::set<int64_t> killed_early_; ///< jobs evicted by kill before their exec arrived: refused when it does
  std::unique_ptr<GroupReaper> reaper_; ///< kills the commands' groups if the agent dies (run() forks it)
  std::set<int64_t> stopped_early_; ///< jobs suspended before their exec arrived: started stopped
  std::set<Connection*> watchers_;
};

} // namespace spritesim::real
