// Unit tests for the "sprite" policy: longest-idle-first grants, fairness reclaim (biggest holder, margin, never
// leaving the victim below the requester), exec-time placement of arrivals, eviction on owner return, and how it
// copes with refused decisions.
#include <doctest/doctest.h>

#include <vector>

#include "tests/unit/test_policy_fixtures.hpp"

using namespace spritesim;
using namespace spritesim::test;

namespace {

std::unique_ptr<Policy> sprite(int margin = 2, bool place = true, bool evict = true)
{
  return make("sprite", {{"fairness_margin", margin}, {"place_arrivals", place}, {"evict_on_owner", evict}});
}

} // namespace

TEST_CASE("sprite grants the longest-idle free hosts, never the home, a held, unavailable, busy or server host")
{
  ClusterView v = cluster(9, 3);
  v.hosts[0].idle_since_s = 500; // h0 became idle last
  v.hosts[5].idle_since_s = 10;  // h5 is the longest idle but the requester's home
  v.hosts[6].idle_since_s = 20;  // longest idle of the rest
  v.hosts[1].available = false;
  v.hosts[2].is_file_server = true;
  v.hosts[8].owner_active = true;
  hold(v, 3, 1);
  // Free and eligible for client 0 (home h5): h6 (20), h4 (104), h7 (107), h0 (500).
  std::vector<Decision> ds = sprite()->decide(v, {request(0, 5, 3)});
  REQUIRE(ds.size() == 3);
  CHECK(hosts_of(ds, DecisionKind::GRANT_HOST) == std::vector<int>{6, 4, 7});
  for (const auto& d : ds)
    CHECK(d.client == ClientId(0));

  // Asking for more than there is grants every eligible host and nothing else.
  ds = sprite()->decide(v, {request(0, 5, 10)});
  CHECK(hosts_of(ds, DecisionKind::GRANT_HOST) == std::vector<int>{6, 4, 7, 0});
  CHECK(hosts_of(ds, DecisionKind::REVOKE_HOST).empty());

  // A host running a foreign process is not free.
  ClusterView busy = v;
  add_process(busy, 1, 0, 6);
  CHECK(hosts_of(sprite()->decide(busy, {request(0, 5, 1)}), DecisionKind::GRANT_HOST) == std::vector<int>{4});

  // Ties on idle time go to the lower host id.
  ClusterView tie = cluster(4, 1);
  for (auto& h : tie.hosts)
    h.idle_since_s = 7;
  CHECK(hosts_of(sprite()->decide(tie, {request(0, 1, 2)}), DecisionKind::GRANT_HOST) == std::vector<int>{0, 2});

  // A request for nothing, a returned host, an idle owner and a host going down decide nothing.
  CHECK(sprite()->decide(v, {request(0, 5, 0)}).empty());
  PolicyEvent returned = on_host(EventKind::HOST_RETURNED, 3);
  returned.client = 1;
  CHECK(sprite()->decide(v, {returned, on_host(EventKind::OWNER_IDLE, 4), on_host(EventKind::HOST_DOWN, 1)}).empty());
}

TEST_CASE("sprite: requests in one call never get the same host")
{
  ClusterView v = cluster(5, 2);
  std::vector<Decision> ds = sprite()->decide(v, {request(0, 0, 2), request(1, 4, 2)});
  REQUIRE(ds.size() == 4);
  CHECK(ds[0].client == ClientId(0));
  CHECK(ds[1].client == ClientId(0));
  CHECK(ds[2].client == ClientId(1));
  CHECK(ds[3].client == ClientId(1));
  CHECK(hosts_of(ds, DecisionKind::GRANT_HOST) == std::vector<int>{1, 2, 0, 3});
}

TEST_CASE("sprite fairness: a request finding no free host takes one from the biggest holder, past the margin")
{
  SUBCASE("biggest holder has requester + 2: one of its hosts changes hands")
  {
    ClusterView v = cluster(7, 3);
    v.hosts[5].available = false;
    v.hosts[6].available = false;
    hold(v, 0, 0);
    hold(v, 1, 2);
    hold(v, 2, 2);
    hold(v, 3, 2);
    hold(v, 4, 1); // the requester holds 1, client 2 holds 3 = 1 + 2, client 0 holds 1
    add_process(v, 1, 6, 1, ProcState::RUNNING, 2);
    add_process(v, 2, 6, 3, ProcState::RUNNING, 2);
    std::vector<Decision> ds = sprite()->decide(v, {request(1, 5, 1)});
    REQUIRE(ds.size() == 2);
    CHECK(ds[0].kind == DecisionKind::REVOKE_HOST);
    CHECK(ds[0].client == ClientId(2));
    CHECK(ds[0].host == HostId(2)); // the victim's host with nothing to evict
    CHECK(ds[1].kind == DecisionKind::GRANT_HOST);
    CHECK(ds[1].client == ClientId(1));
    CHECK(ds[1].host == HostId(2));
    // After the hand-over the victim (2 hosts) still has no fewer than the requester it served (2).
  }
  SUBCASE("biggest holder has requester + 1: nothing, whatever the margin")
  {
    ClusterView v = cluster(5, 3);
    v.hosts[4].available = false;
    hold(v, 0, 0);
    hold(v, 1, 2);
    hold(v, 2, 2);
    hold(v, 3, 1); // requester 1 holds 1, client 2 holds 2
    CHECK(sprite()->decide(v, {request(1, 4, 1)}).empty());
  }
  SUBCASE("the margin is respected: 3 needs a gap of 3")
  {
    ClusterView v = cluster(6, 2);
    v.hosts[4].available = false;
    v.hosts[5].available = false;
    hold(v, 0, 0);
    hold(v, 1, 0);
    hold(v, 2, 0);
    hold(v, 3, 1); // requester 1 holds 1, client 0 holds 3: gap 2
    CHECK(sprite(3)->decide(v, {request(1, 5, 1)}).empty());
    CHECK(sprite(2)->decide(v, {request(1, 5, 1)}).size() == 2);
    hold(v, 4, 0); // gap 3
    auto ds = sprite(3)->decide(v, {request(1, 5, 1)});
    REQUIRE(ds.size() == 2);
    CHECK(ds[0].client == ClientId(0));
    CHECK(ds[1].client == ClientId(1));
  }
  SUBCASE("a requester holding nothing reclaims from a holder of two, never from a holder of one")
  {
    ClusterView v = cluster(3, 3);
    hold(v, 0, 0);
    hold(v, 1, 0);
    hold(v, 2, 1);
    std::vector<Decision> ds = sprite()->decide(v, {request(2, 2, 1)});
    REQUIRE(ds.size() == 2);
    CHECK(ds[0].kind == DecisionKind::REVOKE_HOST);
    CHECK(ds[0].client == ClientId(0));
    CHECK((ds[0].host == HostId(0) || ds[0].host == HostId(1)));

    ClusterView one = cluster(2, 3);
    hold(one, 0, 0);
    hold(one, 1, 1);
    CHECK(sprite()->decide(one, {request(2, 0, 1)}).empty());
  }
  SUBCASE("the biggest holder is the victim, not merely one past the margin")
  {
    ClusterView v = cluster(8, 3);
    for (int h : {0, 1, 2})
      hold(v, h, 0);
    for (int h : {3, 4, 5, 6})
      hold(v, h, 1);
    hold(v, 7, 2);
    std::vector<Decision> ds = sprite()->decide(v, {request(2, 7, 1)});
    REQUIRE(ds.size() == 2);
    CHECK(ds[0].client == ClientId(1));
  }
  SUBCASE("the reclaimed host is never the requester's home, nor a host whose owner is back")
  {
    ClusterView v = cluster(4, 2);
    for (int h : {0, 1, 2, 3})
      hold(v, h, 0);
    v.hosts[1].owner_active = true;
    std::vector<Decision> ds = sprite()->decide(v, {request(1, 0, 1)});
    REQUIRE(ds.size() == 2);
    CHECK(ds[0].host == HostId(2));
  }
  SUBCASE("a request that gets some free hosts reclaims nothing")
  {
    ClusterView v = cluster(5, 2);
    for (int h : {0, 1, 2, 3})
      hold(v, h, 0);
    std::vector<Decision> ds = sprite()->decide(v, {request(1, 0, 3)});
    CHECK(hosts_of(ds, DecisionKind::GRANT_HOST) == std::vector<int>{4});
    CHECK(hosts_of(ds, DecisionKind::REVOKE_HOST).empty());
  }
  SUBCASE("the requester itself is never the victim, and two requests in one call see each other's gains")
  {
    ClusterView v = cluster(3, 2);
    for (int h : {0, 1, 2})
      hold(v, h, 0);
    CHECK(sprite()->decide(v, {request(0, 1, 1)}).empty());

    ClusterView w = cluster(5, 3);
    for (int h : {0, 1, 2, 3, 4})
      hold(w, h, 0);
    // Client 0 holds 5. Client 1 takes one (5 -> 4), client 2 one (4 -> 3), client 1 another (3 -> 2, client 1
    // has 2). Client 2 (1 host) then finds 0 and 1 at 2 hosts each: no gap of 2, nothing.
    auto ds = sprite()->decide(w, {request(1, 4, 1), request(2, 4, 1), request(1, 4, 1), request(2, 4, 1)});
    auto revokes = of_kind(ds, DecisionKind::REVOKE_HOST);
    auto grants = of_kind(ds, DecisionKind::GRANT_HOST);
    REQUIRE(revokes.size() == 3);
    REQUIRE(grants.size() == 3);
    for (const auto& r : revokes)
      CHECK(r.client == ClientId(0));
    CHECK(grants[0].client == ClientId(1));
    CHECK(grants[1].client == ClientId(2));
    CHECK(grants[2].client == ClientId(1));
  }
}

TEST_CASE("sprite places arrivals at exec on the longest-idle free host, one per host, else at home")
{
  ClusterView v = cluster(5, 1);
  v.hosts[3].idle_since_s = 1;
  v.hosts[0].owner_active = true; // the user exec'ing at h0 is at its console
  v.hosts[2].owner_active = true;
  hold(v, 4, 0);
  add_process(v, 1, 0, 0, ProcState::WAITING);
  add_process(v, 2, 0, 0, ProcState::WAITING);
  add_process(v, 3, 0, 0, ProcState::WAITING);
  add_process(v, 4, 1, 1, ProcState::WAITING, 0); // client 0's process may use client 0's host h4
  auto arrive = [](int64_t id, int home) { return on_proc(EventKind::PROCESS_ARRIVED, id, -1, home); };
  auto ds = sprite()->decide(v, {arrive(1, 0), arrive(2, 0), arrive(3, 0), arrive(4, 1)});
  auto places = of_kind(ds, DecisionKind::PLACE);
  REQUIRE(places.size() == 3);
  CHECK(places[0].proc == ProcId(1));
  CHECK(places[0].host == HostId(3)); // longest idle
  CHECK(places[1].proc == ProcId(2));
  CHECK(places[1].host == HostId(1));
  CHECK(places[2].proc == ProcId(4)); // process 3 finds no free host and runs at home (no PLACE)
  CHECK(places[2].host == HostId(4));

  // place_arrivals = false: everything runs at home.
  CHECK(sprite(2, false)->decide(v, {arrive(1, 0)}).empty());
  // An arrival the view does not show as waiting is ignored.
  CHECK(sprite()->decide(v, {arrive(77, 0)}).empty());
}

TEST_CASE("sprite: an owner's return revokes the grant and evicts every other foreign process home")
{
  ClusterView v = cluster(4, 2);
  hold(v, 2, 0);
  add_process(v, 1, 0, 2, ProcState::RUNNING, 0);   // the holder's: evicted by the revoke
  add_process(v, 2, 1, 2, ProcState::RUNNING);      // an independent process: evicted
  add_process(v, 3, 3, 2, ProcState::SUSPENDED);    // suspended: evicted too
  add_process(v, 4, 3, 2, ProcState::RUNNING).migratable = false; // cannot migrate: rerun at home
  add_process(v, 5, 2, 2, ProcState::RUNNING);      // the owner's own: untouched
  add_process(v, 6, 0, 1, ProcState::RUNNING);      // elsewhere: untouched
  v.hosts[2].owner_active = true;
  v.hosts[2].available = false;
  auto ds = sprite()->decide(v, {on_host(EventKind::OWNER_ACTIVE, 2)});
  REQUIRE(ds.size() == 4);
  CHECK(ds[0].kind == DecisionKind::REVOKE_HOST);
  CHECK(ds[0].client == ClientId(0));
  CHECK(ds[0].host == HostId(2));
  CHECK(procs_of(ds, DecisionKind::EVICT) == std::vector<int64_t>{2, 3});
  CHECK(procs_of(ds, DecisionKind::RESTART) == std::vector<int64_t>{4});
  CHECK(of_kind(ds, DecisionKind::MIGRATE).empty());
  CHECK(of_kind(ds, DecisionKind::WAKE_AT).empty()); // Sprite needs no timers

  // A process that lands on a host whose owner is back is sent home at once.
  ClusterView w = cluster(3);
  add_process(w, 9, 0, 1);
  w.hosts[1].owner_active = true;
  ds = sprite()->decide(w, {on_proc(EventKind::MIGRATION_DONE, 9, 1)});
  CHECK(procs_of(ds, DecisionKind::EVICT) == std::vector<int64_t>{9});
}

TEST_CASE("sprite with evict_on_owner false leaves the foreign processes beside a returning owner")
{
  ClusterView v = cluster(4, 2);
  hold(v, 2, 0);
  add_process(v, 1, 0, 2, ProcState::RUNNING, 0);
  add_process(v, 2, 1, 2, ProcState::RUNNING);
  add_process(v, 3, 3, 2, ProcState::RUNNING).migratable = false;
  v.hosts[2].owner_active = true;
  v.hosts[2].available = false;
  // The same return that revokes and evicts by default...
  auto ds = sprite()->decide(v, {on_host(EventKind::OWNER_ACTIVE, 2)});
  CHECK(hosts_of(ds, DecisionKind::REVOKE_HOST) == std::vector<int>{2});
  CHECK(procs_of(ds, DecisionKind::EVICT) == std::vector<int64_t>{2});
  CHECK(procs_of(ds, DecisionKind::RESTART) == std::vector<int64_t>{3});
  // ...decides nothing when the policy never evicts, nor when a migration lands there.
  CHECK(sprite(2, true, false)->decide(v, {on_host(EventKind::OWNER_ACTIVE, 2)}).empty());
  ClusterView w = cluster(3);
  add_process(w, 9, 0, 1);
  w.hosts[1].owner_active = true;
  CHECK(sprite(2, true, false)->decide(w, {on_proc(EventKind::MIGRATION_DONE, 9, 1)}).empty());
  // The owner's host is still not handed out to anyone else.
  CHECK(hosts_of(sprite(2, true, false)->decide(v, {request(1, 1, 4)}), DecisionKind::GRANT_HOST) ==
        std::vector<int>{0, 3});
}

TEST_CASE("sprite copes with refused decisions: nothing is retried, nothing breaks")
{
  ClusterView v = cluster(3, 1);
  auto p = sprite();
  auto ds = p->decide(v, {rejected({DecisionKind::GRANT_HOST, ClientId(0), HostId(1)}, "owner became active"),
                          rejected({DecisionKind::EVICT, ClientId(-1), HostId(-1), ProcId(4)}, "process exited"),
                          rejected({DecisionKind::PLACE, ClientId(-1), HostId(2), ProcId(5)}, "host down")});
  CHECK(ds.empty());
  // The next request is served normally.
  CHECK(hosts_of(p->decide(v, {request(0, 0, 1)}), DecisionKind::GRANT_HOST) == std::vector<int>{1});
  // And a whole run of calls never asks for a timer.
  CHECK(p->decisions(DecisionKind::WAKE_AT) == 0);
}
