// Unit tests for sweeps and timelines: sweep files parse strictly (errors name the file and JSON path), the matrix
// has its documented order, cell names and shards, the statistics and t table are right, the CSVs are built from
// results alone, and the trace-event writer turns a hand-made RunResult into valid, deterministic JSON.
#include <doctest/doctest.h>

#include "tests/unit/test_support.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

#include "core/json_reader.hpp"
#include "core/results.hpp"
#include "experiments/data_files.hpp"
#include "experiments/figure.hpp"
#include "experiments/statistics.hpp"
#include "experiments/sweep_spec.hpp"
#include "experiments/sweep_tables.hpp"
#include "experiments/timeline.hpp"

using namespace spritesim;
using spritesim::test::contains;
using spritesim::test::input_error_of;
using nlohmann::json;

namespace {

const char* KERNEL = "configs/experiments/kernel-12.json"; // embedded

SweepSpec parse(const std::string& text) { return parse_sweep(json::parse(text), "sw.json"); }

std::string parse_error(const std::string& text)
{
  return input_error_of([&] { parse(text); });
}

const std::string BASIC = R"({"name": "t", "experiment": "configs/experiments/kernel-12.json",
  "axes": [{"path": "policy.name", "values": ["sprite", "random"]},
           {"path": "platform.workstations", "values": [3, 5, 9]}],
  "seeds": {"first": 7, "count": 2}})";

} // namespace

TEST_CASE("a sweep parses with default metrics and an embedded experiment")
{
  SweepSpec s = parse(BASIC);
  CHECK(s.name == "t");
  CHECK(s.experiment_path == KERNEL);
  REQUIRE(s.axes.size() == 2);
  CHECK(s.axes[1].values[2] == 9);
  CHECK(s.seeds == std::vector<int64_t>{7, 8});
  CHECK(s.metrics == default_sweep_metrics());
  CHECK(s.metrics.front() == "makespan_s");
}

TEST_CASE("the matrix is in odometer order, seeds innermost, with readable cell folders")
{
  SweepSpec s = parse(BASIC);
  SweepMatrix m = sweep_matrix(s);
  REQUIRE(m.cells.size() == 6);
  REQUIRE(m.runs.size() == 12);
  CHECK(m.cells[0].name == "policy.name=sprite+platform.workstations=3");
  CHECK(m.cells[1].name == "policy.name=sprite+platform.workstations=5");
  CHECK(m.cells[3].name == "policy.name=random+platform.workstations=3");
  CHECK(m.runs[0].dir == "runs/policy.name=sprite+platform.workstations=3/seed-7");
  CHECK(m.runs[1].seed == 8);
  CHECK(m.runs[2].cell == 1);
  CHECK(m.runs[11].index == 11);
  CHECK(sweep_cell_sets(s, m.cells[4]) ==
        std::vector<std::string>{"policy.name=\"random\"", "platform.workstations=5"});
  std::set<std::string> names;
  for (const auto& c : m.cells)
    names.insert(c.name);
  CHECK(names.size() == 6);
}

TEST_CASE("fixed overrides come first; values that slug alike still get distinct folders")
{
  SweepSpec s = parse(R"({"experiment": "configs/experiments/kernel-12.json", "set": {"workload.baseline": "none"},
    "axes": [{"path": "name", "values": ["a/b", "a_b", "a b"]}], "seeds": [3]})");
  CHECK(s.name == "sw");
  SweepMatrix m = sweep_matrix(s);
  CHECK(m.cells[0].name == "name=a_b");
  CHECK(m.cells[1].name.rfind("name=a_b~", 0) == 0);
  CHECK(m.cells[2].name.rfind("name=a_b~", 0) == 0);
  CHECK(m.cells[1].name != m.cells[2].name);
  CHECK(sweep_cell_sets(s, m.cells[0]) == std::vector<std::string>{"workload.baseline=\"none\"", "name=\"a/b\""});
  CHECK(sweep_matrix(s).cells[2].name == m.cells[2].name); // stable
}

TEST_CASE("a sweep without axes is one cell")
{
  SweepMatrix m = sweep_matrix(parse(R"({"experiment": "configs/experiments/kernel-12.json", "axes": [],
    "seeds": [1, 2, 3]})"));
  REQUIRE(m.cells.size() == 1);
  CHECK(m.cells[0].name == "all");
  CHECK(m.runs.size() == 3);
}

TEST_CASE("shards split the runs by index modulo N")
{
  std::vector<int> count(3);
  for (size_t i = 0; i < 10; ++i) {
    int owners = 0;
    for (int k = 1; k <= 3; ++k)
      if (sweep_in_shard(i, k, 3)) {
        ++owners;
        ++count[k - 1];
      }
    CHECK(owners == 1);
  }
  CHECK(count == std::vector<int>{4, 3, 3});
  CHECK(sweep_in_shard(0, 1, 3));
  CHECK(sweep_in_shard(4, 2, 3));
  CHECK(sweep_in_shard(5, 1, 1));
}

TEST_CASE("bad sweep files name the file and the JSON path")
{
  CHECK(contains(parse_error(R"({"axes": [], "seeds": [1]})"), "sw.json: at $.experiment: required key is missing"));
  CHECK(contains(parse_error(R"({"experiment": "no-such.json", "axes": [], "seeds": [1]})"), "$.experiment"));
  std::string e = parse_error(R"({"experiment": "configs/experiments/kernel-12.json", "axes": [], "seeds": [1],
    "colour": 1})");
  CHECK(contains(e, "$.colour"));
  CHECK(contains(e, "unknown key"));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json",
    "axes": [{"path": "platform.workstations", "values": []}], "seeds": [1]})"), "$.axes[0].values"));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json",
    "axes": [{"path": "platform.workstations", "values": [3, 3]}], "seeds": [1]})"), "$.axes[0].values[1]"));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json",
    "axes": [{"path": "a", "values": [1]}, {"path": "a", "values": [2]}], "seeds": [1]})"), "$.axes[1].path"));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json",
    "axes": [{"path": "seed", "values": [1]}], "seeds": [1]})"), "$.axes[0].path"));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json",
    "axes": [{"values": [1]}], "seeds": [1]})"), "$.axes[0].path"));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json", "axes": {}, "seeds": [1]})"),
                 "$.axes"));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json", "axes": [], "seeds": []})"),
                 "$.seeds"));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json", "axes": [],
    "seeds": [1, -2]})"), "$.seeds[1]"));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json", "axes": [],
    "seeds": {"first": 1}})"), "$.seeds.count"));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json", "axes": [],
    "seeds": {"first": 1, "count": 0}})"), "$.seeds.count"));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json", "axes": [], "seeds": [1],
    "metrics": ["makespan_s", "makespan_s"]})"), "$.metrics[1]"));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json", "axes": [], "seeds": [1],
    "set": {"seed": 4}})"), "$.set.seed"));
  CHECK(contains(parse_error("[1]"), "$"));
  // A misspelt metric is an error at once, not an empty column found after the runs.
  std::string m = parse_error(R"({"experiment": "configs/experiments/kernel-12.json", "axes": [], "seeds": [1],
    "metrics": ["makespan_s", "makespan"]})");
  CHECK(contains(m, "$.metrics[1]"));
  CHECK(contains(m, "makespan_s"));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json", "axes": [], "seeds": [1],
    "metrics": ["utilization.netwrok"]})"), "utilization\" has no key \"netwrok\""));
  CHECK(contains(parse_error(R"({"experiment": "configs/experiments/kernel-12.json", "axes": [], "seeds": [1],
    "metrics": ["makespan_s.x"]})"), "$.metrics[0]"));
}

TEST_CASE("known result keys: every documented key and object member is accepted")
{
  for (const auto& [key, children] : known_result_keys()) {
    CHECK(unknown_result_key(key).empty());
    for (const auto& c : children)
      CHECK(unknown_result_key(key + "." + c).empty());
  }
  CHECK(unknown_result_key("usage.migrations_per_host_hour.evict").empty()); // deeper levels are the run's own
  CHECK_FALSE(unknown_result_key("jobs_lost").empty());
}

TEST_CASE("load_sweep checks every axis value and fixed override against the experiment")
{
  auto dir = std::filesystem::temp_directory_path() / ("spritesim-test-sweep-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream((dir / name).string()) << text;
    return (dir / name).string();
  };
  write("exp.json", R"({"name": "e", "platform": {"workstations": 3}})");
  std::string ok = write("ok.json", R"({"experiment": "exp.json", "set": {"workload.baseline": "none"},
    "axes": [{"path": "platform.workstations", "values": [2, 4]}], "seeds": [1]})");
  SweepSpec s = load_sweep(ok);
  CHECK(s.experiment_path == (dir / "exp.json").lexically_normal().string()); // beside the sweep file
  CHECK(sweep_identity(s)["experiment_config"]["platform"]["workstations"] == 3);
  std::string bad_value = write("bad1.json", R"({"experiment": "exp.json",
    "axes": [{"path": "platform.workstations", "values": [2, 0]}], "seeds": [1]})");
  std::string e = input_error_of([&] { load_sweep(bad_value); });
  CHECK(contains(e, bad_value));
  CHECK(contains(e, "$.axes[0].values[1]"));
  CHECK(contains(e, "$.platform.workstations")); // the experiment's own path, from the nested error
  std::string bad_path = write("bad2.json", R"({"experiment": "exp.json",
    "axes": [{"path": "platform.nosuch", "values": [1]}], "seeds": [1]})");
  CHECK(contains(input_error_of([&] { load_sweep(bad_path); }), "$.axes[0].values[0]"));
  std::string bad_set = write("bad3.json", R"({"experiment": "exp.json", "set": {"workload.migrate": 3},
    "axes": [], "seeds": [1]})");
  CHECK(contains(input_error_of([&] { load_sweep(bad_set); }), "$.set[\"workload.migrate\"]"));
  std::string bad_zip = write("bad5.json", R"({"experiment": "exp.json", "axes": [{"name": "h", "points": [
    {"value": 1, "set": {}}, {"value": 2, "set": {"platform.workstations": 2, "workload.migrate": 3}}]}],
    "seeds": [1]})");
  std::string z = input_error_of([&] { load_sweep(bad_zip); });
  CHECK(contains(z, "$.axes[0].points[1].set: --set platform.workstations=2 --set workload.migrate=3 does not fit"));
  std::string syntax = write("bad4.json", R"({"experiment": )");
  CHECK(contains(input_error_of([&] { load_sweep(syntax); }), syntax));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a zip axis sets several paths together at each label; its name names the column and folders")
{
  SweepSpec s = parse(R"({"experiment": "configs/experiments/kernel-12.json", "set": {"workload.baseline": "none"},
    "axes": [{"name": "hosts", "points": [{"value": 1, "set": {"platform.workstations": 1, "workload.max_jobs": 1}},
                                          {"value": 4, "set": {"platform.workstations": 5, "workload.max_jobs": 4}}]},
             {"name": "band", "points": [{"value": "central", "set": {}},
                                         {"value": "cv-1", "set": {"workload.max_jobs": 2}}]}],
    "seeds": [1]})");
  REQUIRE(s.axes.size() == 2);
  CHECK(s.axes[0].zip());
  CHECK(s.axes[0].name == "hosts");
  CHECK(s.axes[0].values == std::vector<json>{1, 4});
  SweepMatrix m = sweep_matrix(s);
  REQUIRE(m.cells.size() == 4);
  CHECK(m.cells[2].name == "hosts=4+band=central");
  CHECK(m.cells[3].value_index == std::vector<size_t>{1, 1});
  CHECK(m.runs[3].dir == "runs/hosts=4+band=cv-1/seed-1");
  // Fixed overrides, then each axis in order: the later axis holds over the earlier one.
  CHECK(sweep_cell_sets(s, m.cells[3]) == std::vector<std::string>{"workload.baseline=\"none\"",
                                                                   "platform.workstations=5", "workload.max_jobs=4",
                                                                   "workload.max_jobs=2"});
  CHECK(sweep_cell_sets(s, m.cells[2]).size() == 3);
  std::vector<std::optional<json>> results(4);
  results[3] = json{{"makespan_s", 2.5}};
  std::string csv = sweep_csv(s, m, results);
  CHECK(csv.substr(0, csv.find('\n')) ==
        "run,cell,hosts,band,seed,makespan_s,speedup,remote_execs,migrations,evictions,jobs_completed");
  CHECK(contains(csv, "3,hosts=4+band=cv-1,4,cv-1,1,2.500000"));
  // Path and zip axes mix; a zip axis's labels are in the folder's identity, path values are not.
  SweepSpec mixed = parse(R"({"experiment": "configs/experiments/kernel-12.json",
    "axes": [{"path": "policy.name", "values": ["sprite"]},
             {"name": "hosts", "points": [{"value": 2, "set": {"platform.workstations": 3}}]}], "seeds": [1]})");
  CHECK(sweep_matrix(mixed).cells[0].name == "policy.name=sprite+hosts=2");
  json id = sweep_identity(mixed);
  CHECK(id["zip"]["hosts"]["2"] == json{{"platform.workstations", 3}});
  CHECK_FALSE(sweep_identity(parse(BASIC)).contains("zip"));
}

TEST_CASE("a folder takes runs of new zip labels, never a label that now sets something else")
{
  json stored = {{"experiment", "e"}, {"set", json::object()}, {"zip", {{"hosts", {{"1", {{"a", 1}}}}}}}};
  json more = stored, merged;
  more["zip"]["hosts"]["2"] = {{"a", 2}};
  CHECK(sweep_identity_fits(stored, more, &merged));
  CHECK(merged == more);
  CHECK(sweep_identity_fits(more, stored, &merged)); // a sweep with fewer labels still fits
  CHECK(merged == more);
  json changed = stored;
  changed["zip"]["hosts"]["1"] = {{"a", 3}};
  CHECK_FALSE(sweep_identity_fits(stored, changed));
  json other_set = more;
  other_set["set"] = {{"b", 1}};
  CHECK_FALSE(sweep_identity_fits(stored, other_set));
  json plain = {{"experiment", "e"}, {"set", json::object()}};
  CHECK(sweep_identity_fits(plain, plain, &merged));
  CHECK(merged == plain);
}

TEST_CASE("bad zip axes name the JSON path")
{
  auto zip = [](const std::string& axis) {
    return parse_error(R"({"experiment": "configs/experiments/kernel-12.json", "axes": [)" + axis +
                       R"(], "seeds": [1]})");
  };
  CHECK(contains(zip(R"({"name": "h", "points": []})"), "$.axes[0].points: expected at least one point"));
  CHECK(contains(zip(R"({"points": [{"value": 1, "set": {}}]})"), "$.axes[0].name"));
  CHECK(contains(zip(R"({"name": "", "points": [{"value": 1, "set": {}}]})"), "$.axes[0].name"));
  CHECK(contains(zip(R"({"name": "seed", "points": [{"value": 1, "set": {}}]})"), "$.axes[0].name"));
  CHECK(contains(zip(R"({"name": "mean", "points": [{"value": 1, "set": {}}]})"), "column name"));
  CHECK(contains(zip(R"({"name": "h", "points": [{"value": 1, "set": {}}, {"value": "1", "set": {}}]})"),
                 "$.axes[0].points[1].value: label \"1\" is listed twice"));
  CHECK(contains(zip(R"({"name": "h", "points": [{"value": [1], "set": {}}]})"), "$.axes[0].points[0].value"));
  CHECK(contains(zip(R"({"name": "h", "points": [{"value": 1}]})"), "$.axes[0].points[0].set"));
  CHECK(contains(zip(R"({"name": "h", "points": [{"value": 1, "set": [1]}]})"), "$.axes[0].points[0].set"));
  CHECK(contains(zip(R"({"name": "h", "points": [{"value": 1, "set": {"seed": 2}}]})"),
                 "$.axes[0].points[0].set.seed"));
  CHECK(contains(zip(R"({"name": "h", "points": [{"value": 1, "set": {}, "colour": 1}]})"),
                 "$.axes[0].points[0].colour"));
  CHECK(contains(zip(R"({"name": "h", "points": [{"value": 1, "set": {}}], "values": [1]})"), "$.axes[0].values"));
  CHECK(contains(zip(R"({"path": "h", "values": [1]}, {"name": "h", "points": [{"value": 1, "set": {}}]})"),
                 "$.axes[1].name: axis \"h\" is listed twice"));
}

TEST_CASE("reproduction figures are sweeps: x and bands are zip axes, one seed, every point fits its experiment")
{
  for (const auto& name : embedded_names("configs/reproduction/")) {
    Figure f = parse_figure(parse_json_text(std::string(*embedded_file(name)), name), name);
    check_sweep(f.sweep);
    CHECK(f.sweep.seeds.size() == 1);
    CHECK(f.sweep.axes.front().name == f.x);
    CHECK(sweep_matrix(f.sweep).runs.size() == f.xs.size() * (f.bands.empty() ? 1 : f.sweep.axes[1].values.size()));
  }
  auto figure_error = [](const std::string& extra) {
    return input_error_of([&] {
      parse_figure(json::parse(R"({"figure": "f", "title": "t", "x": "hosts", "bands": "band",
        "experiment": "configs/experiments/kernel-12.json", )" + extra + "}"), "fig.json");
    });
  };
  const std::string hosts = R"({"name": "hosts", "points": [{"value": 1, "set": {}}, {"value": 2, "set": {}}]})";
  const std::string band = R"({"name": "band", "points": [{"value": "central", "set": {}}]})";
  CHECK(contains(figure_error(R"("axes": [)" + band + R"(], "seeds": [1])"), "$.x: no axis named \"hosts\""));
  CHECK(contains(figure_error(R"("axes": [)" + hosts + R"(], "seeds": [1])"), "$.bands"));
  CHECK(contains(figure_error(R"("axes": [)" + hosts + "," + band + R"(], "seeds": [1, 2])"), "$.seeds"));
  CHECK(contains(figure_error(R"("axes": [)" + hosts + "," + band + R"(, {"path": "a", "values": [1]}],
    "seeds": [1])"), "$.axes[2]: axis \"a\" is neither"));
  CHECK(contains(figure_error(R"("axes": [{"name": "hosts", "points": [{"value": 2, "set": {}}]},)" + band +
                              R"(], "seeds": [1])"), "no hosts = 1"));
  CHECK(contains(figure_error(R"("axes": [{"name": "hosts", "points": [{"value": "one", "set": {}}]},)" + band +
                              R"(], "seeds": [1])"), "$.axes[0].points[0].value"));
  CHECK(contains(figure_error(R"("axes": [)" + hosts + R"(, {"name": "band", "points": [{"value": "c",
    "set": {"a": 1}}]}], "seeds": [1])"), "first point is the central run"));
  CHECK(contains(figure_error(R"("axes": [)" + hosts + "," + band + R"(], "seeds": [1], "colour": 1)"),
                 "$.colour"));
}

TEST_CASE("t quantiles and summary statistics")
{
  CHECK(t_quantile_975(1) == doctest::Approx(12.706));
  CHECK(t_quantile_975(4) == doctest::Approx(2.776));
  CHECK(t_quantile_975(30) == doctest::Approx(2.042));
  CHECK(t_quantile_975(35) == doctest::Approx(2.042)); // the row below: conservative
  CHECK(t_quantile_975(100000) == doctest::Approx(1.962));
  CHECK_THROWS(t_quantile_975(0));
  SummaryStats s = summarize({2, 4, 4, 4, 5, 5, 7, 9});
  CHECK(s.n == 8);
  CHECK(s.mean == doctest::Approx(5.0));
  REQUIRE(s.stddev);
  CHECK(*s.stddev == doctest::Approx(std::sqrt(32.0 / 7.0)));
  CHECK(*s.ci95 == doctest::Approx(2.365 * std::sqrt(32.0 / 7.0) / std::sqrt(8.0)));
  SummaryStats one = summarize({3.5});
  CHECK(one.n == 1);
  CHECK(one.mean == 3.5);
  CHECK_FALSE(one.stddev);
  CHECK_FALSE(one.ci95);
  CHECK(summarize({}).n == 0);
}

TEST_CASE("metrics reach into objects; null and absent are no value")
{
  json r = {{"makespan_s", 1.5}, {"speedup", nullptr}, {"utilization", {{"network", 0.25}}}};
  CHECK(*sweep_metric(r, "makespan_s") == 1.5);
  CHECK(*sweep_metric(r, "utilization.network") == 0.25);
  CHECK_FALSE(sweep_metric(r, "speedup"));
  CHECK_FALSE(sweep_metric(r, "nosuch"));
  CHECK_FALSE(sweep_metric(r, "makespan_s.x"));
}

TEST_CASE("sweep.csv and sweep-summary.csv from results")
{
  SweepSpec s = parse(R"({"name": "t", "experiment": "configs/experiments/kernel-12.json",
    "axes": [{"path": "policy.name", "values": ["sprite", "a,b"]}], "seeds": [1, 2],
    "metrics": ["makespan_s", "speedup", "migrations"]})");
  SweepMatrix m = sweep_matrix(s);
  std::vector<std::optional<json>> results = {
      json{{"makespan_s", 10.0}, {"speedup", 2.0}, {"migrations", 3}},
      json{{"makespan_s", 12.0}, {"speedup", nullptr}, {"migrations", 5}},
      std::nullopt, // not finished
      json{{"makespan_s", 1.25}, {"migrations", 0}},
  };
  CHECK(sweep_csv(s, m, results) ==
        "run,cell,policy.name,seed,makespan_s,speedup,migrations\n"
        "0,policy.name=sprite,sprite,1,10.000000,2.000000,3\n"
        "1,policy.name=sprite,sprite,2,12.000000,,5\n"
        "3,policy.name=a_b,\"a,b\",2,1.250000,,0\n");
  CHECK(sweep_summary_csv(s, m, results) ==
        "cell,policy.name,metric,n,mean,stddev,ci95_half_width\n"
        "policy.name=sprite,sprite,makespan_s,2,11.000000,1.414214,12.706000\n"
        "policy.name=sprite,sprite,speedup,1,2.000000,,\n"
        "policy.name=sprite,sprite,migrations,2,4.000000,1.414214,12.706000\n"
        "policy.name=a_b,\"a,b\",makespan_s,1,1.250000,,\n"
        "policy.name=a_b,\"a,b\",speedup,0,,,\n"
        "policy.name=a_b,\"a,b\",migrations,1,0.000000,,\n");
}

TEST_CASE("the timeline of a hand-made run is valid trace-event JSON")
{
  RunResult r;
  r.makespan_s = 10;
  r.hosts = {{"ws00", "pmake", 5, 0.5, 2}, {"ws01", "workstation", 4, 0.4, 1}, {"fileserver", "file_server", 1, 0.1, 0},
             {"ethernet", "network", 0.5, 0.05, 0}};
  r.jobs = {{"a", "compile", "ws00", "ws01", 0, 1, 5, 4, true, 3},
            {"b", "compile", "ws00", "ws00", 0, 2, 4, 2, false, 1},
            {"c", "link", "ws00", "ws00", 4, 3, 9.5, 1.5, false, 2}, // overlaps b on ws00: a second lane
            {"z", "compile", "ws00", "ws09", 0, 0, 0, 0, true, 0}};  // never finished: not drawn
  r.migrations = {{0.75, "a", MigrationKind::EXEC, "ws00", "ws01", 0.25, 4096},
                  {6, "c", MigrationKind::EVICT, "ws01", "ws00", 0, 100}};
  std::string text = timeline_text(r);
  CHECK(text == timeline_text(r)); // deterministic
  json doc = json::parse(text);
  CHECK(doc["displayTimeUnit"] == "ms");
  const json& ev = doc["traceEvents"];
  std::map<int, std::string> process;
  std::vector<json> jobs, migrations;
  for (const auto& e : ev) {
    REQUIRE(e.contains("ph"));
    if (e["ph"] == "M" && e["name"] == "process_name")
      process[e["pid"].get<int>()] = e["args"]["name"];
    if (e["ph"] == "X" && e["cat"] != "migration")
      jobs.push_back(e);
    if (e.value("cat", "") == "migration")
      migrations.push_back(e);
  }
  CHECK(process == std::map<int, std::string>{{1, "ws00"}, {2, "ws01"}}); // no file server, network, ws09
  REQUIRE(jobs.size() == 3);
  CHECK(jobs[0]["name"] == "a");
  CHECK(jobs[0]["ts"] == 1e6);
  CHECK(jobs[0]["dur"] == 4e6);
  CHECK(process[jobs[0]["pid"].get<int>()] == "ws01");
  CHECK(jobs[0]["args"]["home_host"] == "ws00");
  CHECK(jobs[1]["name"] == "b");
  CHECK(jobs[2]["name"] == "c");
  CHECK(jobs[1]["pid"] == jobs[2]["pid"]);
  CHECK(jobs[1]["tid"] != jobs[2]["tid"]); // overlapping jobs on separate lanes
  REQUIRE(migrations.size() == 2);
  CHECK(migrations[0]["ph"] == "X");
  CHECK(migrations[0]["dur"] == 0.25e6);
  CHECK(process[migrations[0]["pid"].get<int>()] == "ws00"); // on the source host
  CHECK(migrations[0]["args"] == json{{"kind", "exec"}, {"job_id", "a"}, {"from", "ws00"}, {"to", "ws01"},
                                      {"bytes", 4096}, {"duration_s", 0.25}});
  CHECK(migrations[1]["ph"] == "i"); // no duration: an instant
  CHECK(process[migrations[1]["pid"].get<int>()] == "ws01");
  // Events come in time order after the metadata.
  double last = -1;
  for (const auto& e : ev)
    if (e["ph"] != "M") {
      CHECK(e["ts"].get<double>() >= last);
      last = e["ts"].get<double>();
    }
}

TEST_CASE("write_timeline writes the file atomically into a new folder")
{
  auto dir = std::filesystem::temp_directory_path() / ("spritesim-test-timeline-" + std::to_string(::getpid()));
  RunResult r;
  r.jobs = {{"a", "compile", "ws00", "ws00", 0, 0.5, 1, 0.5, false, 0}};
  std::string path = (dir / "sub" / "t.json").string();
  write_timeline(path, r);
  CHECK(read_text_file(path) == timeline_text(r));
  std::filesystem::remove_all(dir);
}
