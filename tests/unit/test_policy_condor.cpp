// Unit tests for the "condor" desktop policy: the START rule (15 min keyboard idle, load < 0.3), suspension on owner
// return with a 10-minute timer, resume when the owner leaves, vacate when the owner stays (home or to another
// host), suspension on high owner load, and refused decisions.
#include <doctest/doctest.h>

#include <vector>

#include "tests/unit/test_policy_fixtures.hpp"

using namespace spritesim;
using namespace spritesim::test;

namespace {

PolicyEvent arrive(int64_t id, int home) { return on_proc(EventKind::PROCESS_ARRIVED, id, -1, home); }

// h0 is the submitting host; h1..h{n-1} idle at the keyboard for an hour with no load.
ClusterView desk(int n)
{
  ClusterView v = cluster(n, 1);
  v.hosts[0].owner_active = true;
  set_input_idle(v, v.hosts[0], 0);
  return v;
}

} // namespace

TEST_CASE("condor starts foreign work only on hosts idle at the keyboard for 15 min with load below 0.3")
{
  ClusterView v = desk(6);
  for (int i = 1; i <= 3; ++i)
    add_process(v, i, 0, 0, ProcState::WAITING);
  set_input_idle(v, v.hosts[1], 899);   // not idle long enough
  v.hosts[2].load[0] = 0.3;        // not lightly loaded
  set_input_idle(v, v.hosts[3], 7200);  // the longest keyboard idleness: first choice
  set_input_idle(v, v.hosts[4], 900);   // just qualifies
  v.hosts[5].is_file_server = true;
  auto ds = make("condor")->decide(v, {arrive(1, 0), arrive(2, 0), arrive(3, 0)});
  CHECK(hosts_of(ds, DecisionKind::PLACE) == std::vector<int>{3, 4}); // one job per host; process 3 stays home
  // Foreign work runs, so the policy asks to poll the owner's load in 5 s.
  CHECK(wakes_of(ds) == std::vector<double>{1005});

  // Other thresholds through parameters.
  ds = make("condor", {{"start_idle_s", 60}, {"start_load", 0.5}})
           ->decide(v, {arrive(1, 0), arrive(2, 0), arrive(3, 0)});
  CHECK(hosts_of(ds, DecisionKind::PLACE) == std::vector<int>{3, 2, 4}); // by keyboard idleness: 7200, 3600, 900

  // Grants follow the same rule.
  CHECK(hosts_of(make("condor")->decide(v, {request(0, 0, 5)}), DecisionKind::GRANT_HOST) == std::vector<int>{3, 4});
}

TEST_CASE("condor suspends on owner return, resumes if the owner leaves, and vacates after 10 minutes otherwise")
{
  ClusterView v = desk(4);
  hold(v, 2, 0);
  add_process(v, 1, 0, 2, ProcState::RUNNING, 0);
  add_process(v, 2, 3, 2);
  add_process(v, 3, 2, 2); // the owner's own: never touched
  auto p = make("condor");

  v.hosts[2].owner_active = true;
  set_input_idle(v, v.hosts[2], 0);
  auto ds = p->decide(v, {on_host(EventKind::OWNER_ACTIVE, 2)});
  CHECK(procs_of(ds, DecisionKind::SUSPEND) == std::vector<int64_t>{1, 2});
  CHECK(of_kind(ds, DecisionKind::REVOKE_HOST).empty()); // the claim survives a suspension
  CHECK(wakes_of(ds) == std::vector<double>{1600});      // MaxSuspendTime

  SUBCASE("the owner leaves within 10 minutes: resume where they are")
  {
    ClusterView later = v;
    later.now_s = 1200;
    later.processes[0].state = ProcState::SUSPENDED;
    later.processes[1].state = ProcState::SUSPENDED;
    later.hosts[2].owner_active = false;
    later.hosts[2].load[0] = 1.0; // the two foreign processes' load before suspension, less the owner's 0
    later.hosts[2].run_queue = 1;
    // The owner's own process (3) keeps running: its load is the 1-minute average, 1.0, above 0.5, so no resume.
    CHECK(p->decide(later, {on_host(EventKind::OWNER_IDLE, 2)}).empty());
    later.hosts[2].load[0] = 0.2;
    ds = p->decide(later, {on_host(EventKind::OWNER_IDLE, 2)});
    CHECK(procs_of(ds, DecisionKind::RESUME) == std::vector<int64_t>{1, 2});
    // The 10-minute timer then finds nothing to do.
    later.now_s = 1600;
    later.processes[0].state = ProcState::RUNNING;
    later.processes[1].state = ProcState::RUNNING;
    ds = p->decide(later, {timer()});
    CHECK(of_kind(ds, DecisionKind::EVICT).empty());
    CHECK(of_kind(ds, DecisionKind::SUSPEND).empty());
  }
  SUBCASE("the owner is still there after 10 minutes: vacate home and revoke the claim")
  {
    ClusterView later = v;
    later.now_s = 1600;
    later.processes[0].state = ProcState::SUSPENDED;
    later.processes[1].state = ProcState::SUSPENDED;
    ds = p->decide(later, {timer()});
    REQUIRE(ds.size() == 3);
    CHECK(procs_of(ds, DecisionKind::EVICT) == std::vector<int64_t>{1, 2});
    CHECK(ds[2].kind == DecisionKind::REVOKE_HOST); // after the evictions
    CHECK(ds[2].client == ClientId(0));
  }
  SUBCASE("the owner left but came back before the timer: still vacated")
  {
    ClusterView later = v;
    later.now_s = 1600;
    later.processes[1].state = ProcState::SUSPENDED;
    later.processes.erase(later.processes.begin()); // process 1 exited meanwhile
    ds = p->decide(later, {on_proc(EventKind::PROCESS_EXITED, 1, 2), timer()});
    CHECK(procs_of(ds, DecisionKind::EVICT) == std::vector<int64_t>{2});
  }
}

TEST_CASE("condor vacates by migrating to another start host when asked to, home when there is none")
{
  ClusterView v = desk(4);
  add_process(v, 1, 0, 1);
  add_process(v, 2, 0, 1);
  v.hosts[1].owner_active = true;
  auto p = make("condor", {{"vacate_migrate", true}});
  CHECK(procs_of(p->decide(v, {on_host(EventKind::OWNER_ACTIVE, 1)}), DecisionKind::SUSPEND) ==
        std::vector<int64_t>{1, 2});
  v.now_s = 1600;
  v.processes[0].state = ProcState::SUSPENDED;
  v.processes[1].state = ProcState::SUSPENDED;
  set_input_idle(v, v.hosts[2], 100); // h2 fails START; h3 qualifies for one job
  auto ds = p->decide(v, {timer()});
  auto moves = of_kind(ds, DecisionKind::MIGRATE);
  REQUIRE(moves.size() == 1);
  CHECK(moves[0].proc == ProcId(1));
  CHECK(moves[0].host == HostId(3));
  CHECK(procs_of(ds, DecisionKind::EVICT) == std::vector<int64_t>{2});
}

TEST_CASE("condor suspends when the owner's own load stays above 0.5 for 2 minutes")
{
  ClusterView v = desk(3);
  add_process(v, 1, 0, 1);
  v.hosts[1].load[0] = 1.4; // 1 foreign + 0.4 of the owner's: fine
  auto p = make("condor");
  CHECK(of_kind(p->decide(v, {timer()}), DecisionKind::SUSPEND).empty());
  v.hosts[1].load[0] = 1.7; // owner's load 0.7 > 0.5: watched from now on
  v.now_s = 1005;
  CHECK(of_kind(p->decide(v, {timer()}), DecisionKind::SUSPEND).empty());
  v.now_s = 1100;
  CHECK(of_kind(p->decide(v, {timer()}), DecisionKind::SUSPEND).empty());
  v.now_s = 1125; // 120 s above the threshold
  auto ds = p->decide(v, {timer()});
  CHECK(procs_of(ds, DecisionKind::SUSPEND) == std::vector<int64_t>{1});
  CHECK(wakes_of(ds) == std::vector<double>{1725});
}

TEST_CASE("condor copes with refused decisions and never piles up timers")
{
  ClusterView v = desk(3);
  add_process(v, 1, 0, 1);
  v.hosts[1].owner_active = true;
  auto p = make("condor");
  auto ds = p->decide(v, {on_host(EventKind::OWNER_ACTIVE, 1)});
  REQUIRE(procs_of(ds, DecisionKind::SUSPEND) == std::vector<int64_t>{1});
  // The suspend was refused (the process had just exited): the policy forgets it; the timer still fires, harmlessly.
  v.processes.clear();
  v.hosts[1].run_queue = 0;
  v.hosts[1].foreign = 0;
  CHECK(p->decide(v, {rejected({DecisionKind::SUSPEND, ClientId(), HostId(), ProcId(1)}, "process exited")}).empty());
  v.now_s = 1600;
  CHECK(p->decide(v, {timer()}).empty());

  // While foreign work runs, a second call before the poll time asks for no second timer.
  ClusterView w = desk(3);
  add_process(w, 1, 0, 1);
  auto q = make("condor");
  CHECK(wakes_of(q->decide(w, {})) == std::vector<double>{1005});
  w.now_s = 1001;
  CHECK(wakes_of(q->decide(w, {})).empty());
  // A refused timer is asked for again.
  auto again = q->decide(w, {rejected({DecisionKind::WAKE_AT, ClientId(-1), HostId(-1), ProcId(-1), 1005}, "late")});
  CHECK(wakes_of(again) == std::vector<double>{1006});
}
