// Unit tests for the policy boundary: the registry builds policies by name with checked parameters, the sprite
// policy hands out hosts longest-idle first and reclaims fairly, and the non-virtual runner counts decisions and
// rejects impossible ones.
#include <doctest/doctest.h>

#include "tests/unit/test_support.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/input_error.hpp"
#include "policy/cluster_view.hpp"
#include "policy/policy.hpp"

using namespace spritesim;
using spritesim::test::contains;
using spritesim::test::input_error_of;

namespace {

// n available, unheld workstations h0..h{n-1}, idle since 100 + id (so h0 is the longest idle), for `clients`
// clients holding nothing.
ClusterView cluster(int n, int clients)
{
  ClusterView v;
  v.now_s = 1000;
  for (int i = 0; i < n; ++i) {
    HostView h;
    h.id = i;
    h.name = std::string("h").append(std::to_string(i));
    h.idle_since_s = 100 + i;
    v.hosts.push_back(h);
  }
  v.held_by_client.assign(static_cast<size_t>(clients), 0);
  return v;
}

void hold(ClusterView& v, int host, int client)
{
  v.hosts[static_cast<size_t>(host)].holder = client;
  ++v.held_by_client[static_cast<size_t>(client)];
}

PolicyEvent request(int client, int home, int count)
{
  PolicyEvent e;
  e.kind = EventKind::HOST_REQUEST;
  e.client = client;
  e.home = home;
  e.count = count;
  return e;
}

std::unique_ptr<Policy> sprite(int margin = 2)
{
  return make_policy("sprite", nlohmann::json{{"fairness_margin", margin}}, "t.json", "$.policy");
}

std::vector<int> hosts_of(const std::vector<Decision>& ds, DecisionKind kind)
{
  std::vector<int> out;
  for (const auto& d : ds)
    if (d.kind == kind)
      out.push_back(d.host);
  return out;
}

// A policy returning whatever decisions it is given, to exercise the runner's checks.
class Scripted final : public Policy {
public:
  explicit Scripted(std::vector<Decision> out) : out_(std::move(out)) {}

private:
  std::vector<Decision> do_decide(const ClusterView&, const std::vector<PolicyEvent>&) override { return out_; }
  std::vector<Decision> out_;
};

Decision grant(int client, int host) { return {DecisionKind::GRANT_HOST, client, host}; }
Decision revoke(int client, int host) { return {DecisionKind::REVOKE_HOST, client, host}; }

} // namespace

TEST_CASE("the registry builds the sprite policy by name")
{
  const auto& reg = policy_registry();
  REQUIRE(!reg.empty());
  bool found = false;
  for (const auto& info : reg) {
    if (info.name != "sprite")
      continue;
    found = true;
    CHECK(!info.summary.empty());
    CHECK(!info.source.empty());
    REQUIRE(info.params.size() == 1);
    CHECK(info.params[0].name == "fairness_margin");
    CHECK(info.params[0].type == "integer");
    CHECK(info.params[0].default_value == 2);
    CHECK(!info.params[0].doc.empty());
  }
  CHECK(found);

  std::unique_ptr<Policy> p = make_policy("sprite", nlohmann::json::object(), "t.json", "$.policy");
  REQUIRE(p != nullptr);
  CHECK(p->calls() == 0);
  CHECK(p->decisions() == 0);
  CHECK(sprite(5) != nullptr);
}

TEST_CASE("bad policy names and parameters are InputErrors")
{
  std::string unknown = input_error_of([] { make_policy("lottery", nlohmann::json::object(), "t.json", "$.policy"); });
  CHECK(unknown.rfind("t.json: at $.policy.name: ", 0) == 0);
  CHECK(contains(unknown, "unknown policy \"lottery\""));
  CHECK(contains(unknown, "known: sprite"));

  std::string param =
      input_error_of([] { make_policy("sprite", nlohmann::json{{"margin", 2}}, "t.json", "$.policy"); });
  CHECK(param.rfind("t.json: at $.policy.params.margin: ", 0) == 0);
  CHECK(contains(param, "unknown key \"margin\""));
  CHECK(contains(param, "fairness_margin"));

  for (int bad : {0, -1, 1001}) {
    CAPTURE(bad);
    std::string range =
        input_error_of([&] { make_policy("sprite", nlohmann::json{{"fairness_margin", bad}}, "t.json", "$.policy"); });
    CHECK(range.rfind("t.json: at $.policy.params.fairness_margin: ", 0) == 0);
    CHECK(contains(range, "[1, 1000]"));
  }
  std::string type = input_error_of(
      [] { make_policy("sprite", nlohmann::json{{"fairness_margin", "two"}}, "t.json", "$.policy"); });
  CHECK(contains(type, "$.policy.params.fairness_margin"));
  CHECK(contains(type, "expected an integer"));
}

TEST_CASE("sprite grants the longest-idle free hosts, never the home, a held, unavailable or server host")
{
  ClusterView v = cluster(8, 3);
  v.hosts[0].idle_since_s = 500; // h0 became idle last
  v.hosts[5].idle_since_s = 10;  // h5 is the longest idle but the requester's home
  v.hosts[6].idle_since_s = 20;  // longest idle of the rest
  v.hosts[1].available = false;
  v.hosts[2].is_file_server = true;
  hold(v, 3, 1);
  // Free and eligible for client 0 (home h5): h6 (20), h4 (104), h7 (107), h0 (500).
  auto p = sprite();
  std::vector<Decision> ds = p->decide(v, {request(0, 5, 3)});
  REQUIRE(ds.size() == 3);
  CHECK(hosts_of(ds, DecisionKind::GRANT_HOST) == std::vector<int>{6, 4, 7});
  for (const auto& d : ds)
    CHECK(d.client == 0);

  // Asking for more than there is grants every eligible host and nothing else.
  ds = sprite()->decide(v, {request(0, 5, 10)});
  CHECK(hosts_of(ds, DecisionKind::GRANT_HOST) == std::vector<int>{6, 4, 7, 0});
  CHECK(hosts_of(ds, DecisionKind::REVOKE_HOST).empty());

  // Ties on idle time go to the lower host id.
  ClusterView tie = cluster(4, 1);
  for (auto& h : tie.hosts)
    h.idle_since_s = 7;
  CHECK(hosts_of(sprite()->decide(tie, {request(0, 1, 2)}), DecisionKind::GRANT_HOST) == std::vector<int>{0, 2});

  // A request for nothing, and a returned host, decide nothing.
  CHECK(sprite()->decide(v, {request(0, 5, 0)}).empty());
  PolicyEvent returned;
  returned.kind = EventKind::HOST_RETURNED;
  returned.client = 1;
  returned.host = 3;
  CHECK(sprite()->decide(v, {returned}).empty());
}

TEST_CASE("requests in one call never get the same host")
{
  ClusterView v = cluster(5, 2);
  std::vector<Decision> ds = sprite()->decide(v, {request(0, 0, 2), request(1, 4, 2)});
  REQUIRE(ds.size() == 4);
  CHECK(ds[0].client == 0);
  CHECK(ds[1].client == 0);
  CHECK(ds[2].client == 1);
  CHECK(ds[3].client == 1);
  CHECK(hosts_of(ds, DecisionKind::GRANT_HOST) == std::vector<int>{1, 2, 0, 3});
}

TEST_CASE("a request finding no free host reclaims from the biggest holder only past the fairness margin")
{
  SUBCASE("biggest holder has requester + 2: one host is revoked from it")
  {
    ClusterView v = cluster(6, 3);
    v.hosts[5].available = false;
    hold(v, 0, 0);
    hold(v, 1, 2);
    hold(v, 2, 2);
    hold(v, 3, 2);
    hold(v, 4, 1); // the requester holds 1, client 2 holds 3 = 1 + 2
    std::vector<Decision> ds = sprite()->decide(v, {request(1, 5, 1)});
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].kind == DecisionKind::REVOKE_HOST);
    CHECK(ds[0].client == 2);
    CHECK(v.hosts[static_cast<size_t>(ds[0].host)].holder == 2);
  }
  SUBCASE("biggest holder has requester + 1: nothing")
  {
    ClusterView v = cluster(5, 3);
    v.hosts[4].available = false;
    hold(v, 0, 0);
    hold(v, 1, 2);
    hold(v, 2, 2);
    hold(v, 3, 1); // requester 1 holds 1, client 2 holds 2
    CHECK(sprite()->decide(v, {request(1, 4, 1)}).empty());
    // With a margin of 1 the same state reclaims.
    std::vector<Decision> ds = sprite(1)->decide(v, {request(1, 4, 1)});
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].kind == DecisionKind::REVOKE_HOST);
    CHECK(ds[0].client == 2);
  }
  SUBCASE("a requester holding nothing reclaims from a holder of two, not of one")
  {
    ClusterView v = cluster(3, 3);
    hold(v, 0, 0);
    hold(v, 1, 0);
    hold(v, 2, 1);
    std::vector<Decision> ds = sprite()->decide(v, {request(2, 2, 1)});
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].kind == DecisionKind::REVOKE_HOST);
    CHECK(ds[0].client == 0);
    CHECK((ds[0].host == 0 || ds[0].host == 1));

    ClusterView one = cluster(2, 3);
    hold(one, 0, 0);
    hold(one, 1, 1);
    CHECK(sprite()->decide(one, {request(2, 0, 1)}).empty());
  }
  SUBCASE("the reclaimed host is never the requester's home")
  {
    ClusterView v = cluster(3, 2);
    hold(v, 0, 0);
    hold(v, 1, 0);
    hold(v, 2, 0);
    std::vector<Decision> ds = sprite()->decide(v, {request(1, 0, 1)});
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].kind == DecisionKind::REVOKE_HOST);
    CHECK(ds[0].host != 0);
    CHECK(ds[0].client == 0);
  }
  SUBCASE("a request that gets some free hosts reclaims nothing")
  {
    ClusterView v = cluster(5, 2);
    hold(v, 0, 0);
    hold(v, 1, 0);
    hold(v, 2, 0);
    hold(v, 3, 0);
    std::vector<Decision> ds = sprite()->decide(v, {request(1, 0, 3)});
    CHECK(hosts_of(ds, DecisionKind::GRANT_HOST) == std::vector<int>{4});
    CHECK(hosts_of(ds, DecisionKind::REVOKE_HOST).empty());
  }
  SUBCASE("the requester itself is never the victim")
  {
    ClusterView v = cluster(3, 2);
    hold(v, 0, 0);
    hold(v, 1, 0);
    hold(v, 2, 0);
    CHECK(sprite()->decide(v, {request(0, 1, 1)}).empty());
  }
}

TEST_CASE("decide counts calls and decisions")
{
  ClusterView v = cluster(4, 1);
  auto p = sprite();
  CHECK(p->decide(v, {}).empty());
  CHECK(p->calls() == 1);
  CHECK(p->decisions() == 0);
  CHECK(p->decide(v, {request(0, 0, 2)}).size() == 2);
  CHECK(p->calls() == 2);
  CHECK(p->decisions() == 2);
  CHECK(p->decide(v, {request(0, 0, 1)}).size() == 1);
  CHECK(p->calls() == 3);
  CHECK(p->decisions() == 3);
}

TEST_CASE("decide rejects impossible decisions from a policy's hook")
{
  ClusterView v = cluster(4, 2);
  hold(v, 1, 1);
  v.hosts[2].available = false;
  v.hosts[3].is_file_server = true;
  const std::vector<PolicyEvent> events = {request(0, 2, 1)};

  struct Case {
    const char* what;
    std::vector<Decision> out;
  };
  const std::vector<Case> bad = {
      {"grant a held host", {grant(0, 1)}},
      {"grant an unavailable host", {grant(0, 2)}},
      {"grant the file server", {grant(0, 3)}},
      {"grant the same host twice", {grant(0, 0), grant(0, 0)}},
      {"grant an unknown host", {grant(0, 4)}},
      {"grant a negative host", {grant(0, -1)}},
      {"revoke a host nobody holds", {revoke(0, 0)}},
  };
  for (const Case& c : bad) {
    CAPTURE(c.what);
    Scripted p(c.out);
    CHECK_THROWS_AS(p.decide(v, events), std::logic_error);
    CHECK(p.decisions() == 0);
  }

  // Granting the requester its own home is refused too.
  Scripted home({grant(0, 0)});
  CHECK_THROWS_AS(home.decide(v, {request(0, 0, 1)}), std::logic_error);
  // A revoke must name the client that holds the host.
  Scripted wrong_holder({revoke(0, 1)});
  CHECK_THROWS_AS(wrong_holder.decide(v, events), std::logic_error);

  // The same runner lets possible decisions through and counts them.
  Scripted ok({grant(0, 0), revoke(1, 1)});
  std::vector<Decision> ds = ok.decide(v, events);
  CHECK(ds.size() == 2);
  CHECK(ok.calls() == 1);
  CHECK(ok.decisions() == 2);
}
