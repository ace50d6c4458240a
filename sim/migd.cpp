// The simulator's migd actuator and event feeder (see migd.hpp); every rule about views, policy calls, stale
// decisions, evictions and records is the core's (migd/migd_core.hpp).
#include "sim/migd.hpp"

#include <cmath>

#include <fmt/format.h>

namespace spritesim {

GlobalMigd::GlobalMigd(Cluster& cluster, std::unique_ptr<Policy> policy, MigdOptions options)
    : cluster_(cluster), options_(std::move(options)), core_(std::move(policy), *this, options_.idle_rule)
{
  double ref_speed = cluster_.host(0)->get_speed();
  for (int i = 0; i < cluster_.hosts(); ++i)
    core_.add_host(cluster_.name(i), cluster_.is_file_server(i), cluster_.host(i)->get_speed() / ref_speed,
                   cluster_.architecture(i));
  hosts_.resize(static_cast<size_t>(cluster.workstations()));
}

GlobalMigd::~GlobalMigd() = default;

double GlobalMigd::now() const { return sg4::Engine::get_clock(); }

double GlobalMigd::sample_load(int host, BookHost& h) const
{
  const HostState& s = hosts_[static_cast<size_t>(host)];
  double t = now();
  auto load = s.load.at(t);
  std::copy(load.begin(), load.end(), h.load);
  h.run_queue = s.load.run_queue();
  // The answer holds until the next 5 s sample (recount says when the run queue changes first); a hair earlier,
  // so that rounding in t / 5 never keeps an answer past its sample.
  return (std::floor(t / LOAD_SAMPLE_S) + 1) * LOAD_SAMPLE_S * (1 - 1e-12);
}

double GlobalMigd::foreign_cpu_s(int host) const
{
  double cpu = hosts_[static_cast<size_t>(host)].foreign_cpu_s;
  for (const auto& [id, p] : procs_)
    if (p->host() == host && p->home() != host)
      cpu += p->burst_cpu_s();
  return cpu;
}

std::string GlobalMigd::migrate(const BookProcess& p, int target)
{
  MigrationKind kind = target == p.home   ? MigrationKind::TO_HOME
                      : p.host == p.home ? MigrationKind::FROM_HOME
                                         : MigrationKind::REMOTE;
  return proc(p).request(DecisionKind::MIGRATE, target, kind);
}

std::string GlobalMigd::evict(const BookProcess& p, EvictionReason, bool eviction)
{
  return proc(p).request(DecisionKind::EVICT, -1, MigrationKind::EVICT, eviction);
}

std::string GlobalMigd::restart(const BookProcess& p, EvictionReason, bool eviction)
{
  return proc(p).request(DecisionKind::RESTART, -1, MigrationKind::RESTART, eviction);
}

std::string GlobalMigd::suspend(const BookProcess& p, bool eviction)
{
  return proc(p).request(DecisionKind::SUSPEND, -1, MigrationKind::EVICT, eviction);
}

std::string GlobalMigd::resume(const BookProcess& p) { return proc(p).request(DecisionKind::RESUME); }

void GlobalMigd::revoked(int client, int host)
{
  if (auto it = clients_.find(client); it != clients_.end())
    it->second(host);
}

void GlobalMigd::wake_at(double at_s)
{
  // On the actor pool: a policy's timers come by the thousand (lifetime, mosix, condor), each a short wait.
  cluster_.actors().start("migd-timer", cluster_.host(cluster_.file_server()), [this, at_s] {
    sg4::this_actor::sleep_until(at_s);
    core_.timer(at_s);
  });
}

void GlobalMigd::policy_error(const PolicyEvent& ev, const std::string& what)
{
  // A policy that breaks its contract makes the run invalid (its numbers are not written as results).
  audit_.violation(fmt::format("the policy's answer to {} was refused: {}", to_string(ev.kind), what));
}

void GlobalMigd::policy_failed(const std::string& what)
{
  // The run goes on to its end with every event unanswered (processes run at home; no wall time is spent on a
  // policy that answers nothing), and fails its audit with this as its first line.
  audit_.violation(fmt::format("the policy failed, and nothing was decided after that: {}", what));
}

void GlobalMigd::register_client(int client, std::function<void(int)> on_revoke)
{
  clients_[client] = std::move(on_revoke);
}

void GlobalMigd::release_all(int client)
{
  for (int h = 0; h < cluster_.workstations(); ++h)
    if (core_.host(h).holder == client)
      release(client, h);
}

SimProcess& GlobalMigd::create_process(const std::string& name, int client, int home, ProcessFootprint footprint)
{
  int64_t id = next_pid_++;
  auto p = std::make_unique<SimProcess>(cluster_, *this, id, name, client, home, footprint);
  BookProcess b;
  b.id = id;
  b.name = name;
  b.client = client;
  b.home = home;
  b.started_s = p->started_s();
  b.migration_cost_s = p->migration_cost_s();
  b.migratable = options_.processes_migratable;
  core_.add_process(b);
  SimProcess& ref = *p;
  procs_[id] = std::move(p);
  return ref;
}

void GlobalMigd::exited(SimProcess& proc, double expected_work)
{
  // The work it did, summed over every burst on every host since its last restart, is what it was asked (up to
  // the engine's rounding): a move, suspension or cancelled burst neither loses nor adds CPU.
  if (expected_work >= 0 && std::abs(proc.work_done() - expected_work) > 1e-6 * expected_work + 1.0)
    audit_.violation(fmt::format("CPU not conserved: {} computed {:.6g} reference instructions of the {:.6g} asked",
                                 proc.name(), proc.work_done(), expected_work));
  remote_cpu_s_ += proc.remote_cpu_s();
  int64_t id = proc.id();
  proc.finish(); // exiting before its eviction was carried out frees the host all the same
  auto node = procs_.extract(id); // keep it alive until the policy has been told
  core_.process_exited(id);
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
  core_.process_changed(proc.id(), proc.host(), proc.state());
  if (old_host >= 0 && old_host != proc.host())
    recount(old_host);
  recount(proc.host());
}

void GlobalMigd::recount(int h)
{
  if (h < 0 || h >= cluster_.workstations())
    return;
  // Every host of one physical machine (platform.machine) sees the machine's run queue, as agents reading its
  // /proc/loadavg do; a host's local load leaves out its own foreign processes. Alone on its machine, a host sees
  // its own.
  const MigdCore& book = core_;
  const int first = cluster_.machine_of(h);
  int end = first, machine = 0;
  for (; end < cluster_.workstations() && cluster_.machine_of(end) == first; ++end)
    machine += book.host(end).running;
  double t = now();
  for (int g = first; g < end; ++g) {
    const BookHost& b = book.host(g);
    const int all = machine, local = machine - (b.running - b.running_local);
    HostState& s = host(g);
    if (all != s.load.run_queue()) {
      s.load.set_run_queue(t, all);
      core_.loads_changed(g);
    }
    if (local != s.load_local.run_queue())
      s.load_local.set_run_queue(t, local);
    host_changed(g);
  }
}

bool GlobalMigd::accepts_foreign(int h) const
{
  const BookHost& s = core_.host(h);
  return s.up && !s.owner_active;
}

void GlobalMigd::evaluate(int h)
{
  const HostState& s = host(h);
  double t = now();
  core_.evaluate(h, s.load.at(t), s.load_local.at(t));
}

} // namespace spritesim
