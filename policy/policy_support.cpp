// Building blocks shared by the policies (see policy_support.hpp).
#include "policy/policy_support.hpp"

namespace spritesim {

uint64_t PolicyRng::below(uint64_t n)
{
  // Reject the top partial block of 2^64 so every residue is equally likely.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do
    x = gen_();
  while (x >= limit);
  return x % n;
}

double PolicyRng::unit()
{
  return static_cast<double>(gen_() >> 11) * 0x1.0p-53;
}

std::vector<const ProcessView*> foreign_on(const ClusterView& view, int host)
{
  std::vector<const ProcessView*> out;
  for (const auto& p : view.processes)
    if (p.host == host && p.home != host && (p.state == ProcState::RUNNING || p.state == ProcState::SUSPENDED))
      out.push_back(&p);
  return out;
}

int request_home(const ClusterView& view, const PolicyEvent& ev)
{
  return ev.home >= 0 ? ev.home : view.client_home(ev.client);
}

bool Answer::grant(int client, int host)
{
  if (!granted_.insert(host).second)
    return false;
  out_.push_back({DecisionKind::GRANT_HOST, ClientId(client), HostId(host)});
  ++held_delta_[client];
  return true;
}

bool Answer::revoke(int client, int host)
{
  if (!revoked_.insert(host).second)
    return false;
  out_.push_back({DecisionKind::REVOKE_HOST, ClientId(client), HostId(host)});
  --held_delta_[client];
  return true;
}

bool Answer::on_process(DecisionKind kind, int64_t proc, int host)
{
  if (!touched_.insert(proc).second)
    return false;
  out_.push_back({kind, ClientId(), HostId(host), ProcId(proc)});
  return true;
}

bool Answer::place(int64_t proc, int host)
{
  if (!on_process(DecisionKind::PLACE, proc, host))
    return false;
  ++delta_[host];
  return true;
}

bool Answer::migrate(int64_t proc, int host)
{
  const ProcessView* p = view_.process(proc);
  if (!p || !on_process(DecisionKind::MIGRATE, proc, host))
    return false;
  --delta_[p->host];
  ++delta_[host];
  return true;
}

bool Answer::evict(int64_t proc)
{
  const ProcessView* p = view_.process(proc);
  if (!p || touched(proc))
    return false;
  if (!p->migratable)
    return restart(proc);
  on_process(DecisionKind::EVICT, proc, -1);
  --delta_[p->host];
  ++delta_[p->home];
  return true;
}

bool Answer::restart(int64_t proc)
{
  const ProcessView* p = view_.process(proc);
  if (!p || !on_process(DecisionKind::RESTART, proc, -1))
    return false;
  --delta_[p->host];
  ++delta_[p->home];
  return true;
}

bool Answer::suspend(int64_t proc)
{
  return on_process(DecisionKind::SUSPEND, proc, -1);
}

bool Answer::resume(int64_t proc)
{
  return on_process(DecisionKind::RESUME, proc, -1);
}

int Answer::held(int client) const
{
  auto it = held_delta_.find(client);
  return view_.held(client) + (it == held_delta_.end() ? 0 : it->second);
}

int Answer::extra_load(int host) const
{
  auto it = delta_.find(host);
  return it == delta_.end() ? 0 : it->second;
}

void vacate_host(const ClusterView& view, int host, Answer& a)
{
  const HostView* h = view.host(host);
  if (!h)
    return;
  if (h->holder >= 0)
    a.revoke(h->holder, host); // the backend evicts the holder's processes itself
  for (const ProcessView* p : foreign_on(view, host))
    if (h->holder < 0 || p->client != h->holder)
      a.evict(p->id);
}

void evict_if_owner_back(const ClusterView& view, const PolicyEvent& done, Answer& a)
{
  const ProcessView* p = view.process(done.proc);
  const HostView* h = view.host(done.host);
  if (p && h && h->owner_active && p->host == h->id && p->home != h->id &&
      (p->state == ProcState::RUNNING || p->state == ProcState::SUSPENDED))
    a.evict(p->id);
}

void WakeBook::ensure(const ClusterView& view, double at_s, Answer& a)
{
  pending_.erase(pending_.begin(), pending_.upper_bound(view.now_s)); // delivered or overdue
  if (!pending_.empty() && *pending_.begin() <= at_s)
    return;
  pending_.insert(at_s);
  a.wake_at(at_s);
}

void evict_for_returning_owners(const ClusterView& view, const std::vector<PolicyEvent>& events, Answer& a)
{
  for (const auto& ev : events) {
    if (ev.kind == EventKind::OWNER_ACTIVE)
      vacate_host(view, ev.host, a);
    else if (ev.kind == EventKind::MIGRATION_DONE)
      evict_if_owner_back(view, ev, a);
  }
}

} // namespace spritesim
