// The one migd core both backends share (design.md, docs/policies.md "backend contract"). A backend feeds it events
// (host reports, owners, processes arriving, landing, exiting, clients asking for and returning hosts, timers); the
// core keeps the book, builds the ClusterView, asks the policy, re-checks every decision against the book with one
// set of stale rules (stale_reason), hands what survives to the backend's MigdActuator, and keeps the records:
// decisions, migrations, host evictions. Refused decisions come back to the policy as DECISION_REJECTED events
// with its next call. SimGrid-free and clock-free: the actuator tells the time.
#pragma once

#include <array>
#include <limits>
#include <memory>
#include <set>
#include <vector>

#include "core/results.hpp"
#include "migd/migd_book.hpp"
#include "models/idle_rule.hpp"
#include "policy/policy.hpp"

namespace spritesim {

/// What a backend does for the core. Each process call returns "" when the backend took the order, or why its
/// mechanism cannot (the core refuses the decision with that reason). `eviction`: the order is one step of the
/// host's eviction; the backend calls MigdCore::eviction_step when that step is done (the process left or stopped).
class MigdActuator {
public:
  virtual ~MigdActuator() = default;
  virtual Capabilities capabilities() const = 0;
  /// The backend's clock (simulated or wall seconds since the run began).
  virtual double now() const = 0;
  /// Refreshes a host's loads in the book before a view is built (the simulator's decay with time) and returns the
  /// time before which they cannot change unless loads_changed(host) says so; default: the last report stands.
  virtual double sample_load(int host, BookHost& h) const
  {
    (void)host, (void)h;
    return std::numeric_limits<double>::infinity();
  }
  /// CPU seconds foreign processes have used on `host` so far, the work under way included; NaN when the backend
  /// cannot tell (real mode learns a command's CPU at its end).
  virtual double foreign_cpu_s(int host) const
  {
    (void)host;
    return std::numeric_limits<double>::quiet_NaN();
  }
  virtual std::string migrate(const BookProcess& p, int target) = 0;
  virtual std::string evict(const BookProcess& p, EvictionReason reason, bool eviction) = 0;
  virtual std::string restart(const BookProcess& p, EvictionReason reason, bool eviction) = 0;
  virtual std::string suspend(const BookProcess& p, bool eviction) = 0;
  virtual std::string resume(const BookProcess& p) = 0;
  /// `client` lost `host` (its processes there are sent home by the core next).
  virtual void revoked(int client, int host) = 0;
  /// Deliver MigdCore::timer(at_s) at `at_s` (never asked twice for one time).
  virtual void wake_at(double at_s) = 0;
  /// The policy broke its contract (Policy::decide threw std::logic_error): see MigdCore::dispatch.
  virtual void policy_error(const PolicyEvent& ev, const std::string& what) = 0;
  /// The policy cannot answer any more (PolicyFailure: an external policy's process died, hung or broke the
  /// protocol). Told once; the core asks it nothing more, and the backend ends the run with `what`.
  virtual void policy_failed(const std::string& what) = 0;
};

class MigdCore {
public:
  MigdCore(std::unique_ptr<Policy> policy, MigdActuator& actuator, IdleRule idle_rule);

  // --- the book ---
  int add_host(const std::string& name, bool file_server = false, double speed = 1,
               const std::string& architecture = "");
  /// A host's book entry to change (its view is refreshed in full at the next view(); change it before the next
  /// event, not through a reference kept across one).
  BookHost& host(int h)
  {
    touch(static_cast<size_t>(h));
    return hosts_.at(static_cast<size_t>(h));
  }
  const BookHost& host(int h) const { return hosts_.at(static_cast<size_t>(h)); }
  int hosts() const { return static_cast<int>(hosts_.size()); }
  /// Registers a process, WAITING at its home; `p.run_start_s` and `p.state` are the core's.
  void add_process(BookProcess p);
  const BookProcess* process(int64_t id) const;
  const std::map<int64_t, BookProcess>& processes() const { return procs_; }
  /// The process's host or state changed (its age restarts when it leaves WAITING).
  void process_changed(int64_t id, int host, ProcState state);
  /// Processes away from home on `h`, neither waiting nor gone.
  int foreign_on(int h) const;
  /// The policies' snapshot, refreshed in place: valid until the next call (a policy never calls back into migd).
  const ClusterView& view();

  // --- events (each may call the policy) ---
  /// PROCESS_ARRIVED: where the process runs (home unless a PLACE survives).
  int place(int64_t id);
  /// PROCESS_EXITED; the process leaves the book.
  void process_exited(int64_t id);
  /// MIGRATION_DONE for a process now RUNNING or SUSPENDED where the book says.
  void process_landed(int64_t id);
  /// A move ended: its record, then MIGRATION_DONE.
  void process_moved(int64_t id, const MigrationRecord& rec);
  /// A MIGRATE the backend accepted could not begin (the target was taken back): DECISION_REJECTED next call.
  void move_refused(int64_t id, int target, const std::string& why);
  /// The process was killed on `from` and reruns from scratch at home: a `restart` record unless `record` is false
  /// (real mode: the journal may hold it already).
  void process_restarted(int64_t id, int from, bool record = true);
  /// The client a process belongs to changed (real mode: a client re-attached it after a coordinator restart).
  void process_client(int64_t id, int client);
  std::vector<int> host_request(int client, int home, int count);
  void host_released(int client, int host);
  void owner_active(int h);
  void owner_left(int h, double last_input_s);
  /// The idle rule on the book's state and these loads (all processes; without foreign ones); OWNER_IDLE when
  /// the host becomes available.
  void evaluate(int h, const std::array<double, 3>& loads, const std::array<double, 3>& local);
  /// The host stopped answering: its foreign processes are rerun at home by their clients (restart records), any
  /// eviction in progress is dropped, then HOST_DOWN.
  void host_down(int h);
  /// The backend's loads of `h` changed before the time sample_load gave (its run queue changed).
  void loads_changed(int h)
  {
    loads_until_.at(static_cast<size_t>(h)) = -std::numeric_limits<double>::infinity();
    touch(static_cast<size_t>(h));
  }
  void timer(double at_s);

  // --- evictions and records ---
  /// One process of `h`'s eviction is done (`latency_s`: the backend's own measure, or negative). Returns the
  /// record when it was the last.
  const EvictionRecord* eviction_step(int h, double latency_s = -1);
  void record_migration(const MigrationRecord& r) { migrations_.push_back(r); }
  /// Records reloaded from a journal (real mode's restart).
  void restore(std::vector<MigrationRecord> m, std::vector<EvictionRecord> e, std::vector<DecisionRecord> d);
  const std::vector<MigrationRecord>& migrations() const { return migrations_; }
  const std::vector<EvictionRecord>& evictions() const { return evictions_; }
  const std::vector<DecisionRecord>& decisions() const { return decisions_; }
  /// Owner returns recorded so far: complete once the owner left and the host was free of foreign processes.
  const std::vector<OwnerReturnRecord>& owner_returns() const { return owner_returns_; }
  /// Moves the logs out (a run's end: its results take them; the core's logs are empty after). The owner returns
  /// still open are recorded first, censored at now, and the returns come in the order of the owners' first input.
  void hand_over(RunResult& r);
  const Policy& policy() const { return *policy_; }
  const IdleRule& idle_rule() const { return idle_rule_; }
  const Capabilities& capabilities() const { return caps_; }
  /// The DECISION_REJECTED reason for a kind the backend cannot carry out (the same in every backend).
  static std::string incapable_reason(DecisionKind k);

  struct Stats {
    uint64_t requests = 0, requests_satisfied = 0, requests_partial = 0;
    uint64_t hosts_asked = 0, hosts_granted = 0;
    uint64_t revoked_owner = 0, revoked_fairness = 0;
    uint64_t rejected = 0;      ///< decisions refused (stale, incapable, or the mechanism said no)
    uint64_t policy_errors = 0; ///< answers the runner refused whole, and calls a failed policy could not answer
    double hold_s_total = 0;
    uint64_t holds = 0;
  };
  const Stats& stats() const { return stats_; }

private:
  /// What a call's answer may hand back: the grants of a HOST_REQUEST, the placement of a PROCESS_ARRIVED.
  struct Reply {
    std::vector<int>* granted = nullptr;
    int* placed = nullptr;
  };
  void refresh_host_view(HostView& h, int i, double now);
  void count_holder(int from, int to);
  void dispatch(const PolicyEvent& ev) { dispatch(ev, Reply()); }
  void dispatch(const PolicyEvent& ev, Reply reply);
  std::vector<Decision> ask(const PolicyEvent& ev);
  void carry_out(const Decision& d, const PolicyEvent& ev, Reply reply);
  std::string stale_reason(const Decision& d, const PolicyEvent& ev, Reply reply) const;
  std::string process_stale_reason(const Decision& d, const BookProcess& p) const;
  bool takes_foreign(int h) const;
  /// Whether a process whose home is `home` may run on `h` (Sprite: only within one architecture).
  bool same_architecture(int h, int home) const { return host(h).architecture == host(home).architecture; }
  std::string act(const Decision& d, const BookProcess& p, EvictionReason reason);
  void revoke(const Decision& d, const PolicyEvent& ev);
  void reject(const Decision& d, const std::string& why);
  void log(const Decision& d, const PolicyEvent& ev) { log(d, ev, recorded(d.kind)); }
  void log(const Decision& d, const PolicyEvent& ev, RecordedKind kind);
  void start_eviction(int h, EvictionReason reason);
  void end_hold(int h);
  EvictionReason eviction_reason(int h) const;

  std::unique_ptr<Policy> policy_;
  MigdActuator& actuator_;
  Capabilities caps_;
  IdleRule idle_rule_;
  std::vector<BookHost> hosts_;
  /// Adds delta to the counts of p's host: running when p is RUNNING, foreign when it is there away from home and
  /// not WAITING (before and after each change of the book).
  void count_on_host(const BookProcess& p, int delta);
  /// Marks a host's view for a full refresh at the next view().
  void touch(size_t h)
  {
    if (!stale_.at(h)) {
      stale_[h] = 1;
      touched_.push_back(static_cast<int>(h));
    }
  }
  /// Copies p into its view (made when new) after each change of the book; unmirror drops an exited one.
  void mirror(const BookProcess& p);
  void unmirror(int64_t id);
  size_t view_index(int64_t id) const;
  std::map<int64_t, BookProcess> procs_;
  /// The policies' snapshot, kept as the book changes: its processes mirror the book's (in id order), and a host's
  /// view is refreshed when its book entry was touched or its loads fall due. Nothing in it moves with the clock
  /// but now_s (idleness and ages are ClusterView's functions of it), so a view costs what changed since the last.
  ClusterView view_;
  std::vector<double> loads_until_; ///< per host: the loads in the book hold until then (sample_load)
  /// The hosts whose sampled loads hold until each time, soonest first (backends sample many hosts on one clock, so
  /// few times and many hosts each); a host whose loads_until_ no longer matches was resampled since.
  std::map<double, std::vector<int>> loads_due_;
  std::vector<double> queued_until_; ///< per host: the time of its latest entry in loads_due_ (NaN: none)
  std::vector<char> stale_;         ///< per host: its view is refreshed at the next view()
  std::vector<int> touched_;        ///< the hosts marked in stale_, in the order they were marked
  std::vector<PolicyEvent> rejected_; ///< delivered with the next call
  bool policy_failed_ = false; ///< a PolicyFailure came: the policy is asked nothing more
  std::set<double> timers_;           ///< WAKE_AT times asked of the backend and not yet delivered
  std::vector<MigrationRecord> migrations_;
  std::vector<EvictionRecord> evictions_;
  std::vector<DecisionRecord> decisions_;
  /// An owner return not yet recorded: the owner is still active, or foreign processes are still on the host.
  struct OpenReturn {
    OwnerReturnRecord rec;
    double cpu_at_start = 0; ///< actuator_.foreign_cpu_s(host) at the first input
    bool active = true;
    bool freed = false;
  };
  std::vector<std::vector<OpenReturn>> open_returns_; ///< per host
  std::vector<OwnerReturnRecord> owner_returns_;
  // migd/owner_returns.cpp
  void open_return(int h);
  void returns_owner_left(int h, double last_input_s);
  /// After a change of the book: when no foreign process is left on `h` (-1: none), its open returns are freed,
  /// and recorded when their owner left too.
  void check_freed(int h);
  void returns_freed(int h);
  void record_returns(int h);
  /// The run's end: the returns still open are recorded, censored at now, and all put in order of time_s.
  void close_returns();
  Stats stats_;
};

} // namespace spritesim
