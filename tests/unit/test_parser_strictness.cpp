// Unit tests for the parser holes of issue 11, found by review and by the fuzz harnesses (fuzz/README.md): numbers
// beyond a double and duplicate keys in every strict JSON input, ninja logs with paths that are not UTF-8, blank
// lines in `ninja -t deps` output, sweep matrices too big to lay out, figure files whose keys are not x values.
#include <doctest/doctest.h>

#include "tests/unit/test_support.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "core/experiment.hpp"
#include "core/json_reader.hpp"
#include "experiments/data_files.hpp"
#include "experiments/figure.hpp"
#include "experiments/sweep_spec.hpp"
#include "models/profile.hpp"
#include "workloads/ninja_log.hpp"
#include "workloads/trace.hpp"

using namespace spritesim;
using spritesim::test::contains;
using spritesim::test::input_error_of;

using spritesim::test::TempDir;

TEST_CASE("a number beyond a double names the file, line, column and JSON path")
{
  std::string m =
      input_error_of([] { parse_json_text("{\n  \"seed\": 1,\n  \"a\": {\"b\": [1, 1e400]}\n}", "big.json"); });
  CHECK_MESSAGE(contains(m, "big.json: at line 3 column 18: $.a.b[1]: invalid JSON: number 1e400 is out of range"), m);
  CHECK(contains(input_error_of([] { parse_json_text("-1e999", "top.json"); }), "top.json: at line 1 column 1: $:"));
  // Large but finite numbers and the smallest subnormals stay numbers.
  CHECK(parse_json_text("[1.7e308, 4.9e-324, -1e-400]", "ok.json").size() == 3);
}

TEST_CASE("a key given twice in one object is refused with the file, line and JSON path of the second")
{
  std::string m = input_error_of(
      [] { parse_json_text("{\"platform\": {\"workstations\": 2,\n  \"workstations\": 3}}", "dup.json"); });
  CHECK_MESSAGE(contains(m, "dup.json: at line 2 column 3: $.platform.workstations: invalid JSON: duplicate key"), m);
  CHECK(contains(input_error_of([] { parse_json_text(R"([{"a b": 1, "a b": 2}])", "d.json"); }),
                 R"(d.json: at line 1 column 13: $[0]["a b"]: invalid JSON: duplicate key "a b")"));
  // The same key in different objects is fine, and so is a key that differs only in an escape.
  CHECK(parse_json_text(R"({"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]})", "ok.json").size() == 3);
  CHECK(contains(input_error_of([] { parse_json_text(R"({"a": 1, "\u0061": 2})", "e.json"); }), "$.a"));
}

TEST_CASE("every strict JSON input refuses duplicate keys and 1e400, naming its file")
{
  TempDir dir;
  std::string config = dir.write("exp.json", R"({"seed": 1, "seed": 2})");
  CHECK(contains(input_error_of([&] { load_experiment(config); }), "exp.json: at line 1 column 13: $.seed"));
  std::string big = dir.write("big.json", R"({"platform": {"workstations": 1e400}})");
  CHECK(contains(input_error_of([&] { load_experiment(big); }),
                 "big.json: at line 1 column 31: $.platform.workstations"));
  // --set values: JSON with a duplicate key or a number out of range is refused, anything else not JSON is a string.
  std::string kernel = "configs/experiments/kernel-12.json";
  CHECK(contains(input_error_of([&] { load_experiment(kernel, {R"(policy.params={"x": 1, "x": 2})"}); }),
                 R"(--set policy.params={"x": 1, "x": 2}: at line 1 column 10: $.x: invalid JSON: duplicate key)"));
  CHECK(contains(input_error_of([&] { load_experiment(kernel, {"platform.workstations=1e400"}); }), "out of range"));
  CHECK(load_experiment(kernel, {"name=a b"}).name == "a b");
  // The command line is bytes: a path or value that is not UTF-8 cannot go into a config (nor its resolved copy).
  for (std::string set : {"name=\xff\xfe", "p\xb8latform.workstations=2", "policy.params.\xe9=1"})
    CHECK_MESSAGE(contains(input_error_of([&] { load_experiment(kernel, {set}); }), "not UTF-8"), set);

  std::string sweep = dir.write("s.json", R"({"experiment": "configs/experiments/kernel-12.json", "axes": [],
    "seeds": [1], "seeds": [2]})");
  CHECK(contains(input_error_of([&] { load_sweep(sweep); }), "s.json: at line 2 column 19: $.seeds: invalid JSON"));
  std::string trace = dir.write("t.json", R"({"format": "spritesim-trace", "version": 1, "name": "t",
    "jobs": [{"id": "a", "cpu_s": 1, "cpu_s": 2}]})");
  CHECK(contains(input_error_of([&] { load_trace_file(trace); }), "t.json: at line 2 column 38: $.jobs[0].cpu_s"));
  std::string jsonl = dir.write("t.jsonl", "{\"format\": \"spritesim-trace\", \"version\": 2, \"name\": \"t\"}\n"
                                           "{\"id\": \"a\", \"cpu_s\": 1}\n"
                                           "{\"id\": \"b\", \"id\": \"c\", \"cpu_s\": 1}\n");
  CHECK(contains(input_error_of([&] { load_trace_file(jsonl); }), "t.jsonl: at line 3 column 13: $.id: invalid JSON"));
  std::string jsonl_big = dir.write("b.jsonl", "{\"format\": \"spritesim-trace\", \"version\": 2, \"name\": \"t\"}\n"
                                               "{\"id\": \"a\", \"cpu_s\": 1e400}\n");
  CHECK(contains(input_error_of([&] { load_trace_file(jsonl_big); }), "b.jsonl: at line 2 column 22: $.cpu_s"));
  std::string profile = dir.write("p.json", R"({"name": "p", "name": "q"})");
  CHECK(contains(input_error_of([&] { load_profile(profile, ""); }), "p.json: at line 1 column 15: $.name"));
}

TEST_CASE("figure files: a published key that is not an x value is an InputError")
{
  auto figure = [](const std::string& speedup) {
    return parse_figure(parse_json_text(R"({"figure": "f", "title": "t", "x": "hosts",
      "experiment": "configs/experiments/kernel-12.json", "seeds": [1],
      "axes": [{"name": "hosts", "points": [{"value": 1, "set": {}}]}],
      "published": {"source": "s", "speedup": )" + speedup + "}}", "fig.json"),
                        "fig.json");
  };
  CHECK(figure(R"({"1": 1, "12": 5.5})").published.at(12) == 5.5);
  for (const char* bad : {R"({"one": 1})", R"({"1x": 1})", R"({"": 1})", R"({"99999999999": 1})", R"({"0": 1})"})
    CHECK_MESSAGE(contains(input_error_of([&] { figure(bad); }), "fig.json: at $.published.speedup"), bad);
}

TEST_CASE("a sweep matrix over a million runs is refused at load")
{
  std::string axes;
  for (int a = 0; a < 7; ++a)
    axes += std::string(a ? ", " : "") + "{\"path\": \"p" + std::to_string(a) +
            "\", \"values\": [1, 2, 3, 4, 5, 6, 7, 8]}";
  std::string text = R"({"experiment": "configs/experiments/kernel-12.json", "axes": [)" + axes + R"(], "seeds": [1]})";
  std::string m = input_error_of([&] { parse_sweep(parse_json_text(text, "big.json"), "big.json"); });
  CHECK_MESSAGE(contains(m, "big.json: at $: the matrix has 2097152 runs"), m);
}

TEST_CASE("a sweep's experiment name too long for the file system is a missing config, not a filesystem_error")
{
  for (std::string name : {"/" + std::string(300, 'a'), std::string(300, 'a'), "x/" + std::string(5000, 'b')}) {
    std::string text = R"({"experiment": ")" + name + R"(", "axes": [], "seeds": [1]})";
    std::string m = input_error_of([&] { parse_sweep(parse_json_text(text, "configs/sweeps/s.json"), "s.json"); });
    CHECK(contains(m, "s.json: at $.experiment: no config"));
  }
  CHECK(contains(input_error_of([] { load_experiment(std::string(300, 'c')); }), "cannot open file"));
}

TEST_CASE("ninja import: output paths that are not UTF-8 become \\xNN text, and the trace writes as JSON")
{
  std::string log = "# ninja log v5\n0\t10\t0\tobj/caf\xe9.o\th1\n0\t20\t0\tbin/\xff\xc3\x28\xe2\x82\xac\th2\n";
  std::string deps = "bin/\xff\xc3\x28\xe2\x82\xac: #deps 1, deps mtime 1 (VALID)\n    obj/caf\xe9.o\n";
  std::istringstream in(log);
  NinjaImportOptions opt;
  opt.deps_text = deps;
  BuildTrace t = import_ninja_log(in, "n.log", opt);
  REQUIRE(t.jobs.size() == 2);
  CHECK(t.jobs[0].id == "obj/caf\\xe9.o");
  CHECK(t.jobs[1].id == "bin/\\xff\\xc3(\xe2\x82\xac"); // a valid sequence (the euro sign) is kept as is
  CHECK(t.jobs[1].deps == std::vector<std::string>{"obj/caf\\xe9.o"}); // edges matched on the raw bytes
  BuildTrace back = parse_trace(parse_json_text(to_json(t).dump(), "t.json"), "t.json");
  CHECK(back.jobs[1].id == t.jobs[1].id);
}

TEST_CASE("ninja import: whitespace-only lines in `ninja -t deps` output name no dependency")
{
  std::istringstream in("# ninja log v5\n0\t10\t0\ta.o\th1\n0\t20\t0\tb.o\th2\n");
  NinjaImportOptions opt;
  opt.deps_text = "b.o: #deps 2, deps mtime 1 (VALID)\n    \n\t \r\n    a.o\n";
  BuildTrace t = import_ninja_log(in, "n.log", opt);
  CHECK(t.jobs[1].deps == std::vector<std::string>{"a.o"});
}
