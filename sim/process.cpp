// Interruptible process execution and request handling (see process.hpp). CPU work runs as one burst at a time;
// a request cancels it, keeping the work left, and the process's actor carries the request out (SimGrid 3.32's
// Exec suspend/resume is unreliable after one cycle, so suspension is a cancelled burst plus a wait).
#include "sim/process.hpp"

#include "sim/migd.hpp"
#include "sim/migration.hpp"

namespace spritesim {

SimProcess::SimProcess(Cluster& cluster, GlobalMigd& migd, int64_t id, std::string name, int client, int home,
                       ProcessFootprint footprint)
    : cluster_(cluster), migd_(migd), id_(id), name_(std::move(name)), client_(client), home_(home), host_(home),
      footprint_(footprint), started_s_(sg4::Engine::get_clock()), wake_(sg4::ConditionVariable::create()),
      lock_(sg4::Mutex::create())
{
}

double SimProcess::migration_cost_s() const
{
  const CostModel& c = cluster_.costs(host_, cluster_.file_server_of(home_));
  return c.active_migration_seconds(
      c.active_migration(footprint_.dirty_pages, footprint_.dirty_blocks, footprint_.open_files));
}

double SimProcess::cpu_used_s() const
{
  return cpu_used_s_ + burst_cpu_s();
}

double SimProcess::burst_cpu_s() const
{
  if (!burst_ || !burst_->running())
    return 0;
  return (burst_flops_ - burst_->remaining()) / cluster_.host(host_)->get_speed();
}

void SimProcess::start_on(int host)
{
  host_ = host;
  state_ = ProcState::RUNNING;
  migd_.process_changed(*this, -1);
  // An exec-time migration is a move too: the policy hears it land, so that one arriving on a host whose owner came
  // back while it was under way is evicted like any other move's (policies act on MIGRATION_DONE there).
  if (host != home_)
    migd_.process_landed(*this);
}

void SimProcess::compute(double ref_seconds, double ref_mips)
{
  double flops = ref_seconds * ref_mips * 1e6; // work in reference instructions: it is the same on any host
  while (true) {
    checkpoint();
    if (flops <= 1e-3)
      return;
    sg4::Host* h = cluster_.host(host_);
    double burst_start = sg4::Engine::get_clock();
    burst_ = cluster_.start_burst(host_, flops);
    burst_flops_ = flops;
    burst_cancelled_ = false;
    double left = burst_->wait() ? 0 : cancelled_left_;
    double done = flops - left;
    work_done_ += done;
    cpu_used_s_ += done / h->get_speed();
    if (host_ != home_) {
      remote_cpu_s_ += done / h->get_speed();
      migd_.add_foreign_cpu(host_, done / h->get_speed());
    }
    cluster_.add_busy(host_, done / h->get_speed(), host_ != home_ ? BusyKind::FOREIGN : BusyKind::HOME, burst_start);
    flops = left;
    burst_ = nullptr;
  }
}

void SimProcess::checkpoint()
{
  while (true) {
    if (pending_) {
      Pending p = *pending_;
      pending_.reset();
      if (p.kind == DecisionKind::RESTART) {
        int from = host_;
        state_ = ProcState::WAITING;
        host_ = home_;
        migd_.add_restart_lost(cpu_used_s_);
        cpu_used_s_ = 0;
        work_done_ = 0;
        migd_.process_changed(*this, from);
        migd_.process_restarted(*this, from);
        throw ProcessRestarted{};
      }
      move_to(p.kind == DecisionKind::EVICT ? home_ : p.target, p.recorded_as);
      continue;
    }
    if (!suspend_requested_)
      return;
    ProcState before = state_;
    state_ = ProcState::SUSPENDED;
    if (before != ProcState::SUSPENDED)
      migd_.process_changed(*this, host_);
    std::unique_lock lk(*lock_);
    while (suspend_requested_ && !pending_)
      wake_->wait(lk);
    if (!suspend_requested_) {
      state_ = ProcState::RUNNING;
      migd_.process_changed(*this, host_);
    }
  }
}

void SimProcess::move_to(int target, MigrationKind kind)
{
  // The move's first step asks the target (TH90 4.2.5: up, accepting foreign processes): the decision may have gone
  // stale while the process reached its safe point, and again while it waits for the host's earlier migrations.
  auto target_ok = [this, target] { return target == home_ || migd_.accepts_foreign(target); };
  const char* refused = "the target's owner came back before the move began";
  if (!target_ok())
    return migd_.move_refused(*this, target, refused);
  // A move between two remote hosts goes through home unless the direct switch is set (TH90 8.4). If the target is
  // taken back during the first hop, the move ends at home: one `remote` row that ends there.
  if (host_ != home_ && target != home_ && !migd_.direct_remote_moves()) {
    move_to(home_, kind);
    if (pending_ || suspend_requested_)
      return; // a newer request arrived while going home; it takes precedence
  }
  int from = host_;
  bool was_suspended = state_ == ProcState::SUSPENDED;
  state_ = ProcState::MIGRATING;
  migd_.process_changed(*this, from);
  std::optional<MigrationRecord> rec = migrate_process(cluster_, *this, from, target, kind, target_ok);
  if (rec)
    host_ = target;
  state_ = was_suspended && suspend_requested_ ? ProcState::SUSPENDED : ProcState::RUNNING;
  migd_.process_changed(*this, from);
  if (!rec)
    return migd_.move_refused(*this, target, refused);
  eviction_done();
  migd_.process_moved(*this, *rec);
  if (migd_.demand_paging())
    page_in(cluster_, *this, target);
}

void SimProcess::eviction_done()
{
  for (; eviction_steps_ > 0; --eviction_steps_)
    migd_.eviction_step(eviction_host_);
}

void SimProcess::finish()
{
  eviction_done(); // exiting before its eviction was carried out frees the host all the same
  finished_ = true;
  int from = host_;
  state_ = ProcState::WAITING;
  migd_.process_changed(*this, from);
}

std::string SimProcess::request(DecisionKind kind, int target, MigrationKind recorded_as, bool eviction)
{
  // The book's rules (exited, waiting, moving, at home, not running) were checked by migd's core; what is left is
  // this actor's own state: a request accepted and not yet carried out.
  switch (kind) {
    case DecisionKind::SUSPEND:
      // Only where it runs now: a process on its way elsewhere would be stopped on a host the policy did not mean.
      if (suspend_requested_ || pending_)
        return suspend_requested_ ? "a suspension is pending" : "a move is pending";
      suspend_requested_ = true;
      break;
    case DecisionKind::RESUME:
      if (!suspend_requested_)
        return "a resumption is pending";
      suspend_requested_ = false;
      wake_->notify_all();
      return "";
    case DecisionKind::EVICT:
      // The owner's return outranks a move to another host that has not begun: the process goes home instead,
      // and the host's eviction counts it (a refusal would leave it there until that move, unrecorded).
      if (pending_ && pending_->kind == DecisionKind::MIGRATE)
        pending_.reset();
      [[fallthrough]];
    case DecisionKind::MIGRATE:
    case DecisionKind::RESTART:
      if (pending_)
        return "another move is already pending";
      pending_ = Pending{kind, target, recorded_as};
      // A moved or restarted process runs at its destination (docs/policies.md): the suspension ends with the move,
      // or the process would wait for a RESUME that no policy has a reason to send.
      suspend_requested_ = false;
      wake_->notify_all();
      break;
    default:
      return "not a process decision";
  }
  // The running burst is cancelled once: a second request before the actor wakes finds it already cancelled.
  // What it had left is kept before the cancel: the cancel wakes the process's actor, which may run at once.
  if (burst_ && !burst_cancelled_ && burst_->running()) {
    cancelled_left_ = burst_->remaining();
    burst_cancelled_ = true;
    burst_->cancel();
  }
  if (eviction) {
    eviction_host_ = host_;
    ++eviction_steps_;
  }
  return "";
}

} // namespace spritesim
