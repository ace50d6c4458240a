// The non-virtual policy runner: checks every decision a policy's hook returns against the view before any is
// counted or handed to a backend (see policy.hpp); the registry lives in policy_registry.cpp.
#include "policy/policy.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <set>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>


namespace spritesim {

const ProcessView* ClusterView::process(int64_t id) const
{
  auto it = std::lower_bound(processes.begin(), processes.end(), id,
                             [](const ProcessView& p, int64_t v) { return p.id < v; });
  return it != processes.end() && it->id == id ? &*it : nullptr;
}

const HostView* ClusterView::host(int id) const
{
  return id >= 0 && id < static_cast<int>(hosts.size()) ? &hosts[static_cast<size_t>(id)] : nullptr;
}

int ClusterView::held(int client) const
{
  return client >= 0 && client < static_cast<int>(held_by_client.size()) ? held_by_client[static_cast<size_t>(client)]
                                                                         : 0;
}

void ClusterView::count_holders()
{
  held_by_client.clear();
  for (const auto& h : hosts) {
    if (h.holder < 0)
      continue;
    if (h.holder >= static_cast<int>(held_by_client.size()))
      held_by_client.resize(static_cast<size_t>(h.holder) + 1, 0);
    ++held_by_client[static_cast<size_t>(h.holder)];
  }
}

int ClusterView::client_home(int client) const
{
  return client >= 0 && client < static_cast<int>(client_homes.size()) ? client_homes[static_cast<size_t>(client)]
                                                                       : -1;
}

PolicyEvent rejection_event(const Decision& refused, std::string why)
{
  PolicyEvent ev;
  ev.kind = EventKind::DECISION_REJECTED;
  ev.client = refused.client.value();
  ev.host = refused.host.value();
  ev.proc = refused.proc.value();
  ev.rejected = refused;
  ev.reason = std::move(why);
  return ev;
}

const char* to_string(ProcState s)
{
  switch (s) {
    case ProcState::WAITING: return "waiting";
    case ProcState::RUNNING: return "running";
    case ProcState::SUSPENDED: return "suspended";
    case ProcState::MIGRATING: return "migrating";
  }
  return "?";
}

namespace {

[[noreturn]] void reject(const Decision& d, const std::string& why)
{
  throw std::logic_error(fmt::format("policy decision {} (client {}, host {}, process {}) is invalid: {}",
                                     to_string(d.kind), d.client, d.host, d.proc, why));
}

const HostView& checked_host(const ClusterView& view, const Decision& d)
{
  if (!d.host.valid() || d.host.value() >= static_cast<int>(view.hosts.size()))
    reject(d, "unknown host");
  const HostView& h = view.hosts[static_cast<size_t>(d.host.value())];
  if (h.is_file_server)
    reject(d, "the file server runs no processes");
  return h;
}

const ProcessView& checked_process(const ClusterView& view, const Decision& d, std::set<ProcId>& touched)
{
  const ProcessView* p = view.process(d.proc.value());
  if (!p)
    reject(d, "unknown process");
  if (!touched.insert(d.proc).second)
    reject(d, "a second decision on the same process in one answer");
  return *p;
}

void check_state(const Decision& d, const ProcessView& p, std::initializer_list<ProcState> allowed)
{
  for (ProcState s : allowed)
    if (p.state == s)
      return;
  reject(d, fmt::format("the process is {}", to_string(p.state)));
}

// One answer's running state: what earlier decisions of the same answer changed.
struct AnswerState {
  std::set<HostId> granted;
  std::set<HostId> revoked;
  std::set<ProcId> touched;
};

bool is_home_of(const ClusterView& view, const std::vector<PolicyEvent>& events, ClientId c, HostId h)
{
  int client = c.value(), host = h.value();
  if (view.client_home(client) == host)
    return true;
  for (const auto& ev : events)
    if (ev.kind == EventKind::HOST_REQUEST && ev.client == client && ev.home == host)
      return true;
  return false;
}

void check(const ClusterView& view, const std::vector<PolicyEvent>& events, const Decision& d, AnswerState& st)
{
  switch (d.kind) {
    case DecisionKind::GRANT_HOST: {
      const HostView& h = checked_host(view, d);
      if (!d.client.valid())
        reject(d, "no client named");
      bool held = h.holder >= 0 && !st.revoked.count(d.host);
      if (!h.up || held || !st.granted.insert(d.host).second)
        reject(d, fmt::format("host {} is not free", h.name));
      if (is_home_of(view, events, d.client, d.host))
        reject(d, fmt::format("host {} is the client's own home", h.name));
      break;
    }
    case DecisionKind::REVOKE_HOST: {
      const HostView& h = checked_host(view, d);
      if (h.holder != d.client.value())
        reject(d, fmt::format("client {} does not hold host {}", d.client, h.name));
      if (!st.revoked.insert(d.host).second)
        reject(d, fmt::format("host {} is revoked twice", h.name));
      break;
    }
    case DecisionKind::PLACE: {
      const HostView& h = checked_host(view, d);
      const ProcessView& p = checked_process(view, d, st.touched);
      check_state(d, p, {ProcState::WAITING});
      if (!h.up)
        reject(d, fmt::format("host {} is down", h.name));
      break;
    }
    case DecisionKind::MIGRATE: {
      const HostView& h = checked_host(view, d);
      const ProcessView& p = checked_process(view, d, st.touched);
      check_state(d, p, {ProcState::RUNNING, ProcState::SUSPENDED});
      if (!h.up || h.id == p.host || !p.migratable)
        reject(d, "the process cannot move there");
      break;
    }
    case DecisionKind::EVICT: {
      const ProcessView& p = checked_process(view, d, st.touched);
      check_state(d, p, {ProcState::RUNNING, ProcState::SUSPENDED});
      if (p.host == p.home)
        reject(d, "the process is already at home");
      if (!p.migratable)
        reject(d, "the process cannot migrate (RESTART it instead)");
      break;
    }
    case DecisionKind::SUSPEND:
      check_state(d, checked_process(view, d, st.touched), {ProcState::RUNNING});
      break;
    case DecisionKind::RESUME:
      check_state(d, checked_process(view, d, st.touched), {ProcState::SUSPENDED});
      break;
    case DecisionKind::RESTART:
      check_state(d, checked_process(view, d, st.touched), {ProcState::RUNNING, ProcState::SUSPENDED});
      break;
    case DecisionKind::WAKE_AT:
      if (!std::isfinite(d.at_s) || !(d.at_s > view.now_s))
        reject(d, fmt::format("wake-up at {} is not after now ({})", d.at_s, view.now_s));
      break;
  }
}

} // namespace

std::vector<Decision> Policy::decide(const ClusterView& view, const std::vector<PolicyEvent>& events)
{
  ++calls_;
  std::vector<Decision> out = do_decide(view, events);
  AnswerState st;
  try {
    for (const auto& d : out)
      check(view, events, d, st);
  } catch (const std::logic_error& e) {
    if (std::string who = error_context(); !who.empty())
      throw std::logic_error(who + ": " + e.what());
    throw;
  }
  // Count only once the whole answer is valid, so a refused answer leaves every counter as it was.
  for (const auto& d : out)
    ++by_kind_[static_cast<size_t>(d.kind)];
  decisions_ += out.size();
  return out;
}

} // namespace spritesim
