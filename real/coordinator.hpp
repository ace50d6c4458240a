// The real-mode coordinator (`spritesim migd`): Sprite's global migd on real hosts. It feeds the one migd core
// (migd/migd_core.hpp: book, policy calls, stale rules, evictions, decision and migration records) with the agents'
// reports, rexec's requests and wall-clock time, and is its actuator: kills, stops and continues processes through
// the agents (real_capabilities(): no MIGRATE or EVICT, no GRANT_HOST). Here too: the connections, the job records,
// and the checkpoint (state file and journal) in the simulator's record formats.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/experiment.hpp"
#include "core/json_reader.hpp"
#include "core/results.hpp"
#include "migd/migd_core.hpp"
#include "models/idle_rule.hpp"
#include "policy/policy.hpp"
#include "real/net.hpp"

namespace spritesim::real {

struct CoordinatorOptions {
  std::string bind = "127.0.0.1";
  int port = 0;
  std::string secret_file;
  std::vector<Endpoint> agents;
  PolicySpec policy; ///< --policy, --policy-params, --policy-command, --policy-timeout
  std::string state_file; ///< checkpoint (empty: none)
  std::string out_dir;    ///< jobs.csv, migrations.csv, evictions.csv, decisions.csv, results.json (empty: none)
  IdleRule idle_rule;     ///< migd's defaults (SRC migd.c); tests lower input_threshold_s
  std::string version = "unknown";
  AcceptLimits limits;    ///< handshake deadline, unauthenticated peers apart from authenticated ones
};

class Coordinator : private MigdActuator {
public:
  /// Job ids are reserved on disk this many at a time (see on_place).
  static constexpr int64_t JOB_ID_BLOCK = 1024;

  explicit Coordinator(CoordinatorOptions options);
  /// Connects to the agents, listens for rexec clients and serves forever.
  void run();

private:
  /// An agent's connection (the book's host of the same index holds what migd knows of it).
  struct Host {
    Endpoint endpoint;
    bool is_home = false; ///< the pseudo-host standing for clients' machines that run no agent
    std::shared_ptr<Connection> conn;
    uint64_t generation = 0; ///< counts the watch connections made to this agent
  };
  /// What real mode keeps of a job beside the book's process.
  struct JobLink {
    double orphan_since_s = -1; ///< reloaded from a checkpoint and not yet re-attached by its client (resume)
    uint64_t kill_generation = 0; ///< the watch connection its kill went out on (0: none)
  };

  // MigdActuator (coordinator.cpp): orders carried out through the agents.
  Capabilities capabilities() const override { return real_capabilities(); }
  double now() const override;
  std::string migrate(const BookProcess& p, int target) override;
  std::string evict(const BookProcess& p, EvictionReason reason, bool eviction) override;
  std::string restart(const BookProcess& p, EvictionReason reason, bool eviction) override;
  std::string suspend(const BookProcess& p, bool eviction) override;
  std::string resume(const BookProcess& p) override;
  void revoked(int, int) override {} // rexec clients learn of the kills from their agents
  void wake_at(double at_s) override;
  void policy_error(const PolicyEvent& ev, const std::string& what) override;
  void policy_failed(const std::string& what) override;
  bool send_control(int host, int64_t job, AgentAction action);
  void evaluate(int host);
  /// Why no agent's host takes foreign work now ("" when one does): each host's reason, for migd's log and the
  /// placement answer of a command that runs at home because of it.
  std::string no_host_reason() const;
  /// Why `host` takes no foreign work, in words: not reporting, its owner, or the idle rule's reason ("" when the
  /// rule has none).
  std::string refusal(int host) const;
  bool some_host_takes_foreign_work() const;
  /// A host's load averages, and the same without its foreign processes (migd subtracts them: SRC migd.c).
  void host_loads(int host, std::array<double, 3>& loads, std::array<double, 3>& without) const;
  const std::string& host_name(int h) const { return core_.host(h).name; }

  void watch_agent(int host);
  void on_report(int host, const nlohmann::json& msg);
  void on_control_done(int host, const nlohmann::json& msg);
  void host_down(int host);
  void serve_client(Connection& conn);
  // Requests of rexec clients (coordinator_clients.cpp), under mutex_. Each returns the reply (null: none) and may
  // ask for a checkpoint to be on disk before the reply is sent.
  nlohmann::json on_place(int client, const nlohmann::json& msg, std::set<int64_t>& mine, uint64_t* wait_for);
  nlohmann::json on_resume(int client, const nlohmann::json& msg, std::set<int64_t>& mine);
  void on_at_home(const nlohmann::json& msg, const std::set<int64_t>& mine);
  nlohmann::json on_done(const nlohmann::json& msg, std::set<int64_t>& mine, uint64_t* wait_for);
  /// `spritesim status`: every host (state, owner, load, foreign work, why it refuses) and the jobs (where, since).
  nlohmann::json on_status() const;
  /// Registers a job in migd's book (WAITING at its home) and its link.
  void add_job(BookProcess j);
  void forget_job(int64_t id);
  void sweep_orphans();
  /// The kind of the last migrations.csv row of a job (nullopt if none): a reloaded journal may be ahead of the
  /// snapshot.
  std::optional<MigrationKind> last_move(const std::string& job_name) const;
  int host_at(const std::string& addr, int fallback) const;
  void timer_loop();

  /// Snapshots the state and records (under mutex_) for the writer thread, which writes them outside the lock:
  /// fsync must never delay an eviction. Returns the snapshot's number (0 when nothing is written).
  uint64_t checkpoint_locked();
  /// Blocks (without mutex_) until the state file holding snapshot `seq` is on disk; with `records_only`, until
  /// the journal lines of that checkpoint are (an end's acknowledgement needs no more).
  void wait_written(uint64_t seq, bool records_only = false);
  void writer_loop();
  void outputs_loop();
  void write_outputs(); ///< the --out files from the records now (takes mutex_)
  void load_state();
  /// The host a state file names by `key` (host_key), or the home pseudo-host when no agent has it now.
  int host_index(const std::string& key) const;
  void reload_hosts(const JsonReader& hosts);
  void load_journal();
  /// The journal lines of the records not yet handed to the journal (under mutex_; coordinator_journal.cpp).
  std::string new_journal_lines();
  std::string journal_file() const;
  /// A host as the state file names it: its endpoint ("home" for the pseudo-host).
  static std::string host_key(const Host& h);
  nlohmann::json state_json() const;

  CoordinatorOptions options_;
  std::string secret_;
  double start_s_ = 0;
  double offset_s_ = 0; ///< elapsed time carried over from a reloaded checkpoint
  double origin_epoch_s_ = 0; ///< wall-clock start of the run, kept across restarts (downtime counts)

  mutable std::mutex mutex_;
  std::condition_variable timer_cv_;
  std::set<double> timers_;
  std::vector<Host> hosts_; ///< agents first, then the home pseudo-host (the book's hosts, same indices)
  std::atomic<bool> policy_failed_{false}; ///< the policy failed (policy_failed): migd stops with status 2
  bool no_host_ = false; ///< no host took foreign work at the last evaluate (logged when that changes)
  MigdCore core_;
  std::map<int64_t, JobLink> links_; ///< the book's processes, same ids
  int64_t next_job_ = 1;
  int64_t reserved_job_ = 0;  ///< job ids below this may be handed out (reserved in a snapshot)
  uint64_t reservation_seq_ = 0; ///< the snapshot that holds reserved_job_
  std::atomic<int64_t> disk_next_job_{0}; ///< the reservation in the snapshot last written (writer thread)
  std::string job_key_; ///< coordinator-only key (kept in the state file): job tokens are HMACs of job ids under it
  std::string job_token(int64_t id) const;
  std::set<int64_t> finished_;
  std::set<int64_t> reconcile_kills_; ///< kills sent again after a report (their control_done is no eviction's) ///< jobs whose end is recorded: a client repeating its `done` is not counted twice
  int next_client_ = 0;
  RunResult records_; ///< jobs only: migrations, evictions and decisions are the core's
  size_t journaled_[4] = {0, 0, 0, 0}; ///< records (jobs, migrations, evictions, decisions) handed to the journal
  bool outputs_dirty_ = false;         ///< the --out files are older than the records (outputs_loop)
  std::condition_variable outputs_cv_;
  std::mutex outputs_mutex_; ///< one writer of the --out files at a time; guards outputs_view_
  RunResult outputs_view_;   ///< the records as last written to --out (only what is new is copied under mutex_)

  std::mutex write_mutex_; ///< guards the pending snapshot only
  std::condition_variable write_cv_;
  bool write_pending_ = false;
  uint64_t snapshot_seq_ = 0, pending_seq_ = 0, written_seq_ = 0;
  uint64_t journaled_seq_ = 0; ///< the checkpoints whose journal lines are synced (their snapshot may follow)
  std::condition_variable written_cv_;
  nlohmann::json pending_state_;
  std::string pending_lines_; ///< journal lines not yet appended
};

} // namespace spritesim::real
