// The migd core's decision path (see migd_core.hpp): one policy call per event, one policy-error rule, the stale
// rules every decision is checked against, and what each surviving decision does to the book and the actuator.
// docs/policies.md ("backend contract") states the same rules for policy authors; keep the two together.
#include "migd/migd_core.hpp"

#include <fmt/format.h>

namespace spritesim {

// Sprite migrates only between machines of one architecture, even at exec time (TH90 8.5, 9.3; EXP89 6).
static const char* const other_architecture = "the host is of another architecture than the process's home";

void MigdCore::dispatch(const PolicyEvent& ev, Reply reply)
{
  for (const Decision& d : ask(ev))
    carry_out(d, ev, reply);
}

std::vector<Decision> MigdCore::ask(const PolicyEvent& ev)
{
  if (policy_failed_) {
    // A policy that failed answers nothing: every event goes unanswered while the backend ends the run.
    ++stats_.policy_errors;
    return {};
  }
  std::vector<PolicyEvent> events;
  events.swap(rejected_);
  events.push_back(ev);
  try {
    return policy_->decide(view(), events);
  } catch (const std::logic_error& e) {
    // The runner refused the whole answer (a policy bug): nothing of it is carried out and the event goes
    // unanswered (an arriving process runs at home, a request gets no host). The DECISION_REJECTED events it was
    // given are kept for the next call, so none is lost; the backend reports the error its own way.
    events.pop_back();
    events.insert(events.end(), rejected_.begin(), rejected_.end());
    rejected_.swap(events);
    ++stats_.policy_errors;
    if (dynamic_cast<const PolicyFailure*>(&e)) {
      policy_failed_ = true;
      actuator_.policy_failed(e.what());
    } else {
      actuator_.policy_error(ev, e.what());
    }
    return {};
  }
}

std::string MigdCore::incapable_reason(DecisionKind k)
{
  return fmt::format("this backend cannot carry out {}", to_string(k));
}

bool MigdCore::takes_foreign(int h) const
{
  const BookHost& s = host(h);
  return s.up && !s.owner_active && !s.is_file_server;
}

std::string MigdCore::stale_reason(const Decision& d, const PolicyEvent& ev, Reply reply) const
{
  if (!caps_.can(d.kind))
    return incapable_reason(d.kind);
  switch (d.kind) {
    case DecisionKind::GRANT_HOST:
      if (!reply.granted || ev.kind != EventKind::HOST_REQUEST || d.client.value() != ev.client)
        return "the client is not waiting for hosts";
      if (ev.home >= 0 && !same_architecture(d.host.value(), ev.home))
        return other_architecture;
      return "";
    case DecisionKind::PLACE:
      if (!reply.placed || ev.kind != EventKind::PROCESS_ARRIVED || d.proc.value() != ev.proc)
        return "the process is not waiting for a placement";
      // At home it runs anyway; elsewhere the host must take foreign work now, and be of the home's architecture.
      if (const int home = procs_.at(d.proc.value()).home; d.host.value() == home)
        return "";
      else if (!same_architecture(d.host.value(), home))
        return other_architecture;
      return takes_foreign(d.host.value()) ? "" : "the host is down or its owner is back";
    case DecisionKind::REVOKE_HOST:
    case DecisionKind::WAKE_AT:
      return "";
    default:
      break;
  }
  auto it = procs_.find(d.proc.value());
  return it == procs_.end() ? "the process has exited" : process_stale_reason(d, it->second);
}

std::string MigdCore::process_stale_reason(const Decision& d, const BookProcess& p) const
{
  if (p.state == ProcState::WAITING)
    return "the process is waiting for a placement";
  if (p.state == ProcState::MIGRATING)
    return "a move is under way (the policy hears it land: MIGRATION_DONE)";
  bool at_home = p.host == p.home;
  switch (d.kind) {
    case DecisionKind::MIGRATE:
      if (d.host.value() == p.host)
        return "the process is already there";
      if (!same_architecture(d.host.value(), p.home))
        return other_architecture;
      return d.host.value() == p.home || takes_foreign(d.host.value()) ? "" : "the host is down or its owner is back";
    case DecisionKind::EVICT:
    case DecisionKind::RESTART:
      return at_home ? "the process already runs at home" : "";
    case DecisionKind::SUSPEND:
    case DecisionKind::RESUME:
      if (at_home)
        return "only foreign processes are suspended or resumed";
      if (d.kind == DecisionKind::SUSPEND)
        return p.state == ProcState::RUNNING ? "" : "the process is not running";
      return p.state == ProcState::SUSPENDED ? "" : "the process is not suspended";
    default:
      return "not a process decision";
  }
}

void MigdCore::carry_out(const Decision& d, const PolicyEvent& ev, Reply reply)
{
  if (std::string why = stale_reason(d, ev, reply); !why.empty())
    return reject(d, why);
  switch (d.kind) {
    case DecisionKind::GRANT_HOST: {
      BookHost& h = host(d.host.value());
      h.holder = d.client.value();
      h.grant_time_s = actuator_.now();
      reply.granted->push_back(d.host.value());
      return log(d, ev);
    }
    case DecisionKind::REVOKE_HOST:
      return revoke(d, ev);
    case DecisionKind::PLACE:
      *reply.placed = d.host.value();
      return log(d, ev);
    case DecisionKind::WAKE_AT:
      if (timers_.insert(d.at_s).second)
        actuator_.wake_at(d.at_s);
      return;
    default:
      break;
  }
  const BookProcess& p = procs_.at(d.proc.value());
  if (std::string why = act(d, p, eviction_reason(p.host)); !why.empty())
    return reject(d, why);
  log(d, ev);
}

EvictionReason MigdCore::eviction_reason(int h) const
{
  return host(h).owner_active ? EvictionReason::OWNER : EvictionReason::POLICY;
}

std::string MigdCore::act(const Decision& d, const BookProcess& p, EvictionReason reason)
{
  // A host eviction counts the foreign processes sent home from it: its EVICTs (evictions.csv pairs with the
  // `evict` rows of migrations.csv), or, in a backend that cannot EVICT (real mode), the kills and stops that
  // stand in for them (RESTART, SUSPEND).
  int from = p.host;
  bool stand_in = !caps_.can(DecisionKind::EVICT) &&
                  (d.kind == DecisionKind::RESTART || d.kind == DecisionKind::SUSPEND);
  bool step = from != p.home && (d.kind == DecisionKind::EVICT || stand_in);
  std::string why;
  switch (d.kind) {
    case DecisionKind::MIGRATE:
      why = actuator_.migrate(p, d.host.value());
      break;
    case DecisionKind::EVICT:
      why = actuator_.evict(p, reason, step);
      break;
    case DecisionKind::RESTART:
      why = actuator_.restart(p, reason, step);
      break;
    case DecisionKind::SUSPEND:
      why = actuator_.suspend(p, step);
      break;
    case DecisionKind::RESUME:
      why = actuator_.resume(p);
      break;
    default:
      return "not a process decision";
  }
  if (why.empty() && step)
    start_eviction(from, reason);
  return why;
}

void MigdCore::revoke(const Decision& d, const PolicyEvent& ev)
{
  // The book keeps plain numbers (hosts index a vector, processes key a map): the Decision's typed ids are
  // unwrapped where they meet it.
  const int h = d.host.value(), client = d.client.value();
  bool owner = ev.kind == EventKind::OWNER_ACTIVE && ev.host == h;
  EvictionReason why = owner ? EvictionReason::OWNER : EvictionReason::FAIRNESS;
  ++(owner ? stats_.revoked_owner : stats_.revoked_fairness);
  end_hold(h);
  actuator_.revoked(client, h);
  // The client's processes there go home (SRC global.c: the victim's processes are evicted), or are killed and
  // rerun there when they cannot move. One already sent elsewhere by an earlier decision is left alone.
  for (auto& [id, p] : procs_) {
    if (p.host != h || p.client != client || p.home == h)
      continue;
    bool moves = p.migratable && caps_.can(DecisionKind::EVICT);
    Decision home{moves ? DecisionKind::EVICT : DecisionKind::RESTART, d.client, HostId(), ProcId(id), 0};
    if (process_stale_reason(home, p).empty())
      act(home, p, why);
  }
  log(d, ev);
}

void MigdCore::reject(const Decision& d, const std::string& why)
{
  ++stats_.rejected;
  rejected_.push_back(rejection_event(d, why));
}

void MigdCore::log(const Decision& d, const PolicyEvent& ev, RecordedKind kind)
{
  DecisionRecord r;
  r.time_s = actuator_.now();
  r.event = ev.kind;
  r.kind = kind;
  r.client = d.client.value();
  r.host = d.host.valid() ? host(d.host.value()).name : "";
  if (auto it = procs_.find(d.proc.value()); it != procs_.end())
    r.process = it->second.name;
  decisions_.push_back(r);
}

void MigdCore::start_eviction(int h, EvictionReason reason)
{
  EvictionState& e = host(h).eviction;
  if (e.start_s < 0)
    e = EvictionState{actuator_.now(), reason, 0, 0, 0};
  ++e.processes;
  ++e.pending;
}

const EvictionRecord* MigdCore::eviction_step(int h, double latency_s)
{
  BookHost& s = host(h);
  EvictionState& e = s.eviction;
  if (e.start_s < 0)
    return nullptr;
  e.latency_s = std::max(e.latency_s, latency_s);
  if (--e.pending > 0)
    return nullptr;
  EvictionRecord r;
  r.time_s = e.start_s;
  r.host = s.name;
  r.reason = e.reason;
  r.processes = e.processes;
  // Owner returns measured by the backend (real mode: from the agent noticing the owner to the last process
  // killed or stopped, what the owner feels); otherwise from the first order to the last step.
  r.duration_s = e.reason == EvictionReason::OWNER && e.latency_s > 0 ? e.latency_s : actuator_.now() - e.start_s;
  evictions_.push_back(r);
  e.start_s = -1;
  return &evictions_.back();
}

} // namespace spritesim
