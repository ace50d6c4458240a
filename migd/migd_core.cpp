// The migd core's book and events (see migd_core.hpp): the ClusterView built from the book, and each event a
// backend feeds turned into book changes and one policy call. The decision path is in migd_decisions.cpp.
#include "migd/migd_core.hpp"

#include <algorithm>
#include <cmath>

namespace spritesim {

MigdCore::MigdCore(std::unique_ptr<Policy> policy, MigdActuator& actuator, IdleRule idle_rule)
    : policy_(std::move(policy)), actuator_(actuator), caps_(actuator.capabilities()), idle_rule_(idle_rule)
{
}

int MigdCore::add_host(const std::string& name, bool file_server, double speed, const std::string& architecture)
{
  BookHost h;
  h.name = name;
  h.architecture = architecture;
  h.is_file_server = file_server;
  h.available = !file_server;
  h.speed = speed;
  hosts_.push_back(h);
  loads_until_.push_back(-std::numeric_limits<double>::infinity());
  queued_until_.push_back(std::numeric_limits<double>::quiet_NaN());
  stale_.push_back(0);
  open_returns_.emplace_back();
  touch(hosts_.size() - 1);
  return static_cast<int>(hosts_.size()) - 1;
}

void MigdCore::count_on_host(const BookProcess& p, int delta)
{
  if (p.state == ProcState::WAITING)
    return;
  BookHost& h = hosts_[static_cast<size_t>(p.host)];
  if (p.home != p.host) {
    h.foreign += delta;
    touch(static_cast<size_t>(p.host));
  }
  if (p.state != ProcState::RUNNING)
    return;
  h.running += delta;
  if (p.home == p.host)
    h.running_local += delta;
}

size_t MigdCore::view_index(int64_t id) const
{
  auto it = std::lower_bound(view_.processes.begin(), view_.processes.end(), id,
                             [](const ProcessView& v, int64_t i) { return v.id < i; });
  return static_cast<size_t>(it - view_.processes.begin());
}

void MigdCore::mirror(const BookProcess& p)
{
  size_t i = view_index(p.id);
  if (i == view_.processes.size() || view_.processes[i].id != p.id)
    view_.processes.insert(view_.processes.begin() + static_cast<std::ptrdiff_t>(i), ProcessView{});
  ProcessView& pv = view_.processes[i];
  pv.id = p.id;
  pv.client = p.client;
  pv.home = p.home;
  pv.host = p.host;
  pv.state = p.state;
  pv.started_s = p.started_s;
  pv.migration_cost_s = p.migration_cost_s;
  pv.migratable = p.migratable; // the backend's declaration; one lacking MIGRATE and EVICT declares false
  pv.run_start_s = p.run_start_s;
}

void MigdCore::unmirror(int64_t id)
{
  size_t i = view_index(id);
  if (i < view_.processes.size() && view_.processes[i].id == id)
    view_.processes.erase(view_.processes.begin() + static_cast<std::ptrdiff_t>(i));
}

void MigdCore::add_process(BookProcess p)
{
  p.host = p.home;
  p.state = ProcState::WAITING;
  p.run_start_s = 0;
  int left = -1;
  if (auto old = procs_.find(p.id); old != procs_.end()) {
    count_on_host(old->second, -1);
    left = old->second.host;
  }
  BookProcess& added = procs_[p.id] = std::move(p);
  mirror(added);
  check_freed(left);
}

void MigdCore::process_client(int64_t id, int client)
{
  BookProcess& p = procs_.at(id);
  p.client = client;
  mirror(p);
}

const BookProcess* MigdCore::process(int64_t id) const
{
  auto it = procs_.find(id);
  return it == procs_.end() ? nullptr : &it->second;
}

void MigdCore::process_changed(int64_t id, int host, ProcState state)
{
  BookProcess& p = procs_.at(id);
  if (p.state == ProcState::WAITING && state != ProcState::WAITING)
    p.run_start_s = actuator_.now();
  const int left = p.host;
  count_on_host(p, -1);
  p.host = host;
  p.state = state;
  count_on_host(p, +1);
  mirror(p);
  check_freed(left);
}

int MigdCore::foreign_on(int h) const
{
  return host(h).foreign;
}

// A host's view from its book entry, its loads sampled first when due; the holders' counts follow its holder.
void MigdCore::refresh_host_view(HostView& h, int i, double now)
{
  BookHost& s = hosts_[static_cast<size_t>(i)];
  double& until = loads_until_[static_cast<size_t>(i)];
  if (now >= until) {
    until = s.is_file_server ? std::numeric_limits<double>::infinity() : actuator_.sample_load(i, s);
    // -infinity: sampled anew for every view. One entry per host and time: a run queue that changes often
    // resamples many times before the same next sample.
    double& queued = queued_until_[static_cast<size_t>(i)];
    if (until < std::numeric_limits<double>::infinity() && until != queued) {
      loads_due_[until].push_back(i);
      queued = until;
    }
  }
  h.id = i;
  if (h.name != s.name)
    h.name = s.name;
  if (h.architecture != s.architecture)
    h.architecture = s.architecture;
  h.speed = s.speed;
  h.is_file_server = s.is_file_server;
  h.up = s.up;
  h.available = s.is_file_server ? false : s.available;
  h.owner_active = s.owner_active;
  h.last_input_s = s.last_input_s;
  h.idle_since_s = s.idle_since_s;
  h.load[0] = s.load[0];
  h.load[1] = s.load[1];
  h.load[2] = s.load[2];
  h.run_queue = s.run_queue;
  h.foreign = s.foreign;
  if (h.holder != s.holder)
    count_holder(h.holder, s.holder);
  h.holder = s.holder;
}

// held_by_client as ClusterView::count_holders would leave it: one host moves from client `from` to `to` (-1: none),
// and the list ends at the last client holding one.
void MigdCore::count_holder(int from, int to)
{
  std::vector<int>& held = view_.held_by_client;
  if (from >= 0)
    --held.at(static_cast<size_t>(from));
  if (to >= 0) {
    if (to >= static_cast<int>(held.size()))
      held.resize(static_cast<size_t>(to) + 1, 0);
    ++held[static_cast<size_t>(to)];
  }
  while (!held.empty() && held.back() == 0)
    held.pop_back();
}

void MigdCore::hand_over(RunResult& r)
{
  close_returns();
  r.migrations = std::move(migrations_);
  r.evictions = std::move(evictions_);
  r.decisions = std::move(decisions_);
  r.owner_returns = std::move(owner_returns_);
  migrations_.clear();
  evictions_.clear();
  decisions_.clear();
  owner_returns_.clear();
}

const ClusterView& MigdCore::view()
{
  ClusterView& v = view_;
  v.now_s = actuator_.now();
  while (!loads_due_.empty() && loads_due_.begin()->first <= v.now_s) {
    auto node = loads_due_.extract(loads_due_.begin());
    const double until = node.key();
    for (int i : node.mapped()) {
      if (until == queued_until_[static_cast<size_t>(i)])
        queued_until_[static_cast<size_t>(i)] = std::numeric_limits<double>::quiet_NaN();
      if (until == loads_until_[static_cast<size_t>(i)])
        touch(static_cast<size_t>(i));
    }
  }
  v.hosts.resize(hosts_.size());
  for (int i : touched_) {
    stale_[static_cast<size_t>(i)] = 0;
    refresh_host_view(v.hosts[static_cast<size_t>(i)], i, v.now_s);
  }
  touched_.clear();
  return v;
}

int MigdCore::place(int64_t id)
{
  const BookProcess& p = procs_.at(id);
  PolicyEvent ev;
  ev.kind = EventKind::PROCESS_ARRIVED;
  ev.client = p.client;
  ev.home = p.home;
  ev.proc = id;
  int where = p.home;
  dispatch(ev, {nullptr, &where});
  return where;
}

void MigdCore::process_exited(int64_t id)
{
  auto node = procs_.extract(id);
  count_on_host(node.mapped(), -1);
  unmirror(id);
  check_freed(node.mapped().host);
  PolicyEvent ev;
  ev.kind = EventKind::PROCESS_EXITED;
  ev.proc = id;
  ev.host = node.mapped().host;
  ev.home = node.mapped().home;
  dispatch(ev);
}

void MigdCore::process_landed(int64_t id)
{
  const BookProcess& p = procs_.at(id);
  PolicyEvent ev;
  ev.kind = EventKind::MIGRATION_DONE;
  ev.proc = id;
  ev.host = p.host;
  ev.home = p.home;
  dispatch(ev);
}

void MigdCore::process_moved(int64_t id, const MigrationRecord& rec)
{
  migrations_.push_back(rec);
  process_landed(id);
}

void MigdCore::move_refused(int64_t id, int target, const std::string& why)
{
  Decision d;
  d.kind = DecisionKind::MIGRATE;
  d.proc = ProcId(id);
  d.host = HostId(target);
  reject(d, why);
}

void MigdCore::process_restarted(int64_t id, int from, bool record)
{
  BookProcess& p = procs_.at(id);
  MigrationRecord r;
  r.time_s = actuator_.now();
  r.job_id = p.name;
  r.kind = MigrationKind::RESTART;
  r.from_host = host(from).name;
  r.to_host = host(p.home).name;
  if (record)
    migrations_.push_back(r);
  // It reruns from scratch at home: a process not waiting for a placement runs there at once.
  count_on_host(p, -1);
  p.host = p.home;
  if (p.state != ProcState::WAITING)
    p.state = ProcState::RUNNING;
  count_on_host(p, +1);
  p.run_start_s = r.time_s;
  mirror(p);
  check_freed(from);
}

std::vector<int> MigdCore::host_request(int client, int home, int count)
{
  ++stats_.requests;
  PolicyEvent ev;
  ev.kind = EventKind::HOST_REQUEST;
  ev.client = client;
  ev.home = home;
  ev.count = count;
  std::vector<int> granted;
  dispatch(ev, {&granted, nullptr});
  stats_.hosts_asked += static_cast<uint64_t>(count);
  stats_.hosts_granted += granted.size();
  if (static_cast<int>(granted.size()) >= count)
    ++stats_.requests_satisfied;
  else if (!granted.empty())
    ++stats_.requests_partial;
  return granted;
}

void MigdCore::end_hold(int h)
{
  BookHost& s = host(h);
  stats_.hold_s_total += actuator_.now() - s.grant_time_s;
  ++stats_.holds;
  s.holder = -1;
}

void MigdCore::host_released(int client, int h)
{
  if (host(h).holder != client)
    return; // already revoked: the client learns it on its next use
  end_hold(h);
  PolicyEvent ev;
  ev.kind = EventKind::HOST_RETURNED;
  ev.client = client;
  ev.host = h;
  Decision returned;
  returned.client = ClientId(client);
  returned.host = HostId(h);
  log(returned, ev, RecordedKind::RETURN_HOST); // not a decision, but the grant bookkeeping needs it
  dispatch(ev);
}

void MigdCore::owner_active(int h)
{
  BookHost& s = host(h);
  // A return is the owner coming back to a console the book had as unused: one already there when the run began
  // (the simulator seats them) is not one.
  const bool returned = !s.owner_active && !s.is_file_server;
  s.owner_active = true;
  s.available = false;
  if (returned)
    open_return(h);
  PolicyEvent ev;
  ev.kind = EventKind::OWNER_ACTIVE;
  ev.host = h;
  dispatch(ev);
}

void MigdCore::owner_left(int h, double last_input_s)
{
  BookHost& s = host(h);
  s.owner_active = false;
  s.last_input_s = last_input_s;
  returns_owner_left(h, last_input_s);
}

void MigdCore::evaluate(int h, const std::array<double, 3>& loads, const std::array<double, 3>& local)
{
  BookHost& s = host(h);
  double now = actuator_.now();
  double input_idle = s.owner_active ? 0 : now - s.last_input_s;
  // An owner at the console always refuses foreign work, whatever the input threshold (0 included).
  bool avail = s.up && !s.owner_active && idle_rule_.next_available(s.available, input_idle, loads, local);
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

void MigdCore::host_down(int h)
{
  BookHost& s = host(h);
  if (!s.up)
    return;
  s.up = false;
  s.available = false;
  s.eviction.start_s = -1;
  for (auto& [id, p] : procs_)
    if (p.host == h && p.home != h && p.state != ProcState::WAITING)
      process_restarted(id, h);
  PolicyEvent ev;
  ev.kind = EventKind::HOST_DOWN;
  ev.host = h;
  dispatch(ev);
}

void MigdCore::timer(double at_s)
{
  timers_.erase(at_s);
  PolicyEvent ev;
  ev.kind = EventKind::TIMER;
  dispatch(ev);
}

void MigdCore::restore(std::vector<MigrationRecord> m, std::vector<EvictionRecord> e, std::vector<DecisionRecord> d)
{
  migrations_.insert(migrations_.end(), m.begin(), m.end());
  evictions_.insert(evictions_.end(), e.begin(), e.end());
  decisions_.insert(decisions_.end(), d.begin(), d.end());
}

} // namespace spritesim
