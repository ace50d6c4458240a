// The simulator's migd backend (see migd.hpp): views, policy calls, and the decisions carried out.
#include "sim/migd.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace spritesim {

GlobalMigd::GlobalMigd(Cluster& cluster, std::unique_ptr<Policy> policy, MigdOptions options)
    : cluster_(cluster), policy_(std::move(policy)), options_(std::move(options))
{
  hosts_.resize(static_cast<size_t>(cluster.workstations()));
  for (auto& h : hosts_)
    h.changed = sg4::ConditionVariable::create();
}

GlobalMigd::~GlobalMigd() = default;

ClusterView GlobalMigd::view() const
{
  ClusterView v;
  v.now_s = sg4::Engine::get_clock();
  double ref_speed = cluster_.host(0)->get_speed();
  for (int i = 0; i <= cluster_.workstations(); ++i) {
    HostView h;
    h.id = i;
    h.name = cluster_.name(i);
    h.speed = cluster_.host(i)->get_speed() / ref_speed;
    if (i == cluster_.file_server()) {
      h.is_file_server = true;
      h.available = false;
      v.hosts.push_back(h);
      continue;
    }
    const HostState& s = hosts_[static_cast<size_t>(i)];
    h.up = s.up;
    h.available = s.available;
    h.owner_active = s.owner_active;
    h.input_idle_s = s.owner_active ? 0 : v.now_s - s.last_input_s;
    h.idle_since_s = s.idle_since_s;
    auto load = s.load.at(v.now_s);
    std::copy(load.begin(), load.end(), h.load);
    h.run_queue = s.load.run_queue();
    h.foreign = s.foreign;
    h.holder = s.holder;
    v.hosts.push_back(h);
  }
  v.count_holders();
  for (const auto& [id, p] : procs_) {
    ProcessView pv;
    pv.id = id;
    pv.client = p->client();
    pv.home = p->home();
    pv.host = p->host();
    pv.state = p->state();
    pv.age_s = p->cpu_used_s();
    pv.started_s = p->started_s();
    pv.migration_cost_s = p->migration_cost_s();
    pv.migratable = options_.processes_migratable;
    v.processes.push_back(pv);
  }
  return v;
}

void GlobalMigd::dispatch(const PolicyEvent& ev, std::vector<int>* granted, int* placed)
{
  std::vector<PolicyEvent> events;
  events.swap(rejected_);
  events.push_back(ev);
  for (const Decision& d : policy_->decide(view(), events))
    carry_out(d, ev, granted, placed);
}

void GlobalMigd::reject(const Decision& d, const std::string& why)
{
  ++stats_.rejected;
  rejected_.push_back(rejection_event(d, why));
}

void GlobalMigd::carry_out(const Decision& d, const PolicyEvent& ev, std::vector<int>* granted, int* placed)
{
  switch (d.kind) {
    case DecisionKind::GRANT_HOST: {
      if (!granted || ev.kind != EventKind::HOST_REQUEST || d.client != ev.client)
        return reject(d, "the client is not waiting for hosts");
      HostState& s = host(d.host);
      s.holder = d.client;
      s.grant_time_s = sg4::Engine::get_clock();
      granted->push_back(d.host);
      return log(d, ev, "");
    }
    case DecisionKind::REVOKE_HOST: {
      std::string why = ev.kind == EventKind::OWNER_ACTIVE && ev.host == d.host ? "owner" : "fairness";
      ++(why == "owner" ? stats_.revoked_owner : stats_.revoked_fairness);
      end_hold(d.host);
      if (auto it = clients_.find(d.client); it != clients_.end())
        it->second(d.host);
      // The client's processes there go home (SRC global.c: the victim's processes are evicted), or are killed and
      // rerun there when no running process may move (migration.processes_migratable false).
      DecisionKind send_home = options_.processes_migratable ? DecisionKind::EVICT : DecisionKind::RESTART;
      for (auto& [id, p] : procs_)
        if (p->host() == d.host && p->client() == d.client && p->home() != d.host &&
            p->request(send_home, -1, send_home == DecisionKind::EVICT ? "evict" : "restart").empty() &&
            send_home == DecisionKind::EVICT)
          start_eviction(d.host, why);
      return log(d, ev, "");
    }
    case DecisionKind::PLACE:
      if (!placed || ev.kind != EventKind::PROCESS_ARRIVED || d.proc != ev.proc)
        return reject(d, "the process is not waiting for a placement");
      if (!host(d.host).up)
        return reject(d, "the host is down");
      *placed = d.host;
      return log(d, ev, procs_.count(d.proc) ? procs_.at(d.proc)->name() : "");
    case DecisionKind::WAKE_AT:
      return schedule_timer(d.at_s);
    default:
      break;
  }
  auto it = procs_.find(d.proc);
  if (it == procs_.end())
    return reject(d, "the process has exited");
  SimProcess& p = *it->second;
  std::string kind = "migrate";
  if (d.kind == DecisionKind::EVICT)
    kind = "evict";
  else if (d.kind == DecisionKind::MIGRATE)
    kind = d.host == p.home() ? "to-home" : p.host() == p.home() ? "from-home" : "remote";
  int from = p.host();
  std::string why = p.request(d.kind, d.host, kind);
  if (!why.empty())
    return reject(d, why);
  if (d.kind == DecisionKind::EVICT)
    start_eviction(from, host(from).owner_active ? "owner" : "policy");
  log(d, ev, p.name());
}

void GlobalMigd::log(const Decision& d, const PolicyEvent& ev, const std::string& process, const char* kind)
{
  DecisionRecord r;
  r.time_s = sg4::Engine::get_clock();
  r.event = to_string(ev.kind);
  r.kind = kind ? kind : to_string(d.kind);
  r.client = d.client;
  r.host = d.host >= 0 ? cluster_.name(d.host) : "";
  r.process = process;
  decisions_.push_back(r);
}

void GlobalMigd::start_eviction(int h, const std::string& reason)
{
  HostState& s = host(h);
  if (s.evict_start_s < 0) {
    s.evict_start_s = sg4::Engine::get_clock();
    s.evict_reason = reason;
    s.evict_processes = 0;
    s.evict_pending = 0;
  }
  ++s.evict_processes;
  ++s.evict_pending;
}

void GlobalMigd::schedule_timer(double at_s)
{
  if (std::find(timers_.begin(), timers_.end(), at_s) != timers_.end())
    return;
  timers_.push_back(at_s);
  sg4::Actor::create("migd-timer", cluster_.host(cluster_.file_server()), [this, at_s] {
    sg4::this_actor::sleep_until(at_s);
    timers_.erase(std::find(timers_.begin(), timers_.end(), at_s));
    PolicyEvent ev;
    ev.kind = EventKind::TIMER;
    dispatch(ev);
  })->daemonize();
}

void GlobalMigd::register_client(int client, std::function<void(int)> on_revoke)
{
  clients_[client] = std::move(on_revoke);
}

std::vector<int> GlobalMigd::request(int client, int home, int count)
{
  ++stats_.requests;
  PolicyEvent ev;
  ev.kind = EventKind::HOST_REQUEST;
  ev.client = client;
  ev.home = home;
  ev.count = count;
  std::vector<int> granted;
  dispatch(ev, &granted);
  stats_.hosts_asked += static_cast<uint64_t>(count);
  stats_.hosts_granted += granted.size();
  if (static_cast<int>(granted.size()) >= count)
    ++stats_.requests_satisfied;
  else if (!granted.empty())
    ++stats_.requests_partial;
  return granted;
}

void GlobalMigd::end_hold(int h)
{
  HostState& s = host(h);
  stats_.hold_s_total += sg4::Engine::get_clock() - s.grant_time_s;
  ++stats_.holds;
  s.holder = -1;
}

void GlobalMigd::release(int client, int h)
{
  if (host(h).holder != client)
    return; // already revoked: the client learns it on its next use
  end_hold(h);
  PolicyEvent ev;
  ev.kind = EventKind::HOST_RETURNED;
  ev.client = client;
  ev.host = h;
  Decision returned;
  returned.client = client;
  returned.host = h;
  log(returned, ev, "", "return_host"); // not a decision, but the grant bookkeeping needs it
  dispatch(ev);
}

void GlobalMigd::release_all(int client)
{
  for (int h = 0; h < static_cast<int>(hosts_.size()); ++h)
    if (hosts_[static_cast<size_t>(h)].holder == client)
      release(client, h);
}

SimProcess& GlobalMigd::create_process(const std::string& name, int client, int home, ProcessFootprint footprint)
{
  int64_t id = next_pid_++;
  auto p = std::make_unique<SimProcess>(cluster_, *this, id, name, client, home, footprint);
  SimProcess& ref = *p;
  procs_[id] = std::move(p);
  return ref;
}

int GlobalMigd::place(SimProcess& proc)
{
  PolicyEvent ev;
  ev.kind = EventKind::PROCESS_ARRIVED;
  ev.client = proc.client();
  ev.home = proc.home();
  ev.proc = proc.id();
  int where = proc.home();
  dispatch(ev, nullptr, &where);
  return where;
}

void GlobalMigd::exited(SimProcess& proc, double expected_work)
{
  // The work it did, summed over every burst on every host since its last restart, is what it was asked (up to
  // the engine's rounding): a move, suspension or cancelled burst neither loses nor adds CPU.
  if (expected_work >= 0 && std::abs(proc.work_done() - expected_work) > 1e-6 * expected_work + 1.0)
    audit_.violation(fmt::format("CPU not conserved: {} computed {:.6g} reference instructions of the {:.6g} asked",
                                 proc.name(), proc.work_done(), expected_work));
  stats_.remote_cpu_s += proc.remote_cpu_s();
  int h = proc.host();
  // Exiting before its eviction was carried out frees the host all the same: that process's part of it is done.
  if (proc.evict_pending())
    one_evicted(h);
  int64_t id = proc.id();
  proc.finish();
  auto node = procs_.extract(id); // keep it alive until the policy has been told
  PolicyEvent ev;
  ev.kind = EventKind::PROCESS_EXITED;
  ev.proc = id;
  ev.host = h;
  ev.home = node.mapped()->home();
  dispatch(ev);
}

std::map<std::string, std::string> GlobalMigd::live_processes() const
{
  std::map<std::string, std::string> out;
  for (const auto& [id, p] : procs_)
    out[p->name()] = fmt::format("{} on {}", to_string(p->state()), cluster_.name(p->host()));
  return out;
}

void GlobalMigd::process_changed(const SimProcess& proc, int old_host)
{
  if (old_host >= 0 && old_host != proc.host())
    recount(old_host);
  recount(proc.host());
}

void GlobalMigd::recount(int h)
{
  if (h < 0 || h >= static_cast<int>(hosts_.size()))
    return;
  int all = 0, local = 0, foreign = 0;
  for (const auto& [id, p] : procs_) {
    if (p->host() != h)
      continue;
    bool away = p->home() != h;
    if (away && p->state() != ProcState::WAITING)
      ++foreign;
    if (p->state() != ProcState::RUNNING)
      continue;
    ++all;
    if (!away)
      ++local;
  }
  HostState& s = host(h);
  double now = sg4::Engine::get_clock();
  if (all != s.load.run_queue())
    s.load.set_run_queue(now, all);
  if (local != s.load_local.run_queue())
    s.load_local.set_run_queue(now, local);
  s.foreign = foreign;
  s.changed->notify_all();
}

void GlobalMigd::one_evicted(int h)
{
  HostState& s = host(h);
  if (s.evict_start_s < 0 || --s.evict_pending > 0)
    return;
  EvictionRecord e;
  e.time_s = s.evict_start_s;
  e.host = cluster_.name(h);
  e.reason = s.evict_reason;
  e.processes = s.evict_processes;
  e.duration_s = sg4::Engine::get_clock() - s.evict_start_s;
  evictions_.push_back(e);
  s.evict_start_s = -1;
}

void GlobalMigd::process_moved(const SimProcess& proc, int from, const MigrationRecord& rec)
{
  migrations_.push_back(rec);
  if (rec.kind == "evict")
    one_evicted(from);
  process_landed(proc);
}

bool GlobalMigd::accepts_foreign(int h) const
{
  const HostState& s = hosts_[static_cast<size_t>(h)];
  return s.up && !s.owner_active;
}

void GlobalMigd::move_refused(const SimProcess& proc, int target, const std::string& why)
{
  Decision d;
  d.kind = DecisionKind::MIGRATE;
  d.proc = proc.id();
  d.host = target;
  reject(d, why); // delivered with the next policy call
}

void GlobalMigd::process_landed(const SimProcess& proc)
{
  PolicyEvent ev;
  ev.kind = EventKind::MIGRATION_DONE;
  ev.proc = proc.id();
  ev.host = proc.host();
  ev.home = proc.home();
  dispatch(ev);
}

void GlobalMigd::process_restarted(const SimProcess& proc, int from, const std::string&)
{
  MigrationRecord r;
  r.time_s = sg4::Engine::get_clock();
  r.job_id = proc.name();
  r.kind = "restart";
  r.from_host = cluster_.name(from);
  r.to_host = cluster_.name(proc.home());
  migrations_.push_back(r);
}

void GlobalMigd::owner_active(int h)
{
  HostState& s = host(h);
  s.owner_active = true;
  s.available = false;
  PolicyEvent ev;
  ev.kind = EventKind::OWNER_ACTIVE;
  ev.host = h;
  dispatch(ev);
}

void GlobalMigd::evaluate(int h)
{
  HostState& s = host(h);
  double now = sg4::Engine::get_clock();
  double input_idle = s.owner_active ? 0 : now - s.last_input_s;
  // An owner at the console always refuses foreign work, whatever the input threshold (0 included).
  bool avail = !s.owner_active &&
               options_.idle_rule.next_available(s.available, input_idle, s.load.at(now), s.load_local.at(now));
  if (avail == s.available)
    return;
  s.available = avail;
  if (!avail)
    return;
  s.idle_since_s = now;
  PolicyEvent ev;
  ev.kind = EventKind::OWNER_IDLE;
  ev.host = h;
  dispatch(ev);
}

} // namespace spritesim
