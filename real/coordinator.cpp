// The coordinator's policy side (see coordinator.hpp): views built from the agents' reports with wall-clock time,
// policy calls, and each decision re-checked and carried out through the agents, as sim/migd.cpp does in the
// simulator. Real mode cannot move a running process (no checkpointing yet), so every process is reported as not
// migratable: policies then RESTART (kill, rerun at home) or SUSPEND/RESUME instead of migrating.
#include "real/coordinator.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "real/auth.hpp"

namespace spritesim::real {

Coordinator::Coordinator(CoordinatorOptions options) : options_(std::move(options))
{
  secret_ = read_secret_file(options_.secret_file);
  policy_ = make_policy(options_.policy, options_.policy_params, "--policy", "$.policy");
  for (const Endpoint& e : options_.agents) {
    Host h;
    h.name = e.text();
    h.endpoint = e;
    hosts_.push_back(h);
  }
  Host home;
  home.name = "home";
  home.is_home = true;
  home.up = true;
  home.owner_active = true; // someone is at the machine that runs rexec
  hosts_.push_back(home);
  start_s_ = monotonic_s();
  origin_epoch_s_ = epoch_s();
  job_key_ = random_nonce(); // a reloaded run keeps its own (load_state)
  if (!options_.state_file.empty())
    load_state();
}

std::string Coordinator::job_token(int64_t id) const
{
  return hmac_sha256_hex(job_key_, fmt::format("job|{}", id));
}

double Coordinator::now() const { return offset_s_ + monotonic_s() - start_s_; }

int Coordinator::foreign_on(int host) const
{
  int n = 0;
  for (const auto& [id, j] : jobs_)
    if (j.host == host && j.home != host && j.state != ProcState::WAITING)
      ++n;
  return n;
}

ClusterView Coordinator::view_locked() const
{
  ClusterView v;
  v.now_s = now();
  for (size_t i = 0; i < hosts_.size(); ++i) {
    const Host& s = hosts_[i];
    HostView h;
    h.id = static_cast<int>(i);
    h.name = s.name;
    h.up = s.up;
    h.available = s.available && !s.is_home;
    h.owner_active = s.owner_active;
    h.input_idle_s = s.input_idle_s;
    h.idle_since_s = s.idle_since_s;
    std::copy(s.load, s.load + 3, h.load);
    h.run_queue = s.run_queue;
    h.foreign = foreign_on(h.id);
    h.holder = s.holder;
    v.hosts.push_back(h);
  }
  v.count_holders();
  for (const auto& [id, j] : jobs_) {
    ProcessView p;
    p.id = id;
    p.client = j.client;
    p.home = j.home;
    p.host = j.host;
    p.state = j.state;
    p.age_s = j.state == ProcState::WAITING ? 0 : v.now_s - j.run_start_s; // wall time: CPU is not reported yet
    p.started_s = j.started_s;
    p.migratable = false;
    v.processes.push_back(p);
  }
  return v;
}

void Coordinator::dispatch(const PolicyEvent& ev, int* placed)
{
  std::vector<PolicyEvent> events;
  events.swap(rejected_);
  events.push_back(ev);
  std::vector<Decision> decisions;
  try {
    decisions = policy_->decide(view_locked(), events);
  } catch (const std::exception& e) {
    // A policy that breaks the contract (the runner refuses its answer) must not take the coordinator down with
    // it: the event goes unanswered, and the next one is asked again.
    fmt::print(stderr, "migd: the policy's answer to {} was refused: {}\n", to_string(ev.kind), e.what());
    return;
  }
  for (const Decision& d : decisions)
    carry_out(d, ev, placed);
}

void Coordinator::reject(const Decision& d, const std::string& why)
{
  ++rejected_count_;
  rejected_.push_back(rejection_event(d, why));
}

void Coordinator::log_decision(const Decision& d, const PolicyEvent& ev)
{
  DecisionRecord r;
  r.time_s = now();
  r.event = to_string(ev.kind);
  r.kind = to_string(d.kind);
  r.client = d.client;
  r.host = d.host >= 0 ? hosts_[static_cast<size_t>(d.host)].name : "";
  if (auto it = jobs_.find(d.proc); it != jobs_.end())
    r.process = it->second.name;
  records_.decisions.push_back(r);
}

bool Coordinator::send_control(int host, int64_t job, const std::string& action)
{
  auto conn = hosts_[static_cast<size_t>(host)].conn;
  if (!conn)
    return false;
  try {
    conn->send({{"type", "control"}, {"job", job}, {"action", action}});
    return true;
  } catch (const std::exception&) {
    conn->shutdown();
    return false;
  }
}

void Coordinator::start_eviction(int host, const std::string& reason)
{
  Host& s = hosts_[static_cast<size_t>(host)];
  if (s.evict_start_s < 0) {
    s.evict_start_s = now();
    s.evict_reason = reason;
    s.evict_processes = 0;
    s.evict_pending = 0;
    s.evict_latency_s = 0;
  }
  ++s.evict_processes;
  ++s.evict_pending;
}

void Coordinator::kill_remote(Job& job, const std::string& kind, const std::string& reason)
{
  int from = job.host;
  if (send_control(from, job.id, "kill")) {
    start_eviction(from, reason);
    job.kill_generation = hosts_[static_cast<size_t>(from)].generation;
  }
  record_move(job, kind, from, job.home);
  // From now on the job is the client's to rerun at home (it learns of the kill from the agent).
  job.host = job.home;
  job.state = ProcState::RUNNING;
  job.run_start_s = now();
}

void Coordinator::carry_out(const Decision& d, const PolicyEvent& ev, int* placed)
{
  switch (d.kind) {
    case DecisionKind::GRANT_HOST:
      return reject(d, "real mode has no host requests yet (rexec asks per process)");
    case DecisionKind::REVOKE_HOST: {
      std::string why = ev.kind == EventKind::OWNER_ACTIVE && ev.host == d.host ? "owner" : "fairness";
      hosts_[static_cast<size_t>(d.host)].holder = -1;
      for (auto& [id, j] : jobs_)
        if (j.host == d.host && j.client == d.client && j.home != d.host && j.state != ProcState::WAITING)
          kill_remote(j, "restart", why);
      return log_decision(d, ev);
    }
    case DecisionKind::PLACE: {
      if (!placed || ev.kind != EventKind::PROCESS_ARRIVED || d.proc != ev.proc)
        return reject(d, "the process is not waiting for a placement");
      const Host& h = hosts_[static_cast<size_t>(d.host)];
      if (!h.up || (d.host != ev.home && (!h.conn || h.owner_active)))
        return reject(d, "the host is down or its owner is back");
      *placed = d.host;
      return log_decision(d, ev);
    }
    case DecisionKind::WAKE_AT:
      timers_.insert(d.at_s);
      timer_cv_.notify_all();
      return;
    default:
      break;
  }
  auto it = jobs_.find(d.proc);
  if (it == jobs_.end())
    return reject(d, "the process has exited");
  Job& j = it->second;
  if (j.state == ProcState::WAITING)
    return reject(d, "the process is waiting for a placement");
  bool remote = j.host != j.home && !hosts_[static_cast<size_t>(j.host)].is_home;
  switch (d.kind) {
    case DecisionKind::MIGRATE:
      return reject(d, "real mode cannot move a running process (no checkpoint/restore)");
    case DecisionKind::EVICT:
    case DecisionKind::RESTART: {
      if (!remote)
        return reject(d, "the process already runs at home");
      bool owner = hosts_[static_cast<size_t>(j.host)].owner_active;
      log_decision(d, ev);
      kill_remote(j, "restart", owner ? "owner" : "policy");
      return;
    }
    case DecisionKind::SUSPEND:
    case DecisionKind::RESUME: {
      bool suspend = d.kind == DecisionKind::SUSPEND;
      if (!remote)
        return reject(d, "real mode suspends only foreign processes");
      if (j.state != (suspend ? ProcState::RUNNING : ProcState::SUSPENDED))
        return reject(d, suspend ? "the process is not running" : "the process is not suspended");
      if (!send_control(j.host, j.id, suspend ? "stop" : "cont"))
        return reject(d, "the agent is unreachable");
      j.state = suspend ? ProcState::SUSPENDED : ProcState::RUNNING;
      if (suspend)
        start_eviction(j.host, hosts_[static_cast<size_t>(j.host)].owner_active ? "owner" : "policy");
      return log_decision(d, ev);
    }
    default:
      return reject(d, "unexpected decision");
  }
}

void Coordinator::evaluate(int host)
{
  Host& s = hosts_[static_cast<size_t>(host)];
  std::array<double, 3> loads{s.load[0], s.load[1], s.load[2]}, without = loads;
  int foreign = foreign_on(host);
  for (double& l : without)
    l = std::max(0.0, l - foreign); // migd subtracts low-priority foreign processes (sprite-facts 4b)
  double idle = s.owner_active ? 0 : s.input_idle_s;
  // An owner at the console always refuses foreign work, whatever the input threshold (0 included).
  bool avail = s.up && !s.owner_active && options_.idle_rule.next_available(s.available, idle, loads, without);
  if (avail == s.available)
    return;
  s.available = avail;
  if (!avail)
    return;
  s.idle_since_s = now();
  PolicyEvent ev;
  ev.kind = EventKind::OWNER_IDLE;
  ev.host = host;
  dispatch(ev);
  checkpoint_locked();
}

} // namespace spritesim::real
