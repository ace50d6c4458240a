// Unit tests for the balancing policies: "mosix" (periodic gossip to random peers, stale knowledge, moves from
// overloaded hosts, flood prevention, seeded determinism) and "lifetime" (Harchol-Balter & Downey's
// age > cost / (n - m) criterion, one move per source host per check, newborns at home).
#include <doctest/doctest.h>

#include <vector>

#include "tests/unit/test_policy_fixtures.hpp"

using namespace spritesim;
using namespace spritesim::test;

namespace {

// `n` hosts; host h runs queue[h] processes of its own (ids 100*h + k), all migratable and cheap to move.
ClusterView loaded(const std::vector<int>& queue)
{
  ClusterView v = cluster(static_cast<int>(queue.size()));
  for (size_t h = 0; h < queue.size(); ++h)
    for (int k = 0; k < queue[h]; ++k) {
      ProcessView& p = add_process(v, static_cast<int64_t>(100 * h + static_cast<size_t>(k)), static_cast<int>(h),
                                   static_cast<int>(h));
      set_age(v, p, 10 + k);
      p.migration_cost_s = 1;
    }
  return v;
}

} // namespace

TEST_CASE("mosix: timers every exchange interval while processes exist; nothing moves before loads are heard")
{
  ClusterView v = loaded({4, 0, 0, 0});
  auto p = make("mosix", {{"peers", 3}});
  auto ds = p->decide(v, {});
  CHECK(wakes_of(ds) == std::vector<double>{1001});
  CHECK(of_kind(ds, DecisionKind::MIGRATE).empty()); // no load heard yet
  // Arrivals stay home too: home knows no peer yet.
  add_process(v, 7, 0, 0, ProcState::WAITING);
  CHECK(of_kind(p->decide(v, {on_proc(EventKind::PROCESS_ARRIVED, 7, -1, 0)}), DecisionKind::PLACE).empty());
  // No processes, no timers (so a finished run can end).
  CHECK(make("mosix")->decide(cluster(3), {}).empty());
}

TEST_CASE("mosix moves one process per overloaded host per exchange, to the least loaded peer it knows")
{
  // With peers = n - 1 every host hears every other at each exchange.
  ClusterView v = loaded({5, 0, 3, 1});
  v.now_s = 1001;
  auto ds = make("mosix", {{"peers", 3}})->decide(v, {timer()});
  auto moves = of_kind(ds, DecisionKind::MIGRATE);
  // h0 (5) sends to h1 (0); h2 (3) would also pick h1, but the move under way makes h1 count 1, so it picks h1
  // only if 3 - 1 > 1: yes, h1 (1 with the arrival) ties h3 (1), lowest id wins. h3 (1) stays: no gap above 1.
  REQUIRE(moves.size() == 2);
  CHECK(moves[0].host == HostId(1));
  CHECK(v.process(moves[0].proc.value())->host == 0);
  CHECK(v.process(moves[1].proc.value())->host == 2);
  CHECK(wakes_of(ds) == std::vector<double>{1002});
}

TEST_CASE("mosix flood prevention: hosts that all see the same idle target do not all pick it")
{
  ClusterView v = loaded({4, 4, 4, 0, 0, 0});
  auto ds = make("mosix", {{"peers", 5}})->decide(v, {timer()});
  auto moves = of_kind(ds, DecisionKind::MIGRATE);
  REQUIRE(moves.size() == 3);
  // Without flood prevention all three would pick h3; with it they spread over h3, h4, h5.
  CHECK(hosts_of(ds, DecisionKind::MIGRATE) == std::vector<int>{3, 4, 5});
}

TEST_CASE("mosix flood prevention: moves under way count against their targets until the view shows them done")
{
  ClusterView v = loaded({4, 4, 4, 0, 0, 0});
  auto p = make("mosix", {{"peers", 5}, {"threshold", 2.5}});
  auto moves = of_kind(p->decide(v, {timer()}), DecisionKind::MIGRATE);
  REQUIRE(moves.size() == 3);
  // Next exchange: the three processes are still on their way, sources report 3, targets still report 0. Counting
  // the arrivals, a target looks like 1 and the gap 3 - 1 = 2 is below the threshold: nothing moves.
  ClusterView next = v;
  next.now_s = 1001;
  for (const auto& m : moves) {
    for (auto& q : next.processes)
      if (q.id == m.proc.value()) {
        --next.hosts[static_cast<size_t>(q.host)].run_queue;
        q.state = ProcState::MIGRATING;
        q.host = m.host.value();
      }
  }
  CHECK(of_kind(p->decide(next, {timer()}), DecisionKind::MIGRATE).empty());
  // A policy that never saw those moves (no flood accounting) would move three more.
  CHECK(of_kind(make("mosix", {{"peers", 5}, {"threshold", 2.5}})->decide(next, {timer()}), DecisionKind::MIGRATE)
            .size() == 3);
}

TEST_CASE("mosix knowledge is stale and partial: with one peer a host may not know the idle one")
{
  // Each host tells one random peer per exchange; h0 hears of at most one host per exchange.
  ClusterView v = loaded({6, 0, 0, 0, 0, 0, 0, 0});
  int moved_first = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto ds = make("mosix", {{"peers", 1}, {"seed", seed}})->decide(v, {timer()});
    moved_first += of_kind(ds, DecisionKind::MIGRATE).empty() ? 0 : 1;
  }
  // h0 moves only when some idle host happened to pick it as a peer: often, but not always.
  CHECK(moved_first > 0);
  CHECK(moved_first < 20);
  // Same seed, same answers; different seeds, different gossip.
  auto a = make("mosix", {{"peers", 1}, {"seed", 5}});
  auto b = make("mosix", {{"peers", 1}, {"seed", 5}});
  for (int t = 0; t < 5; ++t) {
    v.now_s = 1000 + t;
    CHECK(hosts_of(a->decide(v, {timer()}), DecisionKind::MIGRATE) ==
          hosts_of(b->decide(v, {timer()}), DecisionKind::MIGRATE));
  }
}

TEST_CASE("mosix: a refused migration is not retried; owners evict unless told otherwise")
{
  ClusterView v = loaded({3, 0});
  auto p = make("mosix", {{"peers", 1}});
  auto ds = p->decide(v, {timer()});
  auto moves = of_kind(ds, DecisionKind::MIGRATE);
  REQUIRE(moves.size() == 1);
  const int64_t first = moves[0].proc.value();
  v.now_s = 1001;
  ds = p->decide(v, {rejected(moves[0], "target refused"), timer()});
  moves = of_kind(ds, DecisionKind::MIGRATE);
  REQUIRE(moves.size() == 1);
  CHECK(moves[0].proc != ProcId(first));

  ClusterView o = loaded({0, 0});
  add_process(o, 9, 0, 1);
  o.hosts[1].owner_active = true;
  CHECK(procs_of(make("mosix")->decide(o, {on_host(EventKind::OWNER_ACTIVE, 1)}), DecisionKind::EVICT) ==
        std::vector<int64_t>{9});
  CHECK(make("mosix", {{"evict_on_owner", false}})
            ->decide(o, {on_host(EventKind::OWNER_ACTIVE, 1)})
            .size() == 1); // just the timer
}

TEST_CASE("lifetime migrates an old process when age > migration cost / (n - m), one per source host")
{
  ClusterView v = loaded({4, 1, 0});
  // n = 4 on h0; least loaded is h2 with m = 0: the bar is cost / 4.
  for (auto& p : v.processes) {
    p.migration_cost_s = 40; // h1's lone process (n = 1, m = 0) would need an age above 40
    if (p.host == 0)
      set_age(v, p, 5 + static_cast<double>(p.id)); // ages 5, 6, 7, 8
  }
  auto lt = make("lifetime");
  CHECK(of_kind(lt->decide(v, {timer()}), DecisionKind::MIGRATE).empty()); // 8 < 40 / 4
  v.now_s = 1001;
  set_age(v, v.processes[2], 10.5); // process 2 now passes 10.5 > 10
  set_age(v, v.processes[3], 10.2); // so does process 3: the older one (2) goes
  auto ds = lt->decide(v, {timer()});
  auto moves = of_kind(ds, DecisionKind::MIGRATE);
  REQUIRE(moves.size() == 1);
  CHECK(moves[0].proc == ProcId(2));
  CHECK(moves[0].host == HostId(2));
  CHECK(wakes_of(ds) == std::vector<double>{1002});
  // Between timers nothing moves; newborns run at home (no PLACE).
  add_process(v, 50, 0, 0, ProcState::WAITING);
  CHECK(of_kind(lt->decide(v, {on_proc(EventKind::PROCESS_ARRIVED, 50, -1, 0)}), DecisionKind::PLACE).empty());
}

TEST_CASE("lifetime: several sources in one check, refused moves, owners, running processes only")
{
  ClusterView v = loaded({3, 3, 0, 0});
  auto ds = make("lifetime")->decide(v, {timer()});
  // Both h0 and h1 move their oldest process; the second sees h2's projected queue and picks h3.
  CHECK(hosts_of(ds, DecisionKind::MIGRATE) == std::vector<int>{2, 3});

  // A process alone on its host never moves to an idle one (it would find the same share there and be sent back
  // at the next check), however old it is.
  ClusterView alone = loaded({1, 0, 1});
  set_age(alone, alone.processes[0], 1e6);
  CHECK(of_kind(make("lifetime")->decide(alone, {timer()}), DecisionKind::MIGRATE).empty());
  ClusterView two = loaded({2, 0});
  set_age(two, two.processes[1], 1e6);
  CHECK(procs_of(make("lifetime")->decide(two, {timer()}), DecisionKind::MIGRATE) == std::vector<int64_t>{1});

  ClusterView s = loaded({3, 0});
  for (auto& p : s.processes)
    p.state = ProcState::SUSPENDED;
  CHECK(of_kind(make("lifetime")->decide(s, {timer()}), DecisionKind::MIGRATE).empty());

  ClusterView r = loaded({3, 0});
  auto lt = make("lifetime");
  auto m = of_kind(lt->decide(r, {timer()}), DecisionKind::MIGRATE);
  REQUIRE(m.size() == 1);
  r.now_s = 1001;
  auto again = of_kind(lt->decide(r, {rejected(m[0], "target busy"), timer()}), DecisionKind::MIGRATE);
  REQUIRE(again.size() == 1);
  CHECK(again[0].proc != m[0].proc);

  ClusterView o = loaded({0, 0});
  add_process(o, 9, 0, 1);
  o.hosts[1].owner_active = true;
  CHECK(procs_of(make("lifetime")->decide(o, {on_host(EventKind::OWNER_ACTIVE, 1)}), DecisionKind::EVICT) ==
        std::vector<int64_t>{9});
  // Grants: shortest run queue first.
  ClusterView g = loaded({0, 2, 0, 1});
  CHECK(hosts_of(make("lifetime")->decide(g, {request(0, 0, 3)}), DecisionKind::GRANT_HOST) ==
        std::vector<int>{2, 3, 1});
}
