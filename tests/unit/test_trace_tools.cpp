// Unit tests for the trace tools: `trace info` statistics on a hand-made DAG, .ninja_log import (with and without
// dependency edges), the paper-build generators' totals against their Table 3 descriptions, and the synthetic DAG
// generator's shape and determinism.
#include <doctest/doctest.h>

#include "tests/unit/test_support.hpp"

#include <map>
#include <set>
#include <sstream>

#include "workloads/build_dag.hpp"
#include "workloads/build_options.hpp"
#include "workloads/ninja_log.hpp"
#include "workloads/paper_builds.hpp"
#include "workloads/synthetic_builds.hpp"
#include "workloads/trace_stats.hpp"

using namespace spritesim;
using spritesim::test::contains;
using spritesim::test::input_error_of;

namespace {

BuildTrace dag_of(const std::vector<std::tuple<std::string, double, std::vector<std::string>>>& jobs)
{
  BuildTrace t;
  t.name = "hand";
  for (const auto& [id, cpu, deps] : jobs) {
    TraceJob j;
    j.id = id;
    j.cpu_s = cpu;
    j.deps = deps;
    t.jobs.push_back(j);
  }
  return t;
}

// Costs in the range the SS1 profile gives; the totals must hold for any.
SequentialCosts test_costs()
{
  SequentialCosts c;
  c.lookup_s = 0.0025;
  c.invocation_s = 0.046;
  c.small_rpc_s = 0.0016;
  c.fs_bytes_per_s = 480 * 1024;
  c.reference_profile = "ss1";
  return c;
}

// What a sequential run of the trace costs without contention: the scan, then every job with pmake's own work,
// the local invocation and each lookup's unloaded wait.
double sequential_time(const BuildTrace& t, const SequentialCosts& c)
{
  double s = t.tool.scan_cpu_s + static_cast<double>(t.tool.scan_lookups) * c.lookup_s;
  for (const auto& j : t.jobs)
    s += j.cpu_s + static_cast<double>(j.lookups + t.tool.job_lookups) * c.lookup_s + t.tool.job_cpu_s +
         t.tool.prereq_cpu_s * static_cast<double>(j.prereqs) + c.invocation_s;
  return s;
}

} // namespace

TEST_CASE("trace info on a hand-made DAG: work, critical path, width and the work/span bound")
{
  //   a(2) -> b(3) -> e(1)
  //   a(2) -> c(1) -> e(1)      d(4) alone
  BuildTrace t = dag_of({{"a", 2, {}}, {"b", 3, {"a"}}, {"c", 1, {"a"}}, {"d", 4, {}}, {"e", 1, {"b", "c"}}});
  TraceStats s = trace_stats(t, {1, 2, 4, 8}, 3);
  CHECK(s.jobs == 5);
  CHECK(s.total_cpu_s == doctest::Approx(11));
  CHECK(s.critical_path_s == doctest::Approx(6));
  CHECK(s.critical_chain == std::vector<std::string>{"a", "b", "e"});
  CHECK(s.levels == 3);
  CHECK(s.width == 2); // {a, d} on level 0, {b, c} on level 1
  CHECK(s.width_level == 0);
  REQUIRE(s.speedup_bound.size() == 4);
  CHECK(s.speedup_bound[0].second == doctest::Approx(1));
  CHECK(s.speedup_bound[1].second == doctest::Approx(11.0 / 6.0)); // min(2, 11/6)
  CHECK(s.speedup_bound[3].second == doctest::Approx(11.0 / 6.0));
  REQUIRE(s.top_cpu.size() == 3);
  CHECK(s.top_cpu[0].first == "d");
  CHECK(s.top_cpu[1].first == "b");
  CHECK(s.top_cpu[2].first == "a");
  std::string text = format_trace_stats(s);
  CHECK(text.rfind("jobs: 5\n", 0) == 0);
  CHECK(contains(text, "critical path: 6.000 s"));
  CHECK(to_json(s)["speedup_bound"]["2"] == doctest::Approx(11.0 / 6.0));

  // A wide flat trace: the bound is N until N reaches the number of equal jobs.
  BuildTrace flat = dag_of({{"p", 1, {}}, {"q", 1, {}}, {"r", 1, {}}});
  TraceStats f = trace_stats(flat, {2, 4});
  CHECK(f.width == 3);
  CHECK(f.speedup_bound[0].second == doctest::Approx(2));
  CHECK(f.speedup_bound[1].second == doctest::Approx(3));
}

TEST_CASE("a .ninja_log imports as jobs with wall times as CPU estimates")
{
  std::string log = "# ninja log v5\n"
                    "0\t1500\t0\tobj/a.o\tdeadbeef01\n"
                    "10\t2500\t0\tobj/b.o\tdeadbeef02\n"
                    "2600\t3100\t0\tgen.h\tdeadbeef03\n"       // one command, two outputs
                    "2600\t3100\t0\tgen.c\tdeadbeef03\n"
                    "3200\t4200\t0\tobj/gen.o\tdeadbeef04\n"
                    "4300\t4400\t0\tprog\tdeadbeef05\n"
                    "5000\t5250\t0\tobj/b.o\tdeadbeef02\n";    // rebuilt later: this entry wins
  std::istringstream in(log);
  BuildTrace t = import_ninja_log(in, ".ninja_log", NinjaImportOptions{});
  REQUIRE(t.jobs.size() == 5);
  std::map<std::string, const TraceJob*> by_id;
  for (const auto& j : t.jobs)
    by_id[j.id] = &j;
  CHECK(by_id.at("obj/a.o")->cpu_s == doctest::Approx(1.5));
  CHECK(by_id.at("obj/a.o")->wall_s == doctest::Approx(1.5));
  CHECK(by_id.at("obj/b.o")->cpu_s == doctest::Approx(0.25));
  CHECK(by_id.count("gen.h") == 1);
  CHECK(by_id.count("gen.c") == 0); // same command as gen.h
  CHECK(by_id.at("obj/a.o")->kind == "compile");
  CHECK(by_id.at("prog")->kind == "command");
  CHECK(t.jobs.back().id == "obj/b.o"); // ordered by start time
  for (const auto& j : t.jobs)
    CHECK(j.deps.empty());
  CHECK(contains(t.source, "wall times used as CPU estimates"));
  CHECK(contains(t.source, "no dependency edges"));

  // Edges from `ninja -t deps` (gen.o includes gen.h) and `ninja -t graph` (prog links the objects).
  NinjaImportOptions opt;
  opt.deps_text = "obj/gen.o: #deps 2, deps mtime 123 (VALID)\n    gen.c\n    gen.h\n\n"
                  "obj/a.o: #deps 1, deps mtime 123 (VALID)\n    a.c\n\n";
  opt.graph_text = "digraph ninja {\nrankdir=\"LR\"\nnode [fontsize=10, shape=box, height=0.25]\n"
                   "\"0x1\" [label=\"prog\"]\n\"0x9\" [label=\"link\", shape=ellipse]\n"
                   "\"0x9\" -> \"0x1\"\n\"0x2\" -> \"0x9\" [arrowhead=none]\n\"0x3\" -> \"0x9\" [arrowhead=none]\n"
                   "\"0x2\" [label=\"obj/a.o\"]\n\"0x3\" [label=\"obj/gen.o\"]\n"
                   "\"0x4\" [label=\"a.c\"]\n\"0x4\" -> \"0x2\" [label=\" cc\"]\n}\n";
  std::istringstream again(log);
  BuildTrace linked = import_ninja_log(again, ".ninja_log", opt);
  std::map<std::string, std::vector<std::string>> deps;
  for (const auto& j : linked.jobs)
    deps[j.id] = j.deps;
  CHECK(deps["obj/gen.o"] == std::vector<std::string>{"gen.h"});
  CHECK(deps["prog"] == std::vector<std::string>{"obj/a.o", "obj/gen.o"});
  CHECK(deps["obj/a.o"].empty());
  CHECK(!contains(linked.source, "no dependency edges"));
}

TEST_CASE("malformed ninja logs name the file, the line and the field")
{
  auto err = [](const std::string& text) {
    std::istringstream in(text);
    return input_error_of([&] { import_ninja_log(in, "n.log", NinjaImportOptions{}); });
  };
  CHECK(contains(err("# ninja log v4\n"), "n.log: at line 1"));
  CHECK(contains(err("# ninja log v5\n1\t2\t0\ta.o\n"), "line 2"));
  CHECK(contains(err("# ninja log v5\n1\t2\t0\ta.o\th\nx\t2\t0\tb.o\th\n"), "line 3: field 1 (start ms)"));
  CHECK(contains(err("# ninja log v5\n5\t2\t0\ta.o\th\n"), "field 2 (end ms)"));
  CHECK(contains(err("# ninja log v5\n"), "no commands"));
}

TEST_CASE("paper builds: generated totals match their Table 3 descriptions")
{
  SequentialCosts c = test_costs();
  for (const std::string& name : paper_build_names()) {
    CAPTURE(name);
    PaperBuild d = *paper_build(name);
    BuildTrace t = generate_paper_build(d, c, GeneratorOptions{});
    int64_t compiles = 0, links = 0, lookups = t.tool.scan_lookups;
    for (const auto& j : t.jobs) {
      compiles += j.kind == "compile";
      links += j.kind == "link";
      lookups += j.lookups;
    }
    CHECK(compiles == d.files);
    CHECK(links == d.link_steps);
    CHECK(sequential_time(t, c) == doctest::Approx(d.sequential_s).epsilon(1e-9));
    // Lookups per second of the sequential run, up to rounding the per-compile count (half a lookup each).
    CHECK(std::abs(static_cast<double>(lookups) - d.lookups_per_s * d.sequential_s) <= 0.5 * d.files + 1);
    CHECK(t.sequential_s == d.sequential_s);
    BuildDag dag(t, name);
    CHECK(!dag.find_cycle());
  }
  // The Table 3 rows (SPE91 Table 3 / TH90 Table 7.4) and the kernel-derived scan and link.
  PaperBuild g = *paper_build("gremlin");
  CHECK(g.files == 24);
  CHECK(g.sequential_s == 180);
  CHECK(g.lookups_per_s == 43);
  CHECK(g.scan_s == doctest::Approx(19.0 * 24 / 276));
  CHECK(g.link_s == doctest::Approx(56.0 * 24 * 435 / (276 * 550)));
  CHECK(g.link_spread_s == doctest::Approx(67.0 * 24 * 435 / (276 * 550)));
  CHECK(paper_build("tex")->files == 36);
  CHECK(paper_build("tex")->avg_lines == 514);
  CHECK(paper_build("pmake")->link_steps == 3);
  CHECK(paper_build("kernel")->scan_s == 19);
  CHECK(!paper_build("TeX"));
}

TEST_CASE("pmake's three link steps: lst/ then src/, each linked into linked.o, then pmake from both (SRC)")
{
  BuildTrace t = generate_paper_build(*paper_build("pmake"), test_costs(), GeneratorOptions{});
  REQUIRE(t.jobs.size() == 52);
  const TraceJob& lst = t.jobs[34];
  const TraceJob& src = t.jobs[50];
  const TraceJob& link = t.jobs[51];
  CHECK(lst.id == "lst/linked.o");
  CHECK(lst.deps.size() == 34);
  CHECK(src.id == "src/linked.o");
  CHECK(src.deps.size() == 15);
  CHECK(t.jobs[35].deps == std::vector<std::string>{"lst/linked.o"}); // the src/ sub-pmake runs after lst/'s
  CHECK(t.jobs[0].prereqs == 4);
  CHECK(t.jobs[35].prereqs == 17);
  CHECK(link.deps == std::vector<std::string>{"lst/linked.o", "src/linked.o"});
  CHECK(link.reads_dep_outputs);
  TraceStats s = trace_stats(t);
  CHECK(s.levels == 5);
}

TEST_CASE("pmake's per-job CPU: the kernel's, priced per job and per prerequisite")
{
  SequentialCosts c = test_costs();
  // The central split: the kernel scan's CPU per prerequisite, the rest per job; the kernel's total per job is
  // the 12-host compile phase at full load less the mechanism (docs/cost-model.md).
  auto [job, prereq] = pmake_cpu_prices(c, GeneratorOptions{});
  double kernel = (453.0 - 19 - 67) / 277 - PMAKE_MECHANISM_HOME_S;
  CHECK(job + prereq * KERNEL_PREREQS == doctest::Approx(kernel));
  CHECK(prereq == doctest::Approx((19 - 3 * 276 * c.lookup_s) / (276 * KERNEL_PREREQS)));
  GeneratorOptions all;
  all.prereq_share = 1;
  auto [job1, prereq1] = pmake_cpu_prices(c, all);
  CHECK(job1 == doctest::Approx(0).scale(1));
  CHECK(prereq1 * KERNEL_PREREQS == doctest::Approx(kernel));
  // A trace still replays in its published sequential time whatever the split.
  BuildTrace t = generate_paper_build(*paper_build("pmake"), c, all);
  CHECK(sequential_time(t, c) == doctest::Approx(162).epsilon(1e-9));
}

TEST_CASE("described builds: N commands (+ links) from counts and times; strict generator options")
{
  SequentialCosts c = test_costs();
  nlohmann::json g = {{"size_cv", 0},
                      {"build",
                       {{"files", 3}, {"link_steps", 0}, {"command_s", 15.5}, {"lookups_per_command", 100},
                        {"make", false}, {"reference_profile", "ss1"}, {"server_profile", "sun4-280"}}}};
  std::optional<DescribedBuild> d;
  GeneratorOptions opt = parse_generator_options(g, "x.json", "$.workload.generator", &d);
  REQUIRE(d);
  CHECK(d->independent);
  BuildTrace t = generate_paper_build(d->build, c, opt);
  CHECK(t.jobs.size() == 3); // no link
  CHECK(t.tool.job_cpu_s == 0);
  CHECK(t.tool.scan_lookups == 0);
  // By hand, a command alone takes its published time: its CPU, its lookups' waits and the local invocation.
  CHECK(sequential_time(t, c) == doctest::Approx(3 * 15.5));
  // With pmake: the scan, each file's pmake work and command, the link.
  g["build"]["make"] = true;
  g["build"]["link_steps"] = 1;
  g["build"]["scan_s"] = 26;
  g["build"]["link_s"] = 17;
  opt = parse_generator_options(g, "x.json", "$.workload.generator", &d);
  t = generate_paper_build(d->build, c, opt);
  CHECK(t.jobs.size() == 4);
  CHECK(sequential_time(t, c) == doctest::Approx(t.sequential_s).epsilon(1e-9));
  auto [job, prereq] = pmake_cpu_prices(c, opt);
  CHECK(t.sequential_s == doctest::Approx(26 + 17 + 3 * (15.5 + job + prereq * 25 + 3 * c.lookup_s)));
  auto err = [&](nlohmann::json j) {
    try {
      parse_generator_options(j, "x.json", "$.workload.generator", &d);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(err({{"size_cvv", 1}}).find("size_cvv") != std::string::npos);
  CHECK(err({{"cpu_scaling", 2}}).find("$.workload.generator.cpu_scaling") != std::string::npos);
  CHECK(err({{"build", {{"files", 3}}}}).find("command_s") != std::string::npos);
}

TEST_CASE("synthetic builds: N compiles in M libraries, then a final link; reproducible")
{
  SyntheticBuild b;
  b.compiles = 1000;
  b.libraries = 7;
  std::vector<TraceJob> jobs;
  generate_synthetic_build(b, 5, [&jobs](const TraceJob& j) { jobs.push_back(j); });
  REQUIRE(static_cast<int64_t>(jobs.size()) == synthetic_job_count(b));
  int64_t compiles = 0, members = 0, libraries = 0;
  double cpu = 0;
  for (const auto& j : jobs) {
    if (j.kind == "compile") {
      ++compiles;
      cpu += j.cpu_s;
    } else if (j.id != b.name) {
      ++libraries;
      members += static_cast<int64_t>(j.deps.size());
      CHECK(j.deps.size() >= 1);
    }
  }
  CHECK(compiles == 1000);
  CHECK(libraries == 7);
  CHECK(members == 1000);
  CHECK(jobs.back().deps.size() == 7);
  CHECK(cpu / 1000 == doctest::Approx(b.compile_cpu_mean_s).epsilon(0.08)); // lognormal, cv 0.5
  BuildTrace t = synthetic_build_header(b, 5);
  t.jobs = jobs;
  CHECK(trace_stats(t).levels == 3);

  std::vector<TraceJob> again;
  generate_synthetic_build(b, 5, [&again](const TraceJob& j) { again.push_back(j); });
  std::vector<TraceJob> other;
  generate_synthetic_build(b, 6, [&other](const TraceJob& j) { other.push_back(j); });
  bool same = true, differs = false;
  for (size_t i = 0; i < jobs.size(); ++i) {
    same = same && trace_job_to_json(jobs[i], true) == trace_job_to_json(again[i], true);
    differs = differs || jobs[i].cpu_s != other[i].cpu_s;
  }
  CHECK(same);
  CHECK(differs);
  b.libraries = 2000;
  CHECK_THROWS_AS(synthetic_build_header(b, 1), std::invalid_argument);
}
