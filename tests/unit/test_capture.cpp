// Unit tests for capture's SimGrid-free half: shim records round-trip and bad log lines name the file and line;
// records become jobs (lines of one recipe merged, ids relative to make's directory), edges come from rebuilt
// prerequisites, a recipe that ran a make keeps only that make's own CPU and wraps its jobs, and make's own
// costs become the trace's tool costs.
#include <doctest/doctest.h>

#include "tests/unit/test_support.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "workloads/build_dag.hpp"
#include "workloads/capture.hpp"

using namespace spritesim;
using spritesim::test::contains;
using spritesim::test::input_error_of;

namespace {

int next_id = 0;

ShellRecord rec(const std::string& cwd, const std::string& target, std::vector<std::string> prereqs,
                const std::string& line, double start, double end, double cpu, const std::string& parent = "")
{
  ShellRecord r;
  r.id = "r" + std::to_string(++next_id);
  r.parent = parent;
  r.cwd = cwd;
  r.target = target;
  r.prereqs = std::move(prereqs);
  r.argv = {"/bin/sh", "-c", line};
  r.start_s = start;
  r.end_s = end;
  r.cpu_s = cpu;
  r.shim_cpu_s = 0.01;
  return r;
}

const TraceJob& job(const BuildTrace& t, const std::string& id)
{
  auto it = std::find_if(t.jobs.begin(), t.jobs.end(), [&](const TraceJob& j) { return j.id == id; });
  REQUIRE_MESSAGE(it != t.jobs.end(), "no job " << id);
  return *it;
}

bool depends(const TraceJob& j, const std::string& dep)
{
  return std::find(j.deps.begin(), j.deps.end(), dep) != j.deps.end();
}

MakeRun run_in(const std::string& cwd)
{
  MakeRun run;
  run.cwd = cwd;
  run.name = "t";
  run.reference_profile = "host";
  run.self_cpu_s = 0.5;
  return run;
}

} // namespace

TEST_CASE("capture: a shim record round-trips through its log line")
{
  ShellRecord r = rec("/p", "a.o", {"a.c", "a.h"}, "cc -c a.c", 10.5, 11.25, 0.5, "r0");
  r.make_level = 1;
  r.make_cpu_s = 0.02;
  r.make_children_cpu_s = 0.01;
  r.env_bytes = 1234;
  r.exit_status = 3;
  r.output_bytes = 4096;
  std::string line = to_json(r).dump();
  auto back = parse_capture_log(line + "\n\n" + line + "\n", "log");
  REQUIRE(back.size() == 2);
  CHECK(to_json(back[1]) == to_json(r));
}

TEST_CASE("capture: bad log lines name the file and the line")
{
  std::string good = to_json(rec("/p", "a.o", {}, "true", 1, 2, 0)).dump();
  std::string e = input_error_of([&] { parse_capture_log(good + "\n{not json\n", "rec.jsonl"); });
  CHECK(contains(e, "rec.jsonl"));
  CHECK(contains(e, "line 2"));
  e = input_error_of([&] { parse_capture_log(good + "\n" + good, "rec.jsonl"); });
  CHECK(contains(e, "line 2"));
  CHECK(contains(e, "truncated"));
  e = input_error_of([&] { parse_capture_log(R"({"id":"x","cwd":"/","prereqs":[],"argv":[],"start_s":2,"end_s":1,)"
                                             R"("cpu_s":0})" "\n", "rec.jsonl"); });
  CHECK(contains(e, "line 1"));
  CHECK(contains(e, "end_s"));
  e = input_error_of([&] { parse_capture_log(R"({"id":"x","cwd":"/","prereqs":[],"argv":[],"start_s":1,"end_s":2,)"
                                             R"("cpu_s":0,"colour":1})" "\n", "rec.jsonl"); });
  CHECK(contains(e, "colour"));
}

TEST_CASE("capture: job kinds from command lines")
{
  CHECK(guess_job_kind({"cc -O2 -c m1.c -o m1.o"}) == "compile");
  CHECK(guess_job_kind({"/usr/bin/x86_64-linux-gnu-gcc -c x.c"}) == "compile");
  CHECK(guess_job_kind({"cc -o prog main.o m1.o"}) == "link");
  CHECK(guess_job_kind({"ar rcs libx.a a.o b.o"}) == "link");
  CHECK(guess_job_kind({"echo hi", "touch b"}) == "command");
}

TEST_CASE("capture: compiles and a link, edges from rebuilt prerequisites only")
{
  std::vector<ShellRecord> records = {
      rec("/p", "", {}, "uname", 0.5, 0.6, 0.001), // a $(shell) while reading the makefile: not a job
      rec("/p", "a.o", {"a.c", "common.h"}, "cc -c a.c", 1, 2, 0.9),
      rec("/p", "b.o", {"b.c"}, "cc -c b.c", 1.1, 2.2, 1.0),
      rec("/p", "prog", {"a.o", "b.o", "/usr/lib/libm.a"}, "cc -o prog a.o b.o", 2.3, 2.6, 0.25),
      rec("/p", "prog", {"a.o", "b.o", "/usr/lib/libm.a"}, "strip prog", 2.6, 2.7, 0.05),
  };
  records[1].make_cpu_s = 0.03; // make's own CPU at its first recipe: the scan
  records[1].make_children_cpu_s = 0.001;
  records[3].output_bytes = 9000;
  BuildTrace t = assemble_trace(records, run_in("/p"), "log");
  REQUIRE(t.jobs.size() == 3);
  CHECK(t.jobs[0].id == "a.o");
  CHECK(t.jobs[0].kind == "compile");
  CHECK(t.jobs[0].deps.empty());
  CHECK(t.jobs[0].cwd == "/p");
  const TraceJob& prog = job(t, "prog");
  CHECK(prog.kind == "link");
  CHECK(prog.deps == std::vector<std::string>{"a.o", "b.o"});
  CHECK(prog.cpu_s == doctest::Approx(0.3));
  CHECK(prog.wall_s == doctest::Approx(0.4));
  CHECK(prog.argv.back() == "cc -o prog a.o b.o\nstrip prog");
  CHECK(prog.bytes_written == 9000);
  CHECK(prog.reads_dep_outputs);
  CHECK(t.reference_profile == "host");
  CHECK(t.tool.scan_cpu_s == doctest::Approx(0.031));
  CHECK(t.tool.job_cpu_s == doctest::Approx((0.5 - 0.03) / 3));
  BuildDag dag(t, "t"); // a valid DAG
  CHECK(dag.topological_order().size() == 3);
}

TEST_CASE("capture: a recursive make is flattened around the recipe that ran it")
{
  // Top make: sub1 and sub2 run `make -C subN`, then prog (depends on both) links.
  ShellRecord sub1 = rec("/p", "sub1", {}, "make -C sub1", 1, 5, 3.0);
  ShellRecord sub2 = rec("/p", "sub2", {}, "make -C sub2", 1.1, 5.5, 2.5);
  std::vector<ShellRecord> records = {
      sub1,
      sub2,
      rec("/p/sub1", "x.o", {"x.c"}, "cc -c x.c", 1.5, 2.5, 1.0, sub1.id),
      rec("/p/sub1", "lib1.a", {"x.o"}, "ar rc lib1.a x.o", 2.6, 3, 0.2, sub1.id),
      rec("/p/sub2", "y.o", {"y.c"}, "cc -c y.c", 1.6, 3, 1.2, sub2.id),
      rec("/p/sub2", "all", {"y.o"}, "touch all", 3.1, 3.2, 0.01, sub2.id),
      rec("/p", "prog", {"sub1", "sub2"}, "cc -o prog sub1/lib1.a sub2/y.o", 6, 7, 0.5),
  };
  BuildTrace t = assemble_trace(records, run_in("/p"), "log");
  REQUIRE(t.jobs.size() == 7);
  // The sub-make's recipe keeps what its make used itself: its rusage minus the nested recipes and their shims.
  CHECK(job(t, "sub1").cpu_s == doctest::Approx(3.0 - (1.0 + 0.01) - (0.2 + 0.01)));
  CHECK(job(t, "sub1/x.o").kind == "compile");
  CHECK(depends(job(t, "sub1/x.o"), "sub1"));
  CHECK(depends(job(t, "sub1/lib1.a"), "sub1/x.o"));
  CHECK(depends(job(t, "sub2/all"), "sub2/y.o"));
  const TraceJob& prog = job(t, "prog");
  for (const char* d : {"sub1", "sub2", "sub1/lib1.a", "sub2/all"})
    CHECK_MESSAGE(depends(prog, d), "prog should depend on " << d);
  CHECK_FALSE(depends(prog, "sub1/x.o")); // implied through lib1.a
  BuildDag dag(t, "t");
  CHECK(dag.topological_order().size() == 7);
}

TEST_CASE("capture: a failing recipe keeps its status; same target twice gets distinct ids")
{
  ShellRecord a = rec("/p", "sub", {}, "make -C sub", 1, 3, 0.1);
  ShellRecord b = rec("/p", "sub2", {}, "make -C sub", 3.5, 5, 0.1);
  std::vector<ShellRecord> records = {
      a, b,
      rec("/p/sub", "gen.h", {}, "gen > gen.h", 1.5, 2, 0.01, a.id),
      rec("/p/sub", "gen.h", {}, "gen > gen.h", 4, 4.5, 0.01, b.id),
      rec("/p", "bad", {}, "false", 5.5, 5.6, 0.001),
  };
  records.back().exit_status = 1;
  BuildTrace t = assemble_trace(records, run_in("/p"), "log");
  CHECK(job(t, "sub/gen.h").deps == std::vector<std::string>{"sub"});
  CHECK(job(t, "sub/gen.h#2").deps == std::vector<std::string>{"sub2"});
  CHECK(job(t, "bad").exit_status == 1);
}

TEST_CASE("capture: a log without any recipe is an error naming the log")
{
  std::vector<ShellRecord> records = {rec("/p", "", {}, "uname", 0.5, 0.6, 0.001)};
  std::string e = input_error_of([&] { assemble_trace(records, run_in("/p"), "rec.jsonl"); });
  CHECK(contains(e, "rec.jsonl"));
  CHECK(contains(e, "no recipe"));
}
