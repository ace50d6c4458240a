// Benchmark: parse and validate a very large JSON Lines trace. Generates an N-job synthetic build (streamed to
// disk), then loads it with load_trace_file (strict parse, duplicate ids, unknown dependencies, cycle check);
// reports the load's wall time and the process's peak RSS against the targets (10 s and 2 GiB for 1,000,000 jobs)
// as ratios, and what building the DAG and its topological order then costs. Not a test: see bench/README.md.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/child_process.hpp"
#include "workloads/build_dag.hpp"
#include "workloads/synthetic_builds.hpp"
#include "workloads/trace_jsonl.hpp"

using namespace spritesim;

namespace {

double peak_rss_bytes()
{
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) * 1024.0; // Linux reports kilobytes
}

double cpu_seconds()
{
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return spritesim::cpu_seconds(u);
}

double seconds_since(std::chrono::steady_clock::time_point t0)
{
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv)
{
  int64_t jobs = 1'000'000;
  std::string dir = "/tmp";
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--jobs" && i + 1 < argc)
      jobs = std::stoll(argv[++i]);
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--keep")
      keep = true;
    else {
      fmt::print(stderr, "usage: bench_trace_parse [--jobs N] [--dir DIR] [--keep]\n");
      return 2;
    }
  }
  const double target_s = 10.0;
  const double target_rss = 2.0 * 1024 * 1024 * 1024;

  // N jobs = compiles + libraries + 1, with about 1000 compiles per library.
  SyntheticBuild b;
  b.libraries = std::max<int64_t>(1, jobs / 1001);
  b.compiles = std::max<int64_t>(b.libraries, jobs - b.libraries - 1);
  std::string path = fmt::format("{}/bench-trace-{}.jsonl", dir, getpid());
  auto t0 = std::chrono::steady_clock::now();
  {
    TraceJsonlWriter w(path, synthetic_build_header(b, 1), synthetic_job_count(b));
    generate_synthetic_build(b, 1, [&w](const TraceJob& j) { w.add(j); });
    w.commit();
  }
  double generate_s = seconds_since(t0);
  double rss_after_generate = peak_rss_bytes();
  FILE* f = std::fopen(path.c_str(), "rb");
  std::fseek(f, 0, SEEK_END);
  long file_bytes = std::ftell(f);
  std::fclose(f);

  t0 = std::chrono::steady_clock::now();
  double cpu0 = cpu_seconds();
  BuildTrace t = load_trace_file(path); // parse + ids + dependencies + cycle check
  double load_s = seconds_since(t0);
  double load_cpu_s = cpu_seconds() - cpu0;
  // What a simulation does next (not part of the target): the DAG and its topological order.
  t0 = std::chrono::steady_clock::now();
  BuildDag dag(t, path);
  size_t ordered = dag.topological_order().size();
  double order_s = seconds_since(t0);
  double rss = peak_rss_bytes();
  if (!keep)
    std::remove(path.c_str());

  fmt::print("trace: {} jobs ({} compiles, {} libraries, 1 final link), {:.1f} MB of JSON Lines at {}\n",
             t.jobs.size(), b.compiles, b.libraries, static_cast<double>(file_bytes) / 1e6, path);
  fmt::print("generate (streamed): {:.2f} s, peak RSS so far {:.0f} MiB\n", generate_s, rss_after_generate / 1048576);
  fmt::print("parse + validate (ids, dependencies, cycle check): {:.2f} s wall, {:.2f} s CPU\n", load_s, load_cpu_s);
  fmt::print("then DAG + topological order ({} jobs, not in the target): {:.2f} s\n", ordered, order_s);
  double load_avg[1] = {0};
  if (getloadavg(load_avg, 1) == 1)
    fmt::print("machine load average: {:.1f} (wall times stretch when it exceeds the cores)\n", load_avg[0]);
  fmt::print("peak RSS: {:.0f} MiB\n", rss / 1048576);
  fmt::print("time ratio: {:.3f} of the {:.0f} s target ({})\n", load_s / target_s, target_s,
             load_s <= target_s ? "met" : "MISSED");
  fmt::print("memory ratio: {:.3f} of the 2 GiB target ({})\n", rss / target_rss, rss <= target_rss ? "met" : "MISSED");
  return load_s <= target_s && rss <= target_rss ? 0 : 1;
}
