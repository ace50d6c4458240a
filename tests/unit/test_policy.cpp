// Unit tests for the policy boundary: the registry lists every policy with documented parameters and builds them by
// name with checked parameters (errors name the JSON path), and the non-virtual runner counts decisions and refuses
// each kind of impossible decision. The policies themselves are tested in test_policy_*.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/input_error.hpp"
#include "tests/unit/test_policy_fixtures.hpp"
#include "tests/unit/test_support.hpp"

using namespace spritesim;
using namespace spritesim::test;

TEST_CASE("the registry lists every policy, sorted, each with a source and documented parameters")
{
  std::vector<std::string> names;
  for (const auto& info : policy_registry()) {
    CAPTURE(info.name);
    names.push_back(info.name);
    CHECK(!info.summary.empty());
    CHECK(!info.source.empty());
    for (const auto& p : info.params) {
      CAPTURE(p.name);
      CHECK((p.type == "number" || p.type == "integer" || p.type == "boolean"));
      CHECK(!p.doc.empty());
      if (p.type != "boolean") {
        CHECK(p.min <= p.default_value);
        CHECK(p.default_value <= p.max);
      }
    }
    // Every policy builds with its defaults, with or without an empty params object.
    CHECK(make(info.name) != nullptr);
    CHECK(make_policy(info.name, nlohmann::json(), "t.json", "$.policy") != nullptr);
  }
  // Sorted and unique: `spritesim policies` and the error below list them in this order.
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  CHECK(names.size() >= 7); // the seven of docs/policies.md at least
}

TEST_CASE("policy parameters carry the defaults the sources give")
{
  auto param = [](const std::string& policy, const std::string& name) {
    for (const auto& info : policy_registry())
      for (const auto& p : info.params)
        if (info.name == policy && p.name == name)
          return p;
    FAIL("no parameter " << policy << "." << name);
    return PolicyParam{};
  };
  CHECK(param("sprite", "fairness_margin").default_value == 2);
  CHECK(param("sprite", "fairness_margin").type == "integer");
  CHECK(param("sprite", "place_arrivals").default_value == 1);
  CHECK(param("condor", "start_idle_s").default_value == 900);
  CHECK(param("condor", "start_load").default_value == doctest::Approx(0.3));
  CHECK(param("condor", "high_load").default_value == doctest::Approx(0.5));
  CHECK(param("condor", "max_suspend_s").default_value == 600);
  CHECK(param("mosix", "exchange_interval_s").default_value == 1);
  CHECK(param("mosix", "peers").default_value == 3);
  CHECK(param("mosix", "evict_on_owner").default_value == 1);
  CHECK(param("random", "seed").type == "integer");
  CHECK(param("lifetime", "check_interval_s").type == "number");
}

TEST_CASE("bad policy names and parameters are InputErrors naming the JSON path")
{
  std::string unknown = input_error_of([] { make("lottery"); });
  CHECK(unknown.rfind("t.json: at $.policy.name: ", 0) == 0);
  CHECK(contains(unknown, "unknown policy \"lottery\""));
  std::string known;
  for (const auto& info : policy_registry())
    known += (known.empty() ? "" : ", ") + info.name;
  CHECK(contains(unknown, "known: " + known));

  std::string param = input_error_of([] { make("sprite", {{"margin", 2}}); });
  CHECK(param.rfind("t.json: at $.policy.params.margin: ", 0) == 0);
  CHECK(contains(param, "unknown key \"margin\""));
  CHECK(contains(param, "fairness_margin"));

  for (int bad : {0, 1, -1, 1001}) {
    CAPTURE(bad);
    std::string range = input_error_of([&] { make("sprite", {{"fairness_margin", bad}}); });
    CHECK(range.rfind("t.json: at $.policy.params.fairness_margin: ", 0) == 0);
    CHECK(contains(range, "[2, 1000]"));
  }
  std::string type = input_error_of([] { make("sprite", {{"fairness_margin", "two"}}); });
  CHECK(contains(type, "$.policy.params.fairness_margin"));
  CHECK(contains(type, "expected an integer"));

  std::string boolean = input_error_of([] { make("mosix", {{"evict_on_owner", 1}}); });
  CHECK(contains(boolean, "$.policy.params.evict_on_owner"));
  std::string number = input_error_of([] { make("condor", {{"start_load", "low"}}); });
  CHECK(contains(number, "$.policy.params.start_load"));
  std::string negative = input_error_of([] { make("condor", {{"max_suspend_s", -5}}); });
  CHECK(contains(negative, "$.policy.params.max_suspend_s"));
  std::string seed = input_error_of([] { make("random", {{"seed", 1.5}}); });
  CHECK(contains(seed, "$.policy.params.seed"));
  std::string peers = input_error_of([] { make("mosix", {{"peers", 0}}); });
  CHECK(contains(peers, "$.policy.params.peers"));
  std::string not_object = input_error_of([] { make("random", nlohmann::json::array()); });
  CHECK(contains(not_object, "$.policy.params"));
}

TEST_CASE("decide counts calls and decisions, per kind, and counts nothing for a refused answer")
{
  ClusterView v = cluster(4, 1);
  auto p = make("sprite");
  CHECK(p->decide(v, {}).empty());
  CHECK(p->calls() == 1);
  CHECK(p->decisions() == 0);
  CHECK(p->decide(v, {request(0, 0, 2)}).size() == 2);
  CHECK(p->decide(v, {request(0, 0, 1)}).size() == 1);
  CHECK(p->calls() == 3);
  CHECK(p->decisions() == 3);
  CHECK(p->decisions(DecisionKind::GRANT_HOST) == 3);
  CHECK(p->decisions(DecisionKind::PLACE) == 0);

  // A valid grant followed by an impossible one: the whole answer is refused and no counter moves.
  Scripted bad({{DecisionKind::GRANT_HOST, ClientId(0), HostId(1)},
                {DecisionKind::GRANT_HOST, ClientId(0), HostId(9)}});
  CHECK_THROWS_AS(bad.decide(v, {}), std::logic_error);
  CHECK(bad.calls() == 1);
  CHECK(bad.decisions() == 0);
  CHECK(bad.decisions(DecisionKind::GRANT_HOST) == 0);
}

namespace {

Decision grant(int client, int host) { return {DecisionKind::GRANT_HOST, ClientId(client), HostId(host)}; }
Decision revoke(int client, int host) { return {DecisionKind::REVOKE_HOST, ClientId(client), HostId(host)}; }
Decision on(DecisionKind k, int64_t proc, int host = -1) { return {k, ClientId(), HostId(host), ProcId(proc)}; }
Decision wake(double at) { return {DecisionKind::WAKE_AT, ClientId(), HostId(), ProcId(), at}; }

} // namespace

TEST_CASE("decide refuses every kind of impossible decision")
{
  // h0 free, h1 held by client 1, h2 unavailable (and client 0's home), h3 the file server, h4 down, h5 free.
  ClusterView v = cluster(6, 2);
  hold(v, 1, 1);
  v.hosts[2].available = false;
  v.hosts[3].is_file_server = true;
  v.hosts[4].up = false;
  add_process(v, 10, 0, 0, ProcState::WAITING);
  add_process(v, 11, 0, 5, ProcState::RUNNING);
  add_process(v, 12, 0, 5, ProcState::SUSPENDED);
  add_process(v, 13, 0, 0, ProcState::RUNNING); // at home
  add_process(v, 14, 0, 5, ProcState::MIGRATING);
  add_process(v, 15, 0, 5, ProcState::RUNNING).migratable = false;
  const std::vector<PolicyEvent> events = {request(0, 2, 1)};

  struct Case {
    const char* what;
    std::vector<Decision> out;
  };
  const std::vector<Case> bad = {
      {"grant a held host", {grant(0, 1)}},
      {"grant the requester's home", {grant(0, 2)}},
      {"grant the file server", {grant(0, 3)}},
      {"grant a host that is down", {grant(0, 4)}},
      {"grant the same host twice", {grant(0, 0), grant(0, 0)}},
      {"grant an unknown host", {grant(0, 6)}},
      {"grant a negative host", {grant(0, -1)}},
      {"grant to no client", {grant(-1, 0)}},
      {"revoke a host nobody holds", {revoke(0, 0)}},
      {"revoke from a client that is not the holder", {revoke(0, 1)}},
      {"revoke the same host twice", {revoke(1, 1), revoke(1, 1)}},
      {"grant a held host before revoking it", {grant(0, 1), revoke(1, 1)}},
      {"place an unknown process", {on(DecisionKind::PLACE, 99, 0)}},
      {"place a running process", {on(DecisionKind::PLACE, 11, 0)}},
      {"place on a host that is down", {on(DecisionKind::PLACE, 10, 4)}},
      {"place on the file server", {on(DecisionKind::PLACE, 10, 3)}},
      {"migrate a waiting process", {on(DecisionKind::MIGRATE, 10, 0)}},
      {"migrate a migrating process", {on(DecisionKind::MIGRATE, 14, 0)}},
      {"migrate to where it is", {on(DecisionKind::MIGRATE, 11, 5)}},
      {"migrate to a host that is down", {on(DecisionKind::MIGRATE, 11, 4)}},
      {"migrate an unmovable process", {on(DecisionKind::MIGRATE, 15, 0)}},
      {"evict a process at home", {on(DecisionKind::EVICT, 13)}},
      {"evict a waiting process", {on(DecisionKind::EVICT, 10)}},
      {"evict an unmovable process", {on(DecisionKind::EVICT, 15)}},
      {"suspend a suspended process", {on(DecisionKind::SUSPEND, 12)}},
      {"resume a running process", {on(DecisionKind::RESUME, 11)}},
      {"restart a waiting process", {on(DecisionKind::RESTART, 10)}},
      {"two decisions on one process", {on(DecisionKind::SUSPEND, 11), on(DecisionKind::EVICT, 11)}},
      {"wake up now", {wake(1000)}},
      {"wake up in the past", {wake(5)}},
      {"wake up never", {wake(std::numeric_limits<double>::infinity())}},
      {"wake up at NaN", {wake(std::nan(""))}},
  };
  for (const Case& c : bad) {
    CAPTURE(c.what);
    Scripted p(c.out);
    CHECK_THROWS_AS(p.decide(v, events), std::logic_error);
    CHECK(p.decisions() == 0);
  }

  // The view's client_homes protects a home even when no request is in this call.
  ClusterView homes = v;
  homes.client_homes = {0, -1};
  Scripted home_grant({grant(0, 0)});
  CHECK_THROWS_AS(home_grant.decide(homes, {}), std::logic_error);
  Scripted other_grant({grant(1, 0)});
  CHECK(other_grant.decide(homes, {}).size() == 1);

  // The same runner lets every possible decision through, in one answer, and counts them.
  Scripted ok({grant(0, 0), revoke(1, 1), grant(0, 1), on(DecisionKind::PLACE, 10, 5),
               on(DecisionKind::MIGRATE, 11, 0), on(DecisionKind::RESUME, 12), on(DecisionKind::RESTART, 15),
               wake(1000.5)});
  std::vector<Decision> ds = ok.decide(v, events);
  CHECK(ds.size() == 8);
  CHECK(ok.decisions() == 8);
  CHECK(ok.decisions(DecisionKind::GRANT_HOST) == 2);
  CHECK(ok.decisions(DecisionKind::WAKE_AT) == 1);
  // EVICT, SUSPEND and PLACE at home are fine too.
  Scripted more({on(DecisionKind::EVICT, 12), on(DecisionKind::SUSPEND, 11), on(DecisionKind::PLACE, 10, 0)});
  CHECK(more.decide(v, {}).size() == 3);
}

TEST_CASE("every built-in policy grants, places and moves only within the home's architecture")
{
  // h0-h3 are of architecture "a", h4-h7 of "b" (Sprite's pools, TH90 8.5); the processes' homes are in "b" and
  // h4 is overloaded by them, the request's home is in "a".
  ClusterView v = cluster(8, 1);
  for (auto& h : v.hosts)
    h.architecture = h.id < 4 ? "a" : "b";
  for (int64_t p = 1; p <= 4; ++p)
    set_age(v, add_process(v, p, 4, 4), 600);
  v.hosts[4].load[0] = v.hosts[4].load[1] = v.hosts[4].load[2] = 4;
  v.hosts[0].load[0] = 3;
  add_process(v, 10, 5, 5, ProcState::WAITING);
  v.hosts[5].load[0] = 3;
  for (const auto& info : policy_registry()) {
    if (info.name == "external")
      continue;
    CAPTURE(info.name);
    auto policy = make(info.name);
    int granted = 0;
    for (int round = 0; round < 3; ++round) { // balancing policies learn loads at a timer before they move
      auto ds = policy->decide(v, {timer(), request(0, 0, 6), on_proc(EventKind::PROCESS_ARRIVED, 10, 5, 5)});
      for (const auto& d : ds) {
        if (d.kind == DecisionKind::GRANT_HOST) {
          CHECK(v.hosts[static_cast<size_t>(d.host.value())].architecture == "a");
          ++granted;
        }
        if (d.kind == DecisionKind::PLACE || d.kind == DecisionKind::MIGRATE)
          CHECK(v.hosts[static_cast<size_t>(d.host.value())].architecture == "b");
      }
    }
    CHECK(granted > 0);
  }
}
