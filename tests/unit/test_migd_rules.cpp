// The migd core's single rules, each checked with both backends' capability sets: policy errors lose no refused
// decision, placements are refused when the owner is back, age_s counts from the current attempt, and a capability
// a backend lacks is refused with one reason.
#include <doctest/doctest.h>

#include "migd_fake_backend.hpp"

namespace spritesim::test {
namespace {

/// A backend with 3 idle hosts whose policy answers each call with `answers[call]` (then nothing).
std::unique_ptr<FakeBackend> scripted(Capabilities caps, std::vector<std::vector<Decision>> answers,
                                      std::vector<ClusterView>* views = nullptr)
{
  auto n = std::make_shared<size_t>(0);
  auto policy = std::make_unique<ScriptedPolicy>([answers, n, views](const ClusterView& v, const auto&) {
    if (views)
      views->push_back(v);
    return *n < answers.size() ? answers[(*n)++] : std::vector<Decision>{};
  });
  auto b = std::make_unique<FakeBackend>(caps, std::move(policy), 3);
  for (int h = 0; h < 3; ++h)
    b->core->host(h).idle_since_s = 0;
  return b;
}

std::vector<Capabilities> both() { return {simulator_capabilities(), real_capabilities()}; }

const PolicyEvent* rejection(const FakeBackend& b, size_t call)
{
  for (const auto& e : b.calls.at(call).events)
    if (e.kind == EventKind::DECISION_REJECTED)
      return &e;
  return nullptr;
}

} // namespace

TEST_CASE("migd core: a policy error keeps the refused decisions for the next call and runs the arrival at home")
{
  for (Capabilities caps : both()) {
    // Call 0 places p1 on a host whose owner is back (refused); call 1 answers p2 with an impossible decision
    // (the runner throws); call 2 must still hear of p1's refusal.
    Decision bad_place{DecisionKind::PLACE, ClientId(-1), HostId(1), ProcId(1), 0};
    // p2 is WAITING: the runner refuses the answer
    Decision invalid{DecisionKind::RESUME, ClientId(-1), HostId(-1), ProcId(2), 0};
    auto b = scripted(caps, {{bad_place}, {invalid}, {}});
    b->core->host(1).owner_active = true;
    CHECK(b->arrive(1, 0, 0, true) == 0);
    CHECK(b->arrive(2, 0, 0, true) == 0);
    REQUIRE(b->orders.size() == 1);
    CHECK(b->orders[0].rfind("policy_error process_arrived", 0) == 0);
    CHECK(b->core->stats().policy_errors == 1);
    b->core->owner_active(2);
    REQUIRE(b->calls.size() == 3);
    REQUIRE(rejection(*b, 2));
    CHECK(rejection(*b, 2)->reason == "the host is down or its owner is back");
    CHECK(rejection(*b, 2)->rejected.proc == ProcId(1));
  }
}

TEST_CASE("migd core: a placement is refused when the host's owner is back or the host is down, alike")
{
  for (Capabilities caps : both()) {
    auto b = scripted(caps, {{{DecisionKind::PLACE, ClientId(-1), HostId(1), ProcId(1), 0}},
                             {{DecisionKind::PLACE, ClientId(-1), HostId(2), ProcId(2), 0}},
                             {{DecisionKind::PLACE, ClientId(-1), HostId(0), ProcId(3), 0}}});
    b->core->host(1).owner_active = true;
    CHECK(b->arrive(1, 0, 0, true) == 0); // refused: runs at home
    CHECK(b->arrive(2, 0, 0, true) == 2); // accepted
    CHECK(b->arrive(3, 0, 0, true) == 0); // at home: always
    REQUIRE(rejection(*b, 1));
    CHECK(rejection(*b, 1)->rejected.host == HostId(1));
    CHECK(b->core->decisions().size() == 2);
    CHECK(b->core->stats().rejected == 1);
  }
}

TEST_CASE("migd core: nothing is granted, placed or moved to a host of another architecture than the home's")
{
  for (Capabilities caps : both()) {
    // Sprite migrates only within one architecture (TH90 8.5, 9.3): host 1 is of another one than hosts 0 and 2.
    auto b = scripted(caps, {{{DecisionKind::PLACE, ClientId(-1), HostId(1), ProcId(1), 0}},
                             {{DecisionKind::PLACE, ClientId(-1), HostId(2), ProcId(2), 0}},
                             {{DecisionKind::GRANT_HOST, ClientId(5), HostId(1), ProcId(), 0},
                              {DecisionKind::GRANT_HOST, ClientId(5), HostId(2), ProcId(), 0}}});
    b->core->host(1).architecture = "ds3100";
    CHECK(b->arrive(1, 0, 0, true) == 0); // refused: runs at home
    CHECK(b->arrive(2, 0, 0, true) == 2); // same architecture: accepted
    REQUIRE(rejection(*b, 1));
    CHECK(rejection(*b, 1)->rejected.host == HostId(1));
    CHECK(rejection(*b, 1)->reason == "the host is of another architecture than the process's home");
    // Real mode cannot GRANT_HOST at all (rexec asks per process): both grants are refused there.
    const bool grants = caps.can(DecisionKind::GRANT_HOST);
    CHECK(b->core->host_request(5, 0, 2) == (grants ? std::vector<int>{2} : std::vector<int>{}));
    CHECK(b->core->stats().rejected == (grants ? 2 : 3));
  }
}

TEST_CASE("migd core: age_s is the seconds since the process's current attempt began, restarts included")
{
  for (Capabilities caps : both()) {
    std::vector<ClusterView> views;
    auto b = scripted(caps,
                      {{{DecisionKind::PLACE, ClientId(-1), HostId(1), ProcId(1), 0}},
                       {},
                       {{DecisionKind::RESTART, ClientId(-1), HostId(-1), ProcId(1), 0}}},
                      &views);
    b->t = 10;
    b->arrive(1, 0, 0, false);
    b->t = 25;
    b->core->owner_active(2); // call 1: p1 has run 15 s
    b->t = 40;
    b->core->owner_active(1); // call 2: restarted at 40
    b->t = 47;
    b->core->owner_left(2, 0);
    b->core->evaluate(2, {0, 0, 0}, {0, 0, 0}); // call 3
    REQUIRE(views.size() == 4);
    CHECK(views[0].age_s(*views[0].process(1)) == 0); // waiting for its placement
    CHECK(views[1].age_s(*views[1].process(1)) == doctest::Approx(15));
    CHECK(views[3].age_s(*views[3].process(1)) == doctest::Approx(7));
    CHECK(b->core->migrations().back().kind == MigrationKind::RESTART);
  }
}

TEST_CASE("migd core: what a backend cannot do is refused with one reason; the simulator does it")
{
  Decision grant{DecisionKind::GRANT_HOST, ClientId(0), HostId(2), ProcId(-1), 0};
  Decision move{DecisionKind::MIGRATE, ClientId(-1), HostId(2), ProcId(1), 0};
  for (Capabilities caps : both()) {
    auto b = scripted(caps, {{}, {move}, {grant}, {}});
    b->arrive(1, 0, 0, true);
    b->core->process_changed(1, 1, ProcState::RUNNING);
    b->core->owner_active(0);
    std::vector<int> got = b->core->host_request(0, 0, 1);
    b->core->owner_active(1);
    bool sim = caps.can(DecisionKind::MIGRATE);
    CHECK(got.size() == (sim ? 1u : 0u));
    CHECK((b->core->process(1)->state == ProcState::MIGRATING) == sim);
    if (!sim) {
      REQUIRE(rejection(*b, 2));
      CHECK(rejection(*b, 2)->reason == MigdCore::incapable_reason(DecisionKind::MIGRATE));
      REQUIRE(rejection(*b, 3));
      CHECK(rejection(*b, 3)->reason == MigdCore::incapable_reason(DecisionKind::GRANT_HOST));
    }
  }
}

TEST_CASE("migd core: an owner return is recorded once its owner left and the host is free, censored at the end")
{
  for (Capabilities caps : both()) {
    const bool moves = caps.can(DecisionKind::EVICT);
    Decision place{DecisionKind::PLACE, ClientId(-1), HostId(1), ProcId(1), 0};
    Decision away{moves ? DecisionKind::EVICT : DecisionKind::RESTART, ClientId(-1), HostId(-1), ProcId(1), 0};
    auto b = scripted(caps, {{place}, {}, {away}});
    CHECK(b->arrive(1, 0, 0, true) == 1);
    b->core->host(0).owner_active = true; // at the console when the run began: not a return
    b->core->owner_active(0);
    b->t = 10;
    b->core->owner_active(1); // p1 is there: evicted (a move under way until settle) or killed at once
    b->t = 12.5;
    b->settle();
    b->t = 20;
    CHECK(b->core->owner_returns().empty()); // freed, but the owner is still there
    b->core->owner_left(1, 19);
    REQUIRE(b->core->owner_returns().size() == 1);
    b->t = 30;
    b->core->owner_active(2);
    b->t = 40;
    RunResult r;
    b->core->hand_over(r);
    REQUIRE(r.owner_returns.size() == 2);
    const OwnerReturnRecord& o = r.owner_returns[0];
    CHECK(o.host == "h1");
    CHECK(o.time_s == 10);
    CHECK(o.foreign_processes == 1);
    CHECK(o.intrusion_s == (moves ? 2.5 : 0.0));
    CHECK(o.active_s == 9);
    CHECK(std::isnan(o.foreign_cpu_s)); // this backend cannot tell
    CHECK(!o.censored);
    const OwnerReturnRecord& open = r.owner_returns[1];
    CHECK(open.host == "h2");
    CHECK(open.foreign_processes == 0);
    CHECK(open.intrusion_s == 0);
    CHECK(open.active_s == 10);
    CHECK(open.censored);
    CHECK(b->core->owner_returns().empty()); // handed over
  }
}

} // namespace spritesim::test
