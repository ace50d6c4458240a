// Unit tests for build traces: every kind of malformed input yields an InputError naming the JSON path and the
// problem; valid traces round-trip exactly through to_json; the DAG's order and critical path are as expected.
#include <doctest/doctest.h>

#include "tests/unit/test_support.hpp"

#include <string>
#include <vector>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "workloads/build_dag.hpp"
#include "workloads/trace.hpp"

using namespace spritesim;
using spritesim::test::contains;
using spritesim::test::input_error_of;

namespace {

// A small valid trace as text; the malformed cases below are edits of it.
const char* const VALID_TRACE = R"({
  "format": "spritesim-trace", "version": 1, "name": "tiny", "reference_profile": "ss1",
  "sequential_s": 12.5, "source": "unit test",
  "tool": {"scan_cpu_s": 0.75, "scan_lookups": 40, "job_cpu_s": 0.05, "exec_arg_bytes": 2048, "script_bytes": 300},
  "jobs": [
    {"id": "a.o", "kind": "compile", "argv": ["cc", "-c", "a.c"], "cpu_s": 3.25, "lookups": 31,
     "files_opened": 5, "bytes_read": 120000, "bytes_written": 8000, "forwarded_calls": 2},
    {"id": "b.o", "kind": "compile", "argv": ["cc", "-c", "b.c"], "cpu_s": 4, "lookups": 12},
    {"id": "prog", "kind": "link", "argv": ["cc", "-o", "prog", "a.o", "b.o"], "deps": ["a.o", "b.o"],
     "cpu_s": 1.5, "reads_dep_outputs": true}
  ]
})";

BuildTrace trace_of(const std::vector<std::pair<std::string, std::vector<std::string>>>& jobs)
{
  BuildTrace t;
  for (const auto& [id, deps] : jobs) {
    TraceJob j;
    j.id = id;
    j.deps = deps;
    j.cpu_s = 1;
    t.jobs.push_back(j);
  }
  return t;
}

std::vector<std::string> ids_in_order(const BuildDag& dag, const BuildTrace& t)
{
  std::vector<std::string> out;
  for (size_t i : dag.topological_order())
    out.push_back(t.jobs[i].id);
  return out;
}

} // namespace

TEST_CASE("the valid sample trace parses")
{
  BuildTrace t = parse_trace(parse_json_text(VALID_TRACE, "t.json"), "t.json");
  REQUIRE(t.jobs.size() == 3);
  CHECK(t.name == "tiny");
  CHECK(t.tool.scan_lookups == 40);
  CHECK(t.jobs[0].files_opened == 5);
  CHECK(t.jobs[1].files_opened == 4); // the default
  CHECK(t.jobs[1].kind == "compile");
  CHECK(t.jobs[2].deps == std::vector<std::string>{"a.o", "b.o"});
  CHECK(t.jobs[2].reads_dep_outputs);
}

TEST_CASE("malformed traces are InputErrors naming the path and the problem")
{
  struct Case {
    const char* what;
    std::string text; // the whole document
    std::vector<std::string> expected; // substrings of the message
  };
  // Replaces the first occurrence of `from` in the valid trace.
  auto edit = [](const std::string& from, const std::string& to) {
    std::string s = VALID_TRACE;
    auto pos = s.find(from);
    REQUIRE_MESSAGE(pos != std::string::npos, from);
    return s.replace(pos, from.size(), to);
  };
  std::string valid = VALID_TRACE;
  const std::vector<Case> cases = {
      {"truncated JSON", valid.substr(0, valid.size() / 2), {"bad.json", "line ", "column", "invalid JSON"}},
      {"cpu_s is a string", edit(R"("cpu_s": 4,)", R"("cpu_s": "4",)"),
       {"$.jobs[1].cpu_s", "expected a number of seconds", "string \"4\""}},
      {"jobs is an object", edit(R"("jobs": [)", R"("jobs": {"x": 1}, "old": [)"), {"$.jobs", "expected an array"}},
      {"argv holds a number", edit(R"(["cc", "-c", "b.c"])", R"(["cc", 7])"), {"$.jobs[1].argv[1]", "string"}},
      {"unknown job key", edit(R"("lookups": 12)", R"("lookups": 12, "cpu_seconds": 4)"),
       {"$.jobs[1].cpu_seconds", "unknown key \"cpu_seconds\""}},
      {"unknown top-level key", edit(R"("name": "tiny")", R"("name": "tiny", "owner": "me")"),
       {"$.owner", "unknown key"}},
      {"unknown tool key", edit(R"("script_bytes": 300)", R"("script_bytes": 300, "fork_s": 1)"),
       {"$.tool.fork_s", "unknown key"}},
      {"unknown dependency", edit(R"(["a.o", "b.o"])", R"(["a.o", "c.o"])"),
       {"$.jobs[2].deps[1]", "unknown dependency \"c.o\""}},
      {"repeated dependency", edit(R"(["a.o", "b.o"])", R"(["a.o", "a.o"])"), {"$.jobs[2].deps[1]", "twice"}},
      {"cycle", edit(R"("cpu_s": 3.25,)", R"("deps": ["prog"], "cpu_s": 3.25,)"),
       {"$.jobs[0]", "dependency cycle: a.o -> prog -> a.o"}},
      {"self-dependency", edit(R"("cpu_s": 4,)", R"("deps": ["b.o"], "cpu_s": 4,)"),
       {"$.jobs[1]", "dependency cycle: b.o -> b.o"}},
      {"negative CPU", edit(R"("cpu_s": 1.5)", R"("cpu_s": -1.5)"),
       {"$.jobs[2].cpu_s", "must not be negative", "-1.5"}},
      {"negative count", edit(R"("lookups": 12)", R"("lookups": -3)"), {"$.jobs[1].lookups", "negative"}},
      {"negative tool time", edit(R"("scan_cpu_s": 0.75)", R"("scan_cpu_s": -1)"), {"$.tool.scan_cpu_s", "negative"}},
      {"fractional count", edit(R"("lookups": 12)", R"("lookups": 1.5)"),
       {"$.jobs[1].lookups", "whole number of lookups", "1.5"}},
      {"missing cpu_s", edit(R"("cpu_s": 4,)", ""), {"$.jobs[1].cpu_s", "required key is missing"}},
      {"missing id", edit(R"("id": "b.o",)", ""), {"$.jobs[1].id", "required key is missing"}},
      {"empty id", edit(R"("id": "b.o")", R"("id": "")"), {"$.jobs[1].id", "empty"}},
      {"duplicate id", edit(R"("id": "b.o")", R"("id": "a.o")"),
       {"$.jobs[1].id", "duplicate job id \"a.o\"", "first at $.jobs[0]"}},
      {"bad kind", edit(R"("kind": "link")", R"("kind": "archive")"), {"$.jobs[2].kind", "compile, link, command"}},
      {"bad boolean", edit(R"("reads_dep_outputs": true)", R"("reads_dep_outputs": 1)"),
       {"$.jobs[2].reads_dep_outputs", "true or false"}},
      {"no jobs", R"({"format": "spritesim-trace", "version": 1, "jobs": []})", {"$.jobs", "at least one job"}},
      {"missing jobs", R"({"format": "spritesim-trace", "version": 1})", {"$.jobs", "required key is missing"}},
      {"job is not an object", R"({"format": "spritesim-trace", "version": 1, "jobs": ["a.o"]})",
       {"$.jobs[0]", "expected an object"}},
      {"document is not an object", "[1, 2]", {"bad.json", "expected an object"}},
      {"wrong format", edit(R"("spritesim-trace")", R"("make-trace")"),
       {"$.format", "expected \"spritesim-trace\"", "\"make-trace\""}},
      {"missing format", edit(R"("format": "spritesim-trace",)", ""), {"$.format", "required key is missing"}},
      {"future version", edit(R"("version": 1)", R"("version": 4)"),
       {"$.version", "unsupported trace version 4", "versions 1 to 3"}},
      {"version 0", edit(R"("version": 1)", R"("version": 0)"), {"$.version", "unsupported trace version 0"}},
      {"version as string", edit(R"("version": 1)", R"("version": "1")"), {"$.version", "expected the integer 3"}},
      {"version 2 field in a version 1 trace", edit(R"("lookups": 12)", R"("lookups": 12, "wall_s": 3)"),
       {"$.jobs[1].wall_s", "unknown key"}},
      {"negative wall time (version 2)", edit(R"("version": 1)", R"("version": 2)").replace(
           valid.find(R"("lookups": 12)"), 13, R"("lookups": 12, "wall_s": -3)"),
       {"$.jobs[1].wall_s", "must not be negative"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    std::string message = input_error_of([&] { parse_trace(parse_json_text(c.text, "bad.json"), "bad.json"); });
    REQUIRE_MESSAGE(!message.empty(), "no InputError for: " << c.what);
    CHECK(message.rfind("bad.json: ", 0) == 0);
    for (const std::string& part : c.expected)
      CHECK_MESSAGE(message.find(part) != std::string::npos, "\"" << part << "\" not in: " << message);
  }
}

TEST_CASE("a longer cycle is named in dependency order")
{
  BuildTrace t = trace_of({{"x", {}}, {"a", {"c"}}, {"b", {"a"}}, {"c", {"b", "x"}}});
  std::string message = input_error_of([&] { parse_trace(to_json(t), "cyc.json"); });
  CHECK(message == "cyc.json: at $.jobs[1]: dependency cycle: a -> c -> b -> a");
  CHECK_THROWS_AS(BuildDag(t, "cyc.json").topological_order(), std::logic_error);
}

TEST_CASE("a valid trace round-trips exactly through to_json and parse_trace")
{
  nlohmann::json doc = parse_json_text(VALID_TRACE, "t.json");
  BuildTrace t = parse_trace(doc, "t.json");
  nlohmann::json written = to_json(t);
  BuildTrace again = parse_trace(written, "t.json");
  CHECK(to_json(again) == written);
  CHECK(written.dump() == to_json(again).dump());
  // Everything the source document said is in the written one, with the same value.
  CHECK(written["version"] == TRACE_VERSION); // read as version 1, written as the current version
  CHECK(again.version == TRACE_VERSION);
  CHECK(t.version == 1);
  for (auto& [key, value] : doc.items())
    if (key != "jobs" && key != "tool" && key != "version")
      CHECK_MESSAGE(written[key] == value, key);
  for (auto& [key, value] : doc["tool"].items())
    CHECK_MESSAGE(written["tool"][key] == value, key);
  CHECK(written["tool"]["prereq_cpu_s"] == 0); // version 3 fields, absent from a version 1 file
  CHECK(written["tool"]["job_lookups"] == 0);
  CHECK(written["jobs"][0]["bytes_read"] == 120000);
  CHECK(written["jobs"][0]["forwarded_calls"] == 2);
  CHECK(written["jobs"][2]["reads_dep_outputs"] == true);
  CHECK(again.jobs[0].argv == t.jobs[0].argv);
  CHECK(again.jobs[1].files_opened == 4);
  // Doubles that are not short decimals survive the text form too.
  t.jobs[0].cpu_s = 0.1 + 0.2;
  t.sequential_s = 1.0 / 3.0;
  BuildTrace reread = parse_trace(parse_json_text(to_json(t).dump(), "t.json"), "t.json");
  CHECK(reread.jobs[0].cpu_s == t.jobs[0].cpu_s);
  CHECK(reread.sequential_s == t.sequential_s);
}

TEST_CASE("topological order keeps trace order where dependencies allow")
{
  // Among the ready jobs the lowest trace index goes first: "link" waits for c2, then runs before "doc".
  BuildTrace t = trace_of({{"link", {"c1", "c2"}}, {"c1", {}}, {"gen", {}}, {"c2", {"gen"}}, {"doc", {}}});
  BuildDag dag(t, "t.json");
  CHECK(ids_in_order(dag, t) == std::vector<std::string>{"c1", "gen", "c2", "link", "doc"});
  CHECK(dag.topological_order() == dag.topological_order());
  auto list = [](std::span<const size_t> s) { return std::vector<size_t>(s.begin(), s.end()); };
  CHECK(list(dag.deps(0)) == std::vector<size_t>{1, 3});
  CHECK(list(dag.dependents(2)) == std::vector<size_t>{3});
  CHECK(list(dag.dependents(1)) == std::vector<size_t>{0});
  CHECK(dag.deps(2).empty());
  CHECK(dag.dependents(0).empty());

  BuildTrace flat = trace_of({{"p", {}}, {"q", {}}, {"r", {}}});
  CHECK(ids_in_order(BuildDag(flat, "f.json"), flat) == std::vector<std::string>{"p", "q", "r"});
}

TEST_CASE("critical path of a diamond is its heaviest branch")
{
  // top -> {left, right} -> bottom: the path goes through the heavier middle job.
  BuildTrace t = trace_of({{"top", {}}, {"left", {"top"}}, {"right", {"top"}}, {"bottom", {"left", "right"}}});
  BuildDag dag(t, "d.json");
  CHECK(dag.critical_path({1, 5, 2, 3}) == doctest::Approx(9));
  CHECK(dag.critical_path({1, 2, 7, 3}) == doctest::Approx(11));
  CHECK(dag.critical_path({0, 0, 0, 0}) == 0);
  CHECK_THROWS_AS(dag.critical_path({1, 2}), std::invalid_argument);

  // A heavy independent job can be the critical path on its own.
  BuildTrace wide = trace_of({{"a", {}}, {"b", {"a"}}, {"solo", {}}});
  CHECK(BuildDag(wide, "w.json").critical_path({1, 1, 10}) == doctest::Approx(10));
}
