// The simulated Sprite cluster: diskless workstations in groups and file servers on one shared Ethernet, on SimGrid,
// with the blocking primitives every mechanism is made of (CPU on a host, an RPC-shaped step) and the accounting
// (busy seconds per host, bytes on the wire) that reports which resource saturates.
#pragma once

#include <compare>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "core/experiment.hpp"
#include "models/costs.hpp"
#include "sim/busy_log.hpp"
#include "sim/actor_pool.hpp"
#include "sim/sharing.hpp"

namespace spritesim {

/// The SimGrid engine with the models every run uses: CM02 so transfers match the analytic costs, no cross-traffic
/// (RPC replies are part of the calibrated costs), quiet logs. Once per process.
std::unique_ptr<sg4::Engine> create_engine();

/// A file's blocks in one host's cache (for delayed write-back and the link's reads).
struct CachedFile {
  int host = -1;
  int server = -1; ///< the file server the file lives on
  int64_t bytes = 0;
  bool dirty = false;
  double written_s = 0;
  int64_t readers = 0; ///< commands still to read it: the entry is dropped once none is left and it is clean
};

/// A file in the caches: the output of job `job` (its index in the trace) of build session `client`.
struct FileId {
  int client = 0;
  size_t job = 0;
  auto operator<=>(const FileId&) const = default;
};

/// Sprite's delayed-write age and scan period (CACHE88: 30 s).
constexpr double WRITEBACK_DELAY_S = 30.0;

class Cluster {
public:
  Cluster(const ExperimentSpec& spec, PlatformCosts costs);

  /// The costs of work that `host` starts with file server `server`: `host`'s group's profile (the first group's for
  /// a file server) and the server's. Each mechanism step is charged at the profile of the host that starts it.
  const CostModel& costs(int host, int server) const;
  /// The costs of work that `host` starts with its own group's file server.
  const CostModel& costs(int host) const { return costs(host, file_server_of(host)); }
  int workstations() const { return workstations_; }
  /// Workstations and file servers.
  int hosts() const { return static_cast<int>(hosts_.size()); }
  /// The first host of `host`'s physical machine (platform.machine; the host itself when alone on its machine).
  int machine_of(int host) const { return cpu_of_[static_cast<size_t>(host)]; }
  /// The first file server (the main one: the shared host file, the workload's own actors).
  int file_server() const { return workstations_; }
  bool is_file_server(int host) const { return host >= workstations_; }
  /// The file server that holds the files of jobs whose home is `host` (its group's; a server is its own).
  int file_server_of(int host) const { return server_of_[static_cast<size_t>(host)]; }
  /// The workstation group of `host` (platform.groups), -1 for a file server.
  int group_of(int host) const { return is_file_server(host) ? -1 : group_of_[static_cast<size_t>(host)]; }
  /// The group's name and architecture; empty for a file server.
  const std::string& group_name(int host) const;
  const std::string& architecture(int host) const;
  sg4::Host* host(int i) const { return hosts_[static_cast<size_t>(i)]; }
  const std::string& name(int i) const { return hosts_[static_cast<size_t>(i)]->get_name(); }

  // Blocking primitives, called from actors.
  /// Runs the steps back to back (one wait), counting their CPU and bytes.
  void run(const Steps& steps);
  /// CPU for `seconds` of an unloaded host of this kind (a measured time; shares the CPU with whatever runs there).
  void cpu(int host, double seconds);
  /// CPU work measured as ref_seconds on a machine of ref_mips, run on `host` at its own speed.
  void cpu_work(int host, double ref_seconds, double ref_mips);
  /// An RPC-shaped step: CPU on the caller, the bytes over the Ethernet, CPU on the callee.
  void rpc(int caller, int callee, const RpcCost& c);
  /// Starts `flops` instructions on `host` that can be cancelled (at most `bound` per second when > 0); the caller
  /// counts the CPU it used.
  std::unique_ptr<Burst> start_burst(int host, double flops, double bound = 0);

  /// Actors for short tasks (commands, processes, timers), reused.
  ActorPool& actors() { return actors_; }

  // File cache state (delayed write-back, sequential write-sharing). A file's name (its path) is kept only while it
  // is dirty: a host's daemon writes its dirty files back in the order of their names.
  std::map<FileId, CachedFile>& files() { return files_; }
  /// Writes a file's dirty blocks from its host's cache to the server (write-back or a server recall).
  void write_back(FileId file, const std::string& name);
  /// A process on `host` wrote `bytes` of `file`, named `name`, which lives on file server `server` and which
  /// `readers` commands will read (dirty in that host's cache until the host's delayed-write scan writes it back).
  void cache_write(FileId file, const std::string& name, int host, int server, int64_t bytes, int64_t readers);
  /// One of the file's readers is done with it (the map keeps only what may still be read or written back).
  void cache_read_done(std::map<FileId, CachedFile>::iterator it);
  /// Dirty files in one host's cache by name; oldest write first is not guaranteed (the daemon checks ages).
  const std::map<std::string, FileId>& dirty_files(int host) const { return dirty_[static_cast<size_t>(host)]; }

  double busy_s(int host) const { return busy_s_[static_cast<size_t>(host)]; }
  /// Records CPU spent outside cpu() (interruptible process work), done between from_s and now.
  void add_busy(int host, double seconds, BusyKind kind, double from_s);
  /// The busy seconds by interval and kind (utilization.csv).
  const BusyLog& busy_log() const { return busy_log_; }
  /// Held while a process migrates away from `host`: a host's evictions go one at a time, as Sprite's per-host
  /// daemon evicts its foreign processes in turn (so a host's eviction takes the sum of its processes' costs).
  sg4::MutexPtr outgoing_migrations(int host) const { return outgoing_[static_cast<size_t>(host)]; }
  double wire_bytes() const { return wire_bytes_; }
  double network_bytes_per_s() const { return costs(0).network().bytes_per_s; }

private:
  PlatformCosts costs_;
  std::vector<HostGroupSpec> groups_;
  int workstations_ = 0;
  std::vector<int> group_of_;  ///< per workstation
  std::vector<int> server_of_; ///< per host: file_server_of
  std::vector<sg4::Host*> hosts_; ///< workstations 0..N-1 (group by group), then the file servers
  sg4::Link* ethernet_ = nullptr;
  std::unique_ptr<Sharing> sharing_;
  ActorPool actors_;
  std::vector<double> busy_s_;
  BusyLog busy_log_;
  double wire_bytes_ = 0;
  std::vector<sg4::MutexPtr> outgoing_;
  std::vector<std::map<std::string, FileId>> dirty_;
  // Sprite's delayed write (cluster.cpp): the hosts' scans, kept by one actor.
  std::vector<char> writeback_pending_;            ///< a scan of the host is scheduled or running
  std::set<std::pair<double, int>> writeback_due_; ///< (scan time, host)
  sg4::ConditionVariablePtr writeback_wakeup_;
  bool writeback_started_ = false;
  void schedule_writeback(int host);
  void writeback_scan(int host);
  std::vector<int> cpu_of_; ///< per host: machine_of
  std::map<FileId, CachedFile> files_; ///< by id, not name: a name as a key costs 48 B more (a million objects: 48 MB)
};

} // namespace spritesim
