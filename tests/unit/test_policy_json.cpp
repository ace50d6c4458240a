// The external policy protocol's messages (policy/policy_json.hpp): views, events and decisions survive the round
// trip through JSON text exactly (doubles to the last bit), the parsers refuse unknown keys and kinds with the JSON
// path, and an ExternalPolicy speaking to a small shell script gets its decisions and reports its failures.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "core/experiment.hpp"
#include "policy/external_policy.hpp"
#include "policy/policy_json.hpp"
#include "tests/unit/test_support.hpp"

using namespace spritesim;
using namespace spritesim::test;

namespace {

ClusterView sample_view()
{
  ClusterView v;
  v.now_s = 1234.5678901234567;
  for (int i = 0; i < 3; ++i) {
    HostView h;
    h.id = i;
    h.name = "ws0" + std::to_string(i);
    h.is_file_server = i == 2;
    h.available = i != 1;
    h.owner_active = i == 1;
    h.last_input_s = i == 0 ? -1e18 : 0.1 + i / 3.0;
    h.idle_since_s = 1.0 / 7 + i;
    h.load[0] = 0.3, h.load[1] = 1.0 / 3, h.load[2] = 2e-9;
    h.run_queue = i;
    h.foreign = i == 0 ? 1 : 0;
    h.holder = i == 0 ? 0 : -1;
    h.speed = 1.25;
    v.hosts.push_back(h);
  }
  ProcessView p;
  p.id = 7;
  p.client = 0;
  p.home = 1;
  p.host = 0;
  p.state = ProcState::SUSPENDED;
  p.run_start_s = 3.0000000000000004;
  p.started_s = 2.5;
  p.migration_cost_s = 0.123456789;
  p.migratable = false;
  v.processes.push_back(p);
  p.id = 9, p.state = ProcState::WAITING, p.host = 1, p.migratable = true;
  v.processes.push_back(p);
  v.held_by_client = {1};
  v.client_homes = {1, -1};
  return v;
}

nlohmann::json through_text(const nlohmann::json& j) { return nlohmann::json::parse(j.dump()); }

} // namespace

TEST_CASE("external policy protocol: the view, events and decisions survive the round trip exactly")
{
  ClusterView v = sample_view();
  ClusterView back = parse_view(JsonReader(through_text(to_json(v)), "t"));
  CHECK(to_json(back) == to_json(v));
  CHECK(back.now_s == v.now_s);
  CHECK(back.hosts[0].last_input_s == -1e18);
  CHECK(back.hosts[1].idle_since_s == v.hosts[1].idle_since_s);
  CHECK(back.hosts[0].load[1] == 1.0 / 3);
  CHECK(back.processes[0].state == ProcState::SUSPENDED);
  CHECK(back.processes[0].run_start_s == 3.0000000000000004);
  CHECK(!back.processes[0].migratable);
  CHECK(back.client_homes == std::vector<int>{1, -1});

  Decision d{DecisionKind::WAKE_AT, ClientId(), HostId(), ProcId(), 0.1 + 0.2};
  Decision d2 = parse_decision(JsonReader(through_text(to_json(d)), "t"));
  CHECK(d2.kind == DecisionKind::WAKE_AT);
  CHECK(d2.at_s == 0.1 + 0.2);
  CHECK(!d2.client.valid());

  PolicyEvent ev = rejection_event({DecisionKind::MIGRATE, ClientId(), HostId(2), ProcId(7)}, "the host is down");
  PolicyEvent ev2 = parse_event(JsonReader(through_text(to_json(ev)), "t"));
  CHECK(to_json(ev2) == to_json(ev));
  CHECK(ev2.rejected.kind == DecisionKind::MIGRATE);
  CHECK(ev2.reason == "the host is down");
  for (EventKind k : EnumValues<EventKind>::all) {
    PolicyEvent e;
    e.kind = k;
    e.host = 1;
    CHECK(parse_event(JsonReader(through_text(to_json(e)), "t")).kind == k);
  }
}

TEST_CASE("external policy protocol: decisions are parsed strictly, with the JSON path")
{
  auto decision_error = [](const std::string& text) {
    return input_error_of([&] { parse_decision(JsonReader(nlohmann::json::parse(text), "answer", "$.d")); });
  };
  Decision d = parse_decision(JsonReader(nlohmann::json::parse(R"({"kind": "place", "proc": 4, "host": 2})"), "a"));
  CHECK(d.kind == DecisionKind::PLACE);
  CHECK(d.proc.value() == 4);
  CHECK(d.host.value() == 2);
  CHECK(!d.client.valid());
  CHECK(contains(decision_error(R"({"kind": "teleport"})"), "$.d.kind"));
  CHECK(contains(decision_error(R"({"kind": "teleport"})"), "\"grant_host\""));
  CHECK(contains(decision_error(R"({"kind": "evict", "proc": 1, "why": "x"})"), "unknown key \"why\""));
  CHECK(contains(decision_error(R"({"kind": "evict", "proc": 1.5})"), "$.d.proc"));
  CHECK(contains(decision_error(R"({"proc": 1})"), "kind"));
}

TEST_CASE("an external policy answers through its process and reports each way it can fail")
{
  ClusterView v = sample_view();
  // A one-line policy in sh: the hello, then one GRANT_HOST per call whatever it is asked.
  auto policy = [](const std::string& body, double timeout_s = 5) {
    std::string script = "read hello; echo '{\"type\":\"hello\",\"protocol\":1,\"name\":\"sh\"}'; n=0; " + body;
    return std::make_unique<ExternalPolicy>(std::vector<std::string>{"/bin/sh", "-c", script},
                                            nlohmann::json::object(), timeout_s);
  };
  PolicyEvent request;
  request.kind = EventKind::HOST_REQUEST;
  request.client = 1;
  request.home = 1;
  request.count = 1;
  auto good = policy("while read line; do n=$((n+1)); echo \"{\\\"type\\\":\\\"decisions\\\",\\\"call\\\":$n,"
                     "\\\"decisions\\\":[{\\\"kind\\\":\\\"grant_host\\\",\\\"client\\\":1,\\\"host\\\":1}]}\"; done");
  CHECK(good->name() == "sh");
  // Host 1 is the client's own home: the runner refuses it and names the policy's command.
  std::string refused;
  try {
    good->decide(v, {request});
  } catch (const std::logic_error& e) {
    refused = e.what();
  }
  CHECK(contains(refused, "external policy [/bin/sh -c read hello;"));
  CHECK(contains(refused, "is the client's own home"));

  auto failure = [&](std::unique_ptr<ExternalPolicy> p) {
    try {
      p->decide(v, {request});
    } catch (const PolicyFailure& e) {
      return std::string(e.what());
    }
    return std::string("no failure");
  };
  CHECK(contains(failure(policy("read line; exit 4")), "ended without answering call 1; it exited with status 4"));
  CHECK(contains(failure(policy("read line; echo '{oops'; sleep 60")), "is not a JSON line"));
  CHECK(contains(failure(policy("read line; sleep 60", 0.2)), "no answer to call 1 within timeout_s = 0.2 s"));
  CHECK(contains(failure(policy("read line; echo '{\"type\":\"decisions\",\"call\":2,\"decisions\":[]}'; sleep 60")),
                 "answers call 2, expected 1"));
  std::string hello;
  try {
    ExternalPolicy p({"/bin/sh", "-c", "read hello; echo '{\"type\":\"hello\",\"protocol\":2,\"name\":\"x\"}'"}, {}, 5);
  } catch (const PolicyFailure& e) {
    hello = e.what();
  }
  CHECK(contains(hello, "speaks protocol 2, this spritesim speaks 1"));
}
