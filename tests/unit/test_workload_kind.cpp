// Unit tests for the workload kind table (core/workload_kind.hpp): names round-trip, every kind refuses the keys of
// the others with the kinds that do read them named, and a resolved config holds exactly its kind's keys.
#include <doctest/doctest.h>

#include "tests/unit/test_support.hpp"

#include <algorithm>
#include <string>

#include "core/experiment.hpp"
#include "core/json_reader.hpp"
#include "core/workload_kind.hpp"

using namespace spritesim;
using spritesim::test::contains;
using spritesim::test::input_error_of;

namespace {

// A config of `kind` that parses: the job keys it needs, and a duration when it needs one.
nlohmann::json valid_workload(const WorkloadKindInfo& k)
{
  nlohmann::json w = {{"kind", std::string(k.name)}};
  if (k.needs_duration)
    w["duration_s"] = 100;
  if (!k.job_keys.empty())
    w["script"] = nlohmann::json::array({{{"arrival_s", 1}, {"home", 0}, {"cpu_s", 2}}});
  return w;
}

} // namespace

// Generic over the table, so that a new kind's row needs no change here.
TEST_CASE("each workload kind's name round-trips, and pmake, processes and mixed are among them")
{
  std::vector<std::string> names = workload_kind_names();
  CHECK(names.size() == workload_kinds().size());
  for (const auto& k : workload_kinds()) {
    CHECK(workload_kind_name(k.kind) == k.name);
    CHECK(find_workload_kind(k.name) == k.kind);
    CHECK(std::count(names.begin(), names.end(), std::string(k.name)) == 1);
  }
  CHECK(find_workload_kind("pmake") == WorkloadKind::PMAKE);
  CHECK(find_workload_kind("processes") == WorkloadKind::PROCESSES);
  CHECK(find_workload_kind("mixed") == WorkloadKind::MIXED);
  CHECK_FALSE(find_workload_kind("make"));
  CHECK(workload_kind_info(WorkloadKind::PMAKE).sequential_baseline);
  CHECK_FALSE(workload_kind_info(WorkloadKind::MIXED).sequential_baseline);
}

TEST_CASE("the kinds reading a key are named as an error lists them")
{
  CHECK(quoted_alternatives({"a"}) == "\"a\"");
  CHECK(quoted_alternatives({"a", "b", "c"}) == "\"a\", \"b\" or \"c\"");
  CHECK(contains(kinds_reading("trace"), "\"pmake\""));
  CHECK_FALSE(contains(kinds_reading("trace"), "\"processes\""));
  CHECK(contains(kinds_reading("script"), "\"processes\""));
  CHECK(contains(kinds_reading("script"), "\"mixed\""));
  std::vector<std::string_view> keys = workload_kind_keys();
  CHECK(keys.front() == "trace"); // the order errors are found in: pmake's keys first
  for (std::string_view key : keys) {
    CAPTURE(key);
    CHECK(std::count(keys.begin(), keys.end(), key) == 1);
    for (const auto& k : workload_kinds())
      CHECK(contains(kinds_reading(key), "\"" + std::string(k.name) + "\"") ==
            (std::find(k.keys.begin(), k.keys.end(), key) != k.keys.end()));
  }
}

TEST_CASE("every kind refuses every key only other kinds read, naming them, and resolves to its own keys")
{
  for (const auto& k : workload_kinds()) {
    CAPTURE(k.name);
    nlohmann::json doc = {{"workload", valid_workload(k)}};
    ExperimentSpec s = parse_experiment(doc, "k.json");
    CHECK(s.workload.kind == k.kind);
    nlohmann::json resolved = to_json(s)["workload"];
    // kind, baseline and its keys: every one with a WorkloadSpec field, and its own keys (options) only if given
    for (const auto& [key, value] : resolved.items())
      CHECK((key == "kind" || key == "baseline" || std::find(k.keys.begin(), k.keys.end(), key) != k.keys.end()));
    for (std::string_view name : k.keys) {
      std::string key(name);
      if (resolved.contains(key))
        continue;
      nlohmann::json given = doc; // a key left out must be one of the kind's own, kept as given
      given["workload"][key] = 1;
      ExperimentSpec g = parse_experiment(given, "k.json");
      CHECK(g.workload.options.at(key) == 1);
      CHECK(to_json(g)["workload"].at(key) == 1);
    }
    CHECK(parse_experiment({{"workload", resolved}}, "again.json").workload.kind == k.kind);
    for (std::string_view key : workload_kind_keys()) {
      if (std::find(k.keys.begin(), k.keys.end(), key) != k.keys.end())
        continue;
      nlohmann::json bad = doc;
      bad["workload"][std::string(key)] = nlohmann::json::object();
      std::string e = input_error_of([&] { parse_experiment(bad, "k.json"); });
      CHECK(contains(e, "k.json: at $.workload." + std::string(key) + ": only " + kinds_reading(key) +
                            " workload has \"" + std::string(key) + "\" (this one is \"" + std::string(k.name) + "\")"));
    }
  }
}

TEST_CASE("a kind that needs jobs names the keys it reads them from")
{
  std::string e = input_error_of([] {
    parse_experiment(nlohmann::json::parse(R"({"workload": {"kind": "processes", "duration_s": 10}})"), "p.json");
  });
  CHECK(contains(e, "at $.workload.kind: a \"processes\" workload needs \"processes\" or \"script\""));
  std::string m = input_error_of([] {
    parse_experiment(nlohmann::json::parse(R"({"workload": {"kind": "mixed", "duration_s": 10}})"), "m.json");
  });
  CHECK(contains(m, "a \"mixed\" workload needs \"processes\", \"script\" or \"builds\""));
  std::string d = input_error_of([] {
    parse_experiment(nlohmann::json::parse(R"({"workload": {"kind": "mixed", "builds": {}}})"), "m.json");
  });
  CHECK(contains(d, "at $.workload.kind: a \"mixed\" workload needs duration_s > 0"));
}
