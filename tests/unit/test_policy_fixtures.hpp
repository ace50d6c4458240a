// Scripted cluster views, events and decision filters shared by the policy unit tests (test_policy*.cpp).
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/cluster_view.hpp"
#include "policy/policy.hpp"

namespace spritesim::test {

/// n available, unheld, up workstations h0..h{n-1}, idle since 100 + id (h0 longest idle), keyboard idle for an
/// hour, for `clients` clients holding nothing; now = 1000 s.
inline ClusterView cluster(int n, int clients = 0)
{
  ClusterView v;
  v.now_s = 1000;
  for (int i = 0; i < n; ++i) {
    HostView h;
    h.id = i;
    h.name = "h" + std::to_string(i);
    h.idle_since_s = 100 + i;
    h.last_input_s = v.now_s - 3600;
    v.hosts.push_back(h);
  }
  v.held_by_client.assign(static_cast<size_t>(clients), 0);
  return v;
}

/// The host's keyboard idle for `idle_s` seconds at v.now_s.
inline void set_input_idle(const ClusterView& v, HostView& h, double idle_s) { h.last_input_s = v.now_s - idle_s; }

/// The process's current attempt running for `age_s` seconds at v.now_s.
inline void set_age(const ClusterView& v, ProcessView& p, double age_s) { p.run_start_s = v.now_s - age_s; }

inline void hold(ClusterView& v, int host, int client)
{
  v.hosts[static_cast<size_t>(host)].holder = client;
  if (client >= static_cast<int>(v.held_by_client.size()))
    v.held_by_client.resize(static_cast<size_t>(client) + 1, 0);
  ++v.held_by_client[static_cast<size_t>(client)];
}

/// Adds a process (kept sorted by id) and updates its host's run queue and foreign count.
inline ProcessView& add_process(ClusterView& v, int64_t id, int home, int host, ProcState state = ProcState::RUNNING,
                                int client = -1)
{
  ProcessView p;
  p.id = id;
  p.home = home;
  p.host = state == ProcState::WAITING ? home : host;
  p.state = state;
  p.client = client;
  if (state == ProcState::RUNNING)
    ++v.hosts[static_cast<size_t>(p.host)].run_queue;
  if (state != ProcState::WAITING && p.host != home)
    ++v.hosts[static_cast<size_t>(p.host)].foreign;
  auto at = std::lower_bound(v.processes.begin(), v.processes.end(), id,
                             [](const ProcessView& x, int64_t i) { return x.id < i; });
  return *v.processes.insert(at, p);
}

inline PolicyEvent request(int client, int home, int count)
{
  PolicyEvent e;
  e.kind = EventKind::HOST_REQUEST;
  e.client = client;
  e.home = home;
  e.count = count;
  return e;
}

inline PolicyEvent on_host(EventKind kind, int host)
{
  PolicyEvent e;
  e.kind = kind;
  e.host = host;
  return e;
}

inline PolicyEvent on_proc(EventKind kind, int64_t proc, int host = -1, int home = -1)
{
  PolicyEvent e;
  e.kind = kind;
  e.proc = proc;
  e.host = host;
  e.home = home;
  return e;
}

inline PolicyEvent timer()
{
  PolicyEvent e;
  e.kind = EventKind::TIMER;
  return e;
}

inline PolicyEvent rejected(Decision d, std::string why = "stale")
{
  PolicyEvent e;
  e.kind = EventKind::DECISION_REJECTED;
  e.rejected = d;
  e.reason = std::move(why);
  return e;
}

inline std::unique_ptr<Policy> make(const std::string& name, const nlohmann::json& params = nlohmann::json::object())
{
  return make_policy(name, params, "t.json", "$.policy");
}

/// The decisions of one kind, in answer order.
inline std::vector<Decision> of_kind(const std::vector<Decision>& ds, DecisionKind kind)
{
  std::vector<Decision> out;
  for (const auto& d : ds)
    if (d.kind == kind)
      out.push_back(d);
  return out;
}

inline std::vector<int> hosts_of(const std::vector<Decision>& ds, DecisionKind kind)
{
  std::vector<int> out;
  for (const auto& d : of_kind(ds, kind))
    out.push_back(d.host.value());
  return out;
}

inline std::vector<int64_t> procs_of(const std::vector<Decision>& ds, DecisionKind kind)
{
  std::vector<int64_t> out;
  for (const auto& d : of_kind(ds, kind))
    out.push_back(d.proc.value());
  std::sort(out.begin(), out.end());
  return out;
}

/// WAKE_AT times asked for, in answer order.
inline std::vector<double> wakes_of(const std::vector<Decision>& ds)
{
  std::vector<double> out;
  for (const auto& d : of_kind(ds, DecisionKind::WAKE_AT))
    out.push_back(d.at_s);
  return out;
}

/// A policy returning whatever decisions it is given, to exercise the runner's checks.
class Scripted final : public Policy {
public:
  explicit Scripted(std::vector<Decision> out) : out_(std::move(out)) {}

private:
  std::vector<Decision> do_decide(const ClusterView&, const std::vector<PolicyEvent>&) override { return out_; }
  std::vector<Decision> out_;
};

} // namespace spritesim::test
