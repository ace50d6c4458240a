// Unit tests for the baseline policies: "random" (uniform over available hosts, seeded and deterministic),
// "least-loaded" (lowest 1-minute load past a margin, spreading bursts) and "remote-exec" (placement like Sprite, no
// migration: owner return kills and reruns at home).
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <vector>

#include "tests/unit/test_policy_fixtures.hpp"

using namespace spritesim;
using namespace spritesim::test;

namespace {

PolicyEvent arrive(int64_t id, int home) { return on_proc(EventKind::PROCESS_ARRIVED, id, -1, home); }

// A cluster of n hosts with `waiting` processes 1..waiting exec'd at h0.
ClusterView with_arrivals(int n, int waiting)
{
  ClusterView v = cluster(n, 1);
  for (int i = 1; i <= waiting; ++i)
    add_process(v, i, 0, 0, ProcState::WAITING);
  return v;
}

std::vector<PolicyEvent> arrivals(int waiting)
{
  std::vector<PolicyEvent> out;
  for (int i = 1; i <= waiting; ++i)
    out.push_back(arrive(i, 0));
  return out;
}

} // namespace

TEST_CASE("random places and grants only on available hosts, uniformly, and the same seed gives the same answer")
{
  ClusterView v = with_arrivals(6, 400);
  v.hosts[1].available = false;
  v.hosts[2].owner_active = true;
  v.hosts[3].up = false;
  v.hosts[4].is_file_server = true;
  // Only h5 is left (h0 is home): every arrival goes there.
  auto ds = make("random")->decide(v, arrivals(400));
  REQUIRE(ds.size() == 400);
  for (const auto& d : ds)
    CHECK(d.host == HostId(5));

  ClusterView wide = with_arrivals(5, 400);
  std::map<int, int> counts;
  auto first = make("random", {{"seed", 42}})->decide(wide, arrivals(400));
  for (const auto& d : first)
    ++counts[d.host.value()];
  // h1..h4, about 100 each (a 6-sigma band keeps the test honest and stable).
  CHECK(counts.size() == 4);
  CHECK(counts.count(0) == 0);
  for (const auto& [host, n] : counts) {
    CAPTURE(host);
    CHECK(n > 40);
    CHECK(n < 160);
  }
  auto again = make("random", {{"seed", 42}})->decide(wide, arrivals(400));
  auto other = make("random", {{"seed", 43}})->decide(wide, arrivals(400));
  CHECK(hosts_of(first, DecisionKind::PLACE) == hosts_of(again, DecisionKind::PLACE));
  CHECK(hosts_of(first, DecisionKind::PLACE) != hosts_of(other, DecisionKind::PLACE));

  // Grants are distinct, never the home or a held host.
  ClusterView g = cluster(6, 2);
  hold(g, 3, 1);
  auto grants = hosts_of(make("random", {{"seed", 7}})->decide(g, {request(0, 2, 10)}), DecisionKind::GRANT_HOST);
  CHECK(std::set<int>(grants.begin(), grants.end()) == std::set<int>{0, 1, 4, 5});
}

TEST_CASE("random evicts home on owner return and copes with refusals")
{
  ClusterView v = cluster(3, 1);
  add_process(v, 1, 0, 2);
  v.hosts[2].owner_active = true;
  auto p = make("random");
  CHECK(procs_of(p->decide(v, {on_host(EventKind::OWNER_ACTIVE, 2)}), DecisionKind::EVICT) == std::vector<int64_t>{1});
  CHECK(p->decide(v, {rejected({DecisionKind::EVICT, ClientId(-1), HostId(-1), ProcId(1)}, "process exited")}).empty());
}

TEST_CASE("least-loaded picks the lowest 1-minute load (ties by id) only past the margin, and spreads a burst")
{
  ClusterView v = with_arrivals(5, 3);
  v.hosts[0].load[0] = 2.0; // home
  v.hosts[1].load[0] = 1.0;
  v.hosts[2].load[0] = 0.2;
  v.hosts[3].load[0] = 0.2;
  v.hosts[4].load[0] = 0.0;
  v.hosts[4].available = false; // the lightest, but its owner's rule says no
  auto ds = make("least-loaded")->decide(v, arrivals(3));
  // h2 (0.2, lower id than h3), then h3 (0.2 < 1.2), then h1 (1.0 < home 2.0 - 0.5); ties broken by id.
  CHECK(hosts_of(ds, DecisionKind::PLACE) == std::vector<int>{2, 3, 1});

  // A margin of 1.5: only targets below 0.5 qualify, and each placement raises the target's projected load.
  ds = make("least-loaded", {{"load_margin", 1.5}})->decide(v, arrivals(3));
  CHECK(hosts_of(ds, DecisionKind::PLACE) == std::vector<int>{2, 3});

  // A home as light as the best target keeps its process.
  v.hosts[0].load[0] = 0.2;
  CHECK(make("least-loaded")->decide(v, arrivals(1)).empty());

  // Grants follow the same order for a busy home.
  ClusterView g = cluster(4, 1);
  g.hosts[0].load[0] = 3;
  g.hosts[1].load[0] = 0.9;
  g.hosts[2].load[0] = 0.1;
  g.hosts[3].load[0] = 0.4;
  CHECK(hosts_of(make("least-loaded")->decide(g, {request(0, 0, 3)}), DecisionKind::GRANT_HOST) ==
        std::vector<int>{2, 3, 1});

  // Owner return: evict home.
  ClusterView o = cluster(3);
  add_process(o, 5, 0, 1);
  o.hosts[1].owner_active = true;
  CHECK(procs_of(make("least-loaded")->decide(o, {on_host(EventKind::OWNER_ACTIVE, 1)}), DecisionKind::EVICT) ==
        std::vector<int64_t>{5});
}

TEST_CASE("remote-exec places like Sprite and, when the owner returns, reruns foreign processes at home")
{
  ClusterView v = with_arrivals(4, 2);
  v.hosts[2].idle_since_s = 5;
  auto ds = make("remote-exec")->decide(v, arrivals(2));
  CHECK(hosts_of(ds, DecisionKind::PLACE) == std::vector<int>{2, 1});
  CHECK(hosts_of(make("remote-exec")->decide(v, {request(0, 0, 2)}), DecisionKind::GRANT_HOST) ==
        std::vector<int>{2, 1});

  ClusterView o = cluster(4, 1);
  hold(o, 2, 0);
  add_process(o, 1, 0, 2, ProcState::RUNNING, 0);
  add_process(o, 2, 3, 2, ProcState::SUSPENDED);
  add_process(o, 3, 2, 2); // the owner's own
  o.hosts[2].owner_active = true;
  ds = make("remote-exec")->decide(o, {on_host(EventKind::OWNER_ACTIVE, 2)});
  REQUIRE(ds.size() == 3);
  // Restarts first (the holder's process too), then the revoke, so the backend has nothing left to migrate.
  CHECK(ds[0].kind == DecisionKind::RESTART);
  CHECK(ds[1].kind == DecisionKind::RESTART);
  CHECK(procs_of(ds, DecisionKind::RESTART) == std::vector<int64_t>{1, 2});
  CHECK(ds[2].kind == DecisionKind::REVOKE_HOST);
  CHECK(ds[2].client == ClientId(0));
  CHECK(of_kind(ds, DecisionKind::EVICT).empty());
  CHECK(of_kind(ds, DecisionKind::MIGRATE).empty());

  // It never migrates, whatever the load, and never asks for timers.
  ClusterView busy = cluster(3);
  for (int i = 1; i <= 5; ++i)
    add_process(busy, i, 0, 0);
  auto p = make("remote-exec");
  CHECK(p->decide(busy, {timer()}).empty());
  CHECK(p->decide(busy, {rejected({DecisionKind::RESTART, ClientId(), HostId(), ProcId(1)}, "process exited")})
            .empty());
}
