// Conformance of the two backends through the one migd core, for every registered policy: one scripted day of
// arrivals, owners coming and going, exits, a host going down and timers, run with the simulator's and real mode's
// capability sets (tests/unit/migd_fake_backend.hpp), compared call by call, decision by decision, record by record.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "migd_fake_backend.hpp"

namespace spritesim::test {
namespace {

constexpr int HOSTS = 5;
constexpr int PROCS = 8;
constexpr int64_t REFUSED_PROC = 3; ///< the fake mechanism refuses orders on it: DECISION_REJECTED in both

std::unique_ptr<FakeBackend> run_day(const std::string& policy, Capabilities caps, bool migratable)
{
  auto b = std::make_unique<FakeBackend>(caps, make_policy(policy, nlohmann::json::object(), "test", "$.policy"),
                                         HOSTS);
  b->refuse_proc = REFUSED_PROC;
  MigdCore& core = *b->core;
  for (int h = 0; h < HOSTS; ++h)
    core.evaluate(h, {0, 0, 0}, {0, 0, 0}); // every host idle: OWNER_IDLE
  for (int64_t id = 1; id <= PROCS; ++id) {
    b->run_until(static_cast<double>(id));
    b->arrive(id, static_cast<int>(id % 2), static_cast<int>(id % 2), migratable);
    b->settle();
  }
  b->run_until(40);
  for (int h : {2, 3}) { // owners come back where the work went
    core.owner_active(h);
    b->settle();
  }
  b->run_until(100);
  core.owner_left(3, 60); // and one of them leaves again
  core.evaluate(3, {0, 0, 0}, {0, 0, 0});
  b->settle();
  b->run_until(120);
  for (int64_t id : {1, 2})
    if (core.process(id)) {
      core.process_exited(id);
      b->settle();
    }
  b->run_until(130);
  core.host_down(4);
  b->settle();
  b->run_until(400);
  for (int64_t id = 3; id <= PROCS; ++id)
    if (core.process(id)) {
      core.process_exited(id);
      b->settle();
    }
  b->run_until(1000);
  core.owner_active(1); // a last call: the refusals of the one before are delivered
  b->settle();
  return b;
}

std::string text(const PolicyEvent& e)
{
  std::string s = fmt::format("{} c{} h{} p{}", to_string(e.kind), e.client, e.host, e.proc);
  if (e.kind == EventKind::DECISION_REJECTED)
    s += fmt::format(" [{} p{} h{}: {}]", to_string(e.rejected.kind), e.rejected.proc, e.rejected.host, e.reason);
  return s;
}

std::string text(const Decision& d)
{
  return fmt::format("{} c{} h{} p{} {:.3f}", to_string(d.kind), d.client, d.host, d.proc, d.at_s);
}

/// An order without its eviction mark.
std::string unmarked(std::string o)
{
  for (const char* mark : {", eviction", " (eviction)"})
    if (auto at = o.find(mark); at != std::string::npos)
      o.erase(at, std::string(mark).size());
  return o;
}

/// Orders that were steps of a host eviction.
int64_t eviction_steps(const FakeBackend& b)
{
  return std::count_if(b.orders.begin(), b.orders.end(),
                       [](const std::string& o) { return o != unmarked(o) && o.find("refused") == std::string::npos; });
}

/// Everything a run shows: the policy's calls, the actuator's orders and the record logs; host evictions only when
/// `evictions` (they count EVICTs, or where the backend cannot EVICT, the kills and stops standing in for them).
std::vector<std::string> transcript(const FakeBackend& b, bool evictions)
{
  std::vector<std::string> out;
  for (const auto& c : b.calls) {
    for (const auto& e : c.events)
      out.push_back("event " + text(e));
    for (const auto& d : c.decisions)
      out.push_back("decision " + text(d));
  }
  for (const auto& o : b.orders)
    out.push_back("order " + (evictions ? o : unmarked(o)));
  for (const auto& d : b.core->decisions())
    out.push_back(fmt::format("record {:.3f} {} {} c{} {} {}", d.time_s, d.event, d.kind, d.client, d.host, d.process));
  for (const auto& m : b.core->migrations())
    out.push_back(fmt::format("migration {:.3f} {} {} {} {}", m.time_s, m.job_id, m.kind, m.from_host, m.to_host));
  for (const auto& e : b.core->evictions())
    if (evictions)
      out.push_back(fmt::format("eviction {:.3f} {} {} {} {:.3f}", e.time_s, e.host, e.reason, e.processes, e.duration_s));
  return out;
}

/// Decision kinds the core carried out (logged) and DECISION_REJECTED events the policy was given.
std::set<std::string> kinds_seen(const FakeBackend& b)
{
  std::set<std::string> out;
  for (const auto& d : b.core->decisions())
    out.insert(to_string(d.kind));
  for (const auto& c : b.calls)
    for (const auto& e : c.events)
      if (e.kind == EventKind::DECISION_REJECTED)
        out.insert(to_string(e.kind));
  return out;
}

} // namespace

TEST_CASE("conformance: every policy decides and records alike through the simulator's and real mode's core")
{
  // Processes declared not migratable (what real mode declares, and the simulator with processes_migratable
  // false) and no host requests: both capability sets must give identical runs.
  std::set<std::string> covered;
  for (const PolicyInfo& info : policy_registry()) {
    CAPTURE(info.name);
    auto sim = run_day(info.name, simulator_capabilities(), false);
    auto real = run_day(info.name, real_capabilities(), false);
    CHECK(transcript(*sim, false) == transcript(*real, false));
    CHECK(!sim->calls.empty());
    // Host evictions: the simulator's are its EVICT moves (none here); real mode's, its kills and stops of foreign
    // processes, each counted once in a closed record or in the one still open.
    CHECK(sim->core->evictions().empty());
    CHECK(eviction_steps(*sim) == 0);
    int64_t counted = 0;
    for (const auto& e : real->core->evictions())
      counted += e.processes;
    for (int h = 0; h < HOSTS; ++h)
      counted += real->core->host(h).eviction.start_s >= 0 ? real->core->host(h).eviction.processes : 0;
    CHECK(counted <= eviction_steps(*real));
    CHECK(sim->core->stats().policy_errors == 0);
    auto seen = kinds_seen(*sim);
    covered.insert(seen.begin(), seen.end());
  }
  for (std::string kind : {"place", "restart", "suspend", "resume", "decision_rejected"}) {
    CAPTURE(kind);
    CHECK(covered.count(kind) == 1);
  }
}

TEST_CASE("conformance: moves are carried out by the simulator and refused alike by real mode, for every policy")
{
  // Migratable processes: the simulator carries out MIGRATE and EVICT; real mode's core refuses each with the one
  // capability reason, delivered to the policy with its next call, and never hands the actuator a move.
  std::set<std::string> moved, refused;
  for (const PolicyInfo& info : policy_registry()) {
    CAPTURE(info.name);
    auto sim = run_day(info.name, simulator_capabilities(), true);
    auto real = run_day(info.name, real_capabilities(), true);
    REQUIRE(!real->calls.empty());
    CHECK(text(real->calls.front().decisions.empty() ? Decision{} : real->calls.front().decisions.front()) ==
          text(sim->calls.front().decisions.empty() ? Decision{} : sim->calls.front().decisions.front()));
    for (const auto& o : real->orders)
      CHECK((o.rfind("migrate", 0) != 0 && o.rfind("evict", 0) != 0));
    for (size_t i = 0; i + 1 < real->calls.size(); ++i) {
      std::multiset<std::string> asked, delivered;
      for (const Decision& d : real->calls[i].decisions)
        if (!real_capabilities().can(d.kind)) {
          asked.insert(text(rejection_event(d, MigdCore::incapable_reason(d.kind))));
          refused.insert(to_string(d.kind));
        }
      for (const PolicyEvent& e : real->calls[i + 1].events)
        if (e.kind == EventKind::DECISION_REJECTED && e.reason == MigdCore::incapable_reason(e.rejected.kind))
          delivered.insert(text(e));
      CHECK(asked == delivered);
    }
    for (const auto& d : sim->core->decisions())
      moved.insert(to_string(d.kind));
  }
  CHECK(moved.count("migrate") == 1);
  CHECK(moved.count("evict") == 1);
  CHECK(refused.count("migrate") == 1);
  CHECK(refused.count("evict") == 1);
}

} // namespace spritesim::test
