// The coordinator as migd's actuator (see coordinator.hpp): the core's orders carried out through the agents (kill,
// stop, continue) with wall-clock time. Views, policy calls, stale rules, evictions and decision records are the
// core's (migd/migd_core.hpp). Real mode cannot move a running process (no checkpointing yet): its capability set
// has no MIGRATE or EVICT, so the core tells policies no process is migratable and they RESTART or SUSPEND instead.
#include "real/coordinator.hpp"

#include <algorithm>
#include <csignal>

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "real/auth.hpp"

namespace spritesim::real {

Coordinator::Coordinator(CoordinatorOptions options)
    : options_(std::move(options)),
      core_(make_policy(options_.policy, "--policy", "$.policy"), *this, options_.idle_rule)
{
  secret_ = read_secret_file(options_.secret_file);
  for (const Endpoint& e : options_.agents) {
    Host h;
    h.endpoint = e;
    hosts_.push_back(h);
    BookHost& b = core_.host(core_.add_host(e.text()));
    b.up = false; // until its agent answers
    b.available = false;
  }
  Host home;
  home.is_home = true;
  hosts_.push_back(home);
  BookHost& b = core_.host(core_.add_host("home"));
  b.available = false;
  b.owner_active = true; // someone is at the machine that runs rexec
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

bool Coordinator::send_control(int host, int64_t job, AgentAction action)
{
  auto conn = hosts_[static_cast<size_t>(host)].conn;
  if (!conn)
    return false;
  try {
    conn->send({{"type", "control"}, {"job", job}, {"action", to_string(action)}});
    return true;
  } catch (const std::exception&) {
    conn->shutdown();
    return false;
  }
}

std::string Coordinator::migrate(const BookProcess&, int) { return MigdCore::incapable_reason(DecisionKind::MIGRATE); }

std::string Coordinator::evict(const BookProcess&, EvictionReason, bool)
{
  return MigdCore::incapable_reason(DecisionKind::EVICT);
}

std::string Coordinator::restart(const BookProcess& p, EvictionReason, bool)
{
  int from = p.host;
  if (!send_control(from, p.id, AgentAction::KILL))
    return "the agent is unreachable"; // its processes are rerun at home when migd notices it down
  links_[p.id].kill_generation = hosts_[static_cast<size_t>(from)].generation;
  // From now on the job is the client's to rerun at home (it learns of the kill from the agent).
  core_.process_restarted(p.id, from);
  return "";
}

std::string Coordinator::suspend(const BookProcess& p, bool)
{
  if (!send_control(p.host, p.id, AgentAction::STOP))
    return "the agent is unreachable";
  core_.process_changed(p.id, p.host, ProcState::SUSPENDED);
  return "";
}

std::string Coordinator::resume(const BookProcess& p)
{
  if (!send_control(p.host, p.id, AgentAction::CONT))
    return "the agent is unreachable";
  core_.process_changed(p.id, p.host, ProcState::RUNNING);
  return "";
}

void Coordinator::wake_at(double at_s)
{
  timers_.insert(at_s);
  timer_cv_.notify_all();
}

void Coordinator::policy_error(const PolicyEvent& ev, const std::string& what)
{
  // A policy that breaks the contract must not take the coordinator down with it (migd_decisions.cpp: the event
  // goes unanswered, refused decisions are kept for the next call).
  fmt::print(stderr, "migd: the policy's answer to {} was refused: {}\n", to_string(ev.kind), what);
}

void Coordinator::policy_failed(const std::string& what)
{
  // Without a policy nothing more can be decided: migd stops as on SIGTERM (a last checkpoint, the --out files
  // written), but with exit status 2. Called under mutex_, which the stopping thread waits for.
  fmt::print(stderr, "migd: error: {}; stopping\n", what);
  policy_failed_ = true;
  kill(getpid(), SIGTERM);
}

void Coordinator::evaluate(int host)
{
  const BookHost& s = core_.host(host);
  std::array<double, 3> loads, without;
  host_loads(host, loads, without);
  bool was = s.available;
  core_.evaluate(host, loads, without);
  if (!was && s.available)
    checkpoint_locked();
  // Idleness that disappears from every host is said, once, not left for users to guess from builds run at home
  // (the reasons are put in words only then: this runs on every agent report).
  if (some_host_takes_foreign_work() != no_host_)
    return;
  no_host_ = !no_host_;
  if (no_host_)
    fmt::print(stderr, "migd: {}; commands run where they are started until one does\n", no_host_reason());
  else
    fmt::print(stderr, "migd: {} takes foreign work again\n", s.name);
}

bool Coordinator::some_host_takes_foreign_work() const
{
  for (size_t h = 0; h < hosts_.size(); ++h) {
    const BookHost& s = core_.host(static_cast<int>(h));
    if (!hosts_[h].is_home && s.up && s.available && !s.owner_active)
      return true;
  }
  return false;
}

void Coordinator::host_loads(int host, std::array<double, 3>& loads, std::array<double, 3>& without) const
{
  const BookHost& s = core_.host(host);
  const int foreign = core_.foreign_on(host);
  for (size_t i = 0; i < 3; ++i) {
    loads[i] = s.load[i];
    without[i] = std::max(0.0, s.load[i] - foreign); // migd subtracts low-priority foreign processes (SRC migd.c)
  }
}

std::string Coordinator::refusal(int host) const
{
  const BookHost& s = core_.host(host);
  if (!s.up)
    return "not reporting";
  if (s.owner_active)
    return "its owner is at the console";
  std::array<double, 3> loads, without;
  host_loads(host, loads, without);
  return core_.idle_rule().refusal(false, now() - s.last_input_s, loads, without);
}

std::string Coordinator::no_host_reason() const
{
  if (some_host_takes_foreign_work())
    return "";
  std::vector<std::string> why;
  for (size_t h = 0; h < hosts_.size(); ++h) {
    if (hosts_[h].is_home)
      continue;
    const BookHost& s = core_.host(static_cast<int>(h));
    std::string reason = refusal(static_cast<int>(h));
    why.push_back(fmt::format("{} ({})", s.name, reason.empty() ? "not yet evaluated" : reason));
  }
  if (why.empty())
    return "";
  constexpr size_t SHOWN = 8; // the answer's `why` stays short whatever the cluster's size
  std::string more = why.size() > SHOWN ? fmt::format("; and {} more", why.size() - SHOWN) : "";
  why.resize(std::min(why.size(), SHOWN));
  return fmt::format("no host takes foreign work: {}{}", fmt::join(why, "; "), more);
}

} // namespace spritesim::real
