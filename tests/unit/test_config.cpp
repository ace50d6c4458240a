// Unit tests for experiment configs: a valid config parses with every default filled and round-trips through
// to_json; every kind of bad config is an InputError naming the file and the JSON path; --set overrides and the
// embedded configs load through load_experiment.
#include <doctest/doctest.h>

#include "tests/unit/test_support.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/experiment.hpp"
#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "experiments/data_files.hpp"

using namespace spritesim;
using spritesim::test::contains;
using spritesim::test::input_error_of;

namespace {

// A config file in a fresh temporary folder, removed with the folder at scope exit.
class TempConfig {
public:
  explicit TempConfig(const std::string& text) : path_(dir_.write("exp.json", text)) {}
  const std::string& path() const { return path_; }
  std::filesystem::path dir() const { return dir_.dir(); }

private:
  test::TempDir dir_;
  std::string path_;
};

const char* const MINIMAL = R"({"name": "mini", "seed": 7, "platform": {"workstations": 5}})";

} // namespace

TEST_CASE("a minimal config parses and the defaults are filled")
{
  ExperimentSpec s = parse_experiment(parse_json_text(MINIMAL, "mini.json"), "mini.json");
  CHECK(s.file == "mini.json");
  CHECK(s.name == "mini");
  CHECK(s.seed == 7);
  CHECK(s.platform.workstations == 5);
  CHECK(s.platform.profile == "ss1");
  CHECK(s.platform.file_server_profile == "sun4-280");
  CHECK(s.platform.network.bandwidth_Mbps == 10.0);
  CHECK(s.platform.network.latency_us == 5.0);
  CHECK(s.costs.empty());
  CHECK(s.workload.kind == WorkloadKind::PMAKE);
  CHECK(s.workload.trace == "builtin:kernel");
  CHECK(s.workload.max_jobs == 4); // one per workstation other than pmake's own
  CHECK(s.workload.max_local == 1);
  CHECK(s.workload.migrate);
  CHECK(s.workload.baseline == "sequential");
  CHECK(s.policy.name == "sprite");
  CHECK(s.policy.params == nlohmann::json::object());

  // An empty object is a valid config too; the name comes from the file's stem.
  ExperimentSpec e = parse_experiment(nlohmann::json::object(), "dir/my-exp.json");
  CHECK(e.name == "my-exp");
  CHECK(e.seed == 1);
  CHECK(e.platform.workstations == 12);
  CHECK(e.workload.max_jobs == 11);
}

TEST_CASE("to_json gives the resolved config, defaults included")
{
  ExperimentSpec s = parse_experiment(parse_json_text(MINIMAL, "mini.json"), "mini.json");
  nlohmann::json j = to_json(s);
  CHECK(j["name"] == "mini");
  CHECK(j["seed"] == 7);
  CHECK(j["platform"]["workstations"] == 5);
  CHECK(j["platform"]["profile"] == "ss1");
  CHECK(j["platform"]["file_server"]["profile"] == "sun4-280");
  CHECK(j["platform"]["network"]["bandwidth_Mbps"] == 10.0);
  CHECK(j["platform"]["network"]["latency_us"] == 5.0);
  CHECK(j["costs"] == nlohmann::json::object());
  CHECK(j["workload"]["kind"] == "pmake");
  CHECK(j["workload"]["trace"] == "builtin:kernel");
  CHECK(j["workload"]["max_jobs"] == 4);
  CHECK(j["workload"]["max_local"] == 1);
  CHECK(j["workload"]["migrate"] == true);
  CHECK(j["workload"]["baseline"] == "sequential");
  CHECK(j["policy"]["name"] == "sprite");
  CHECK(j["policy"]["params"] == nlohmann::json::object());
}

TEST_CASE("parse(to_json(spec)) round-trips")
{
  const char* full = R"({
    "name": "full", "seed": 42,
    "platform": {"workstations": 8, "profile": "ds3100", "file_server": {"profile": "sun4-280"},
                 "network": {"bandwidth_Mbps": 100, "latency_us": 2.5}},
    "costs": {"workstation": {"rpc_null_rtt_ms": 2.0, "open_file_ms": 10},
              "file_server": {"lookup_cpu_ms": 1.2}},
    "workload": {"kind": "pmake", "trace": "builtin:kernel", "max_jobs": 3, "max_local": 2, "migrate": false,
                 "baseline": "none"},
    "policy": {"name": "sprite", "params": {"fairness_margin": 3}}
  })";
  const char* traced = R"({"seed": 3, "owners": {"model": "trace", "trace": "/o.csv", "trace_offset_s": 3600,
                                                  "trace_offset_per_seed_s": 60}})";
  for (const char* text : {MINIMAL, full, "{}", traced}) {
    CAPTURE(text);
    ExperimentSpec s = parse_experiment(parse_json_text(text, "cfg.json"), "cfg.json");
    nlohmann::json written = to_json(s);
    ExperimentSpec again = parse_experiment(written, "cfg.json");
    CHECK(to_json(again) == written);
    // And through the text form, as the resolved config is written next to the results.
    ExperimentSpec reread = parse_experiment(parse_json_text(written.dump(2), "cfg.json"), "cfg.json");
    CHECK(to_json(reread) == written);
  }

  ExperimentSpec s = parse_experiment(parse_json_text(full, "cfg.json"), "cfg.json");
  CHECK(s.platform.profile == "ds3100");
  CHECK(s.platform.network.bandwidth_Mbps == 100);
  CHECK(s.platform.network.latency_us == 2.5);
  REQUIRE(s.costs.size() == 3);
  nlohmann::json costs = to_json(s)["costs"];
  CHECK(costs["workstation"]["rpc_null_rtt_ms"] == 2.0);
  CHECK(costs["workstation"]["open_file_ms"] == 10.0);
  CHECK(costs["file_server"]["lookup_cpu_ms"] == 1.2);
  CHECK(s.workload.max_jobs == 3);
  CHECK(s.workload.max_local == 2);
  CHECK_FALSE(s.workload.migrate);
  CHECK(s.workload.baseline == "none");
  CHECK(s.policy.params == nlohmann::json{{"fairness_margin", 3}});
  CHECK(owner_trace_start_s(s) == 0);
  CHECK(owner_trace_start_s(parse_experiment(parse_json_text(traced, "cfg.json"), "cfg.json")) == 3600 + 3 * 60);
}

TEST_CASE("relative trace and profile paths become absolute, against the config's folder")
{
  auto resolved = [](const std::string& p) { return std::filesystem::absolute(p).lexically_normal().string(); };
  const char* text = R"({"workload": {"trace": "traces/t.json"},
                         "platform": {"profile": "../p/ws.json", "file_server": {"profile": "sun4-280"}}})";
  ExperimentSpec s = parse_experiment(parse_json_text(text, "a/b/exp.json"), "a/b/exp.json");
  CHECK(s.workload.trace == resolved("a/b/traces/t.json"));
  CHECK(std::filesystem::path(s.workload.trace).is_absolute());
  CHECK(s.platform.profile == resolved("a/p/ws.json"));
  CHECK(s.platform.file_server_profile == "sun4-280"); // a built-in name is no path
  CHECK(parse_experiment(parse_json_text(text, "exp.json"), "exp.json").workload.trace == resolved("traces/t.json"));

  const char* absolute = R"({"workload": {"trace": "/abs/t.json"}})";
  CHECK(parse_experiment(parse_json_text(absolute, "a/exp.json"), "a/exp.json").workload.trace == "/abs/t.json");

  // The resolved config reads back to the same paths, wherever it is written.
  nlohmann::json written = to_json(s);
  ExperimentSpec again = parse_experiment(written, "results/run-1/config.resolved.json");
  CHECK(again.workload.trace == s.workload.trace);
  CHECK(again.platform.profile == s.platform.profile);
  CHECK(to_json(again) == written);
}

TEST_CASE("bad configs are InputErrors naming the file, the JSON path and the problem")
{
  struct Case {
    const char* what;
    const char* text;
    std::vector<std::string> expected; // substrings of the message
  };
  const std::vector<Case> cases = {
      {"unknown top-level key", R"({"seed": 1, "sed": 2})", {"$.sed", "unknown key \"sed\"", "seed"}},
      {"unknown nested key", R"({"platform": {"workstations": 3, "zz": 1}})",
       {"$.platform.zz", "unknown key \"zz\"", "workstations"}},
      {"unknown file server key", R"({"platform": {"file_server": {"name": "x"}}})",
       {"$.platform.file_server.name", "unknown key"}},
      {"unknown network key", R"({"platform": {"network": {"mtu": 1500}}})", {"$.platform.network.mtu", "unknown"}},
      {"unknown workload key", R"({"workload": {"jobs": 3}})", {"$.workload.jobs", "unknown key"}},
      {"unknown policy key", R"({"policy": {"nme": "sprite"}})", {"$.policy.nme", "unknown key"}},
      {"unknown costs target", R"({"costs": {"server": {"cpu_mips": 1}}})", {"$.costs.server", "unknown key"}},
      {"seed as string", R"({"seed": "1"})", {"$.seed", "seed", "expected an integer", "the string \"1\""}},
      {"fractional seed", R"({"seed": 1.5})", {"$.seed", "expected an integer"}},
      {"negative seed", R"({"seed": -1})", {"$.seed", "-1"}},
      {"zero workstations", R"({"platform": {"workstations": 0}})",
       {"$.platform.workstations", "expected an integer in [1, 2000]", "got 0"}},
      {"too many workstations", R"({"platform": {"workstations": 2001}})", {"$.platform.workstations", "2001"}},
      {"zero bandwidth", R"({"platform": {"network": {"bandwidth_Mbps": 0}}})",
       {"$.platform.network.bandwidth_Mbps", "expected a number"}},
      {"profile as number", R"({"platform": {"profile": 3}})", {"$.platform.profile", "expected a string"}},
      {"platform as array", R"({"platform": [1]})", {"$.platform", "expected an object", "an array"}},
      {"bad baseline", R"({"workload": {"baseline": "x"}})",
       {"$.workload.baseline", "expected one of sequential, none", "\"x\""}},
      {"bad workload kind", R"({"workload": {"kind": "make"}})", {"$.workload.kind", "pmake", "\"make\""}},
      {"migrate as number", R"({"workload": {"migrate": 1}})", {"$.workload.migrate", "true or false"}},
      {"empty trace", R"({"workload": {"trace": ""}})", {"$.workload.trace", "builtin:NAME"}},
      {"negative max_jobs", R"({"workload": {"max_jobs": -1}})", {"$.workload.max_jobs", "-1"}},
      {"no local slot and no migration", R"({"workload": {"max_local": 0, "migrate": false}})",
       {"$.workload.max_local", "[1, 64]"}},
      {"no local slot", R"({"workload": {"max_local": 0}})", {"$.workload.max_local", "[1, 64]"}},
      {"cost override as string", R"({"costs": {"workstation": {"cpu_mips": "fast"}}})",
       {"$.costs.workstation.cpu_mips", "expected a number"}},
      {"negative cost override", R"({"costs": {"file_server": {"lookup_cpu_ms": -1}}})",
       {"$.costs.file_server.lookup_cpu_ms", "-1"}},
      {"policy params as array", R"({"policy": {"params": [1]}})",
       {"$.policy.params", "expected an object of policy parameters"}},
      {"trace offset without a trace", R"({"owners": {"model": "stochastic", "trace_offset_s": 60}})",
       {"$.owners.trace_offset_s", "only model \"trace\""}},
      {"negative trace offset", R"({"owners": {"model": "trace", "trace": "o.csv", "trace_offset_s": -1}})",
       {"$.owners.trace_offset_s", "-1"}},
      {"trace offset per seed as string",
       R"({"owners": {"model": "trace", "trace": "o.csv", "trace_offset_per_seed_s": "day"}})",
       {"$.owners.trace_offset_per_seed_s", "expected a number"}},
      {"document is an array", "[1, 2]", {"expected a JSON object"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    std::string message = input_error_of([&] { parse_experiment(parse_json_text(c.text, "bad.json"), "bad.json"); });
    REQUIRE_MESSAGE(!message.empty(), "no InputError for: " << c.what);
    CHECK_MESSAGE(message.rfind("bad.json: ", 0) == 0, message);
    for (const std::string& part : c.expected)
      CHECK_MESSAGE(contains(message, part), "\"" << part << "\" not in: " << message);
  }
}

TEST_CASE("InputError keeps file, where and message apart and composes what()")
{
  InputError e("f.json", "$.a.b", "went wrong");
  CHECK(std::string(e.what()) == "f.json: at $.a.b: went wrong");
  CHECK(e.file() == "f.json");
  CHECK(e.where() == "$.a.b");
  CHECK(e.message() == "went wrong");
  CHECK(std::string(InputError("f.json", "", "m").what()) == "f.json: m");
  CHECK(std::string(InputError("", "", "m").what()) == "<input>: m");

  try {
    parse_experiment(parse_json_text(R"({"platform": {"workstations": 0}})", "w.json"), "w.json");
    FAIL("no InputError");
  } catch (const InputError& caught) {
    CHECK(caught.file() == "w.json");
    CHECK(caught.where() == "$.platform.workstations");
    CHECK(contains(caught.message(), "[1, 2000]"));
  }
}

TEST_CASE("truncated JSON names the file, line and column")
{
  std::string text = "{\n  \"seed\": 1,\n  \"platform\": {\"workstations\": ";
  std::string message = input_error_of([&] { parse_json_text(text, "trunc.json"); });
  REQUIRE(!message.empty());
  CHECK(message.rfind("trunc.json: at line 3 column ", 0) == 0);
  CHECK(contains(message, "invalid JSON"));

  // The position points at the offending character.
  std::string bad = "{\n  \"a\": 1,\n  \"b\": ]\n}";
  std::string m2 = input_error_of([&] { parse_json_text(bad, "b.json"); });
  CHECK_MESSAGE(contains(m2, "b.json: at line 3 column 8: invalid JSON"), m2);

  CHECK(parse_json_text("{\"a\": [1, 2]}", "ok.json") == nlohmann::json{{"a", {1, 2}}});
}

TEST_CASE("load_experiment reads a file and names a missing one")
{
  TempConfig cfg(MINIMAL);
  ExperimentSpec s = load_experiment(cfg.path());
  CHECK(s.file == cfg.path());
  CHECK(s.name == "mini");
  CHECK(s.platform.workstations == 5);

  std::string missing = (cfg.dir() / "no-such-config.json").string();
  std::string message = input_error_of([&] { load_experiment(missing); });
  REQUIRE(!message.empty());
  CHECK(message.rfind(missing + ": ", 0) == 0);
  CHECK(contains(message, "cannot open"));

  std::string m2 = input_error_of([&] { read_text_file(missing); });
  CHECK(m2.rfind(missing + ": ", 0) == 0);

  // A syntax error in a file on disk names that file.
  TempConfig broken("{\"seed\": ");
  CHECK(input_error_of([&] { load_experiment(broken.path()); }).rfind(broken.path() + ": at line 1", 0) == 0);
}

TEST_CASE("--set overrides are applied to the raw JSON before parsing")
{
  TempConfig cfg(MINIMAL);
  ExperimentSpec s = load_experiment(cfg.path(), {"platform.workstations=4"});
  CHECK(s.platform.workstations == 4);
  CHECK(s.workload.max_jobs == 3); // the default follows the overridden platform
  CHECK(s.seed == 7);

  ExperimentSpec m = load_experiment(cfg.path(), {"seed=9", "workload.baseline=none", "platform.profile=ds3100",
                                                  "policy.params.fairness_margin=3", "workload.migrate=false"});
  CHECK(m.seed == 9);
  CHECK(m.workload.baseline == "none");
  CHECK(m.platform.profile == "ds3100");
  CHECK(m.policy.params == nlohmann::json{{"fairness_margin", 3}});
  CHECK_FALSE(m.workload.migrate);

  // Later overrides win.
  CHECK(load_experiment(cfg.path(), {"seed=2", "seed=3"}).seed == 3);

  // An override is checked like the file: the error names the path.
  std::string bad = input_error_of([&] { load_experiment(cfg.path(), {"platform.workstations=0"}); });
  CHECK(contains(bad, "$.platform.workstations"));
  CHECK(contains(input_error_of([&] { load_experiment(cfg.path(), {"platform.zz=1"}); }), "$.platform.zz"));
  CHECK(contains(input_error_of([&] { load_experiment(cfg.path(), {"seed=abc"}); }), "the string \"abc\""));

  // No '=' at all.
  std::string no_eq = input_error_of([&] { load_experiment(cfg.path(), {"platform.workstations"}); });
  CHECK(contains(no_eq, "--set platform.workstations"));
  CHECK(contains(no_eq, "PATH=VALUE"));
}

TEST_CASE("json_set_dotted parses JSON values and falls back to strings")
{
  nlohmann::json root = {{"platform", {{"workstations", 12}}}};
  json_set_dotted(root, "platform.workstations", "4", "o");
  CHECK(root["platform"]["workstations"] == 4);
  CHECK(root["platform"]["workstations"].is_number_integer());

  json_set_dotted(root, "platform.network.bandwidth_Mbps", "2.5", "o"); // creates the missing object
  CHECK(root["platform"]["network"]["bandwidth_Mbps"] == 2.5);

  json_set_dotted(root, "workload.migrate", "false", "o");
  CHECK(root["workload"]["migrate"] == false);
  CHECK(root["workload"]["migrate"].is_boolean());

  json_set_dotted(root, "workload.baseline", "none", "o"); // not JSON: taken as a string
  CHECK(root["workload"]["baseline"] == "none");
  json_set_dotted(root, "platform.profile", "sun4-280", "o");
  CHECK(root["platform"]["profile"] == "sun4-280");
  json_set_dotted(root, "name", "\"quoted\"", "o"); // a JSON string
  CHECK(root["name"] == "quoted");
  json_set_dotted(root, "name", "", "o");
  CHECK(root["name"] == "");
  json_set_dotted(root, "policy.params", "{\"fairness_margin\": 3}", "o");
  CHECK(root["policy"]["params"] == nlohmann::json{{"fairness_margin", 3}});
  json_set_dotted(root, "list", "[1, 2]", "o");
  CHECK(root["list"] == nlohmann::json::array({1, 2}));
  CHECK(root["platform"]["workstations"] == 4); // untouched by the other overrides

  // Paths that cannot be set.
  CHECK(contains(input_error_of([&] { json_set_dotted(root, "", "1", "--set =1"); }), "--set =1"));
  CHECK(contains(input_error_of([&] { json_set_dotted(root, "platform..x", "1", "o"); }), "empty component"));
  std::string through_scalar = input_error_of([&] { json_set_dotted(root, "platform.workstations.x", "1", "o"); });
  CHECK(contains(through_scalar, "$.platform.workstations"));
  CHECK(contains(through_scalar, "not an object"));
}

TEST_CASE("the embedded kernel-12 config loads")
{
  ExperimentSpec s = load_experiment("configs/experiments/kernel-12.json");
  CHECK(s.name == "kernel-12");
  CHECK(s.seed == 1);
  CHECK(s.platform.workstations == 13);
  CHECK(s.platform.profile == "ss1");
  CHECK(s.platform.file_server_profile == "sun4-280");
  CHECK(s.workload.trace == "builtin:kernel");
  CHECK(s.workload.max_jobs == 12);
  CHECK(s.workload.baseline == "sequential");
  CHECK(s.policy.name == "sprite");

  ExperimentSpec four = load_experiment("configs/experiments/kernel-12.json", {"platform.workstations=4"});
  CHECK(four.platform.workstations == 4);
  CHECK(four.workload.max_jobs == 12); // explicit in the file, so not derived

  CHECK_THROWS_AS(load_experiment("configs/experiments/no-such.json"), InputError);
}
