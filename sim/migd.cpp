// The global migd's state and its use of the policy (see migd.hpp).
#include "sim/migd.hpp"

#include <stdexcept>

namespace spritesim {

GlobalMigd::GlobalMigd(Cluster& cluster, std::unique_ptr<Policy> policy)
    : cluster_(cluster), policy_(std::move(policy)),
      holder_(static_cast<size_t>(cluster.workstations()), -1),
      idle_since_(static_cast<size_t>(cluster.workstations()), 0.0)
{
}

ClusterView GlobalMigd::view() const
{
  ClusterView v;
  v.now_s = sg4::Engine::get_clock();
  for (int i = 0; i < cluster_.workstations(); ++i) {
    HostView h;
    h.id = i;
    h.name = cluster_.name(i);
    h.available = true; // no owners yet: every workstation meets the idle rule
    h.idle_since_s = idle_since_[static_cast<size_t>(i)];
    h.holder = holder_[static_cast<size_t>(i)];
    v.hosts.push_back(h);
    if (h.holder >= 0) {
      if (h.holder >= static_cast<int>(v.held_by_client.size()))
        v.held_by_client.resize(static_cast<size_t>(h.holder) + 1, 0);
      ++v.held_by_client[static_cast<size_t>(h.holder)];
    }
  }
  return v;
}

std::vector<int> GlobalMigd::request(int client, int home, int count)
{
  ++requests_;
  PolicyEvent ev;
  ev.kind = EventKind::HOST_REQUEST;
  ev.client = client;
  ev.home = home;
  ev.count = count;
  std::vector<int> granted;
  for (const auto& d : policy_->decide(view(), {ev})) {
    if (d.kind == DecisionKind::GRANT_HOST && d.client == client) {
      holder_[static_cast<size_t>(d.host)] = client;
      granted.push_back(d.host);
    }
    // REVOKE_HOST needs eviction, which comes with owners and the full migration path (not in this slice).
  }
  return granted;
}

void GlobalMigd::release(int client, int host)
{
  if (holder_.at(static_cast<size_t>(host)) != client)
    throw std::logic_error("migd: a client returned a host it does not hold");
  holder_[static_cast<size_t>(host)] = -1; // foreign use does not reset the owner's input idleness
}

void GlobalMigd::release_all(int client)
{
  for (int i = 0; i < static_cast<int>(holder_.size()); ++i)
    if (holder_[static_cast<size_t>(i)] == client)
      release(client, i);
}

} // namespace spritesim
