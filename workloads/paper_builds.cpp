// The paper benchmarks and the generator that turns their descriptions into traces (see paper_builds.hpp).
#include "workloads/paper_builds.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

namespace spritesim {

namespace {

// The kernel build, the one benchmark whose anatomy is published: SPE91 Table 3 / TH90 Table 7.4 (files, link
// steps, lines, lookups/s, sequential time); SPE91 p.17 and TH90 7.4.2 (19 s scan, 56 s link from one cache,
// 65-69 s when objects are spread over hosts; midpoint 67).
const PaperBuild KERNEL{"kernel", 276, 1, 550, 98, 1971, 19, 56, 67,
                        "SPE91 Table 3, TH90 Table 7.4 and 7.4.2 (Sprite kernel build)"};

} // namespace

PaperBuild derive_paper_build(const std::string& name, int64_t files, int64_t link_steps, double avg_lines,
                              double lookups_per_s, double sequential_s, const std::string& source)
{
  PaperBuild b{name, files, link_steps, avg_lines, lookups_per_s, sequential_s, 0, 0, 0, source};
  // Scan: per file, as the kernel's (it stats each source, header and object).
  b.scan_s = KERNEL.scan_s * static_cast<double>(files) / static_cast<double>(KERNEL.files);
  // Final link: it reads every object, whose size follows its source lines; so does the spread-object penalty.
  double lines_ratio = static_cast<double>(files) * avg_lines / (static_cast<double>(KERNEL.files) * KERNEL.avg_lines);
  b.link_s = KERNEL.link_s * lines_ratio;
  b.link_spread_s = KERNEL.link_spread_s * lines_ratio;
  return b;
}

std::optional<PaperBuild> paper_build(const std::string& name)
{
  // SPE91 Table 3 / TH90 Table 7.4 (sprite-facts 5a): files compiled, link steps, average lines per file, server
  // lookups per second in the sequential run, sequential seconds. Nothing else about these builds is used.
  const std::string table = "SPE91 Table 3, TH90 Table 7.4; scan and link derived from the kernel's (TH90 7.4.2)";
  if (name == "kernel")
    return KERNEL;
  if (name == "gremlin")
    return derive_paper_build("gremlin", 24, 1, 435, 43, 180, table + " (gremlin)");
  if (name == "tex")
    return derive_paper_build("tex", 36, 1, 514, 24, 259, table + " (TeX)");
  if (name == "pmake")
    return derive_paper_build("pmake", 49, 3, 433, 62, 162, table + " (pmake)");
  return std::nullopt;
}

std::vector<std::string> paper_build_names() { return {"kernel", "gremlin", "tex", "pmake"}; }

// Lognormal factors with mean 1 and the given coefficient of variation, from our own Box-Muller on mt19937_64 bits
// (std:: distributions are not guaranteed identical across library versions; these bytes are).
static std::vector<double> size_factors(size_t n, double cv, uint64_t seed)
{
  std::vector<double> f(n, 1.0);
  if (cv <= 0 || n == 0)
    return f;
  std::mt19937_64 rng(seed);
  auto uniform = [&rng] { return (static_cast<double>(rng() >> 11) + 0.5) / 9007199254740992.0; };
  double sigma = std::sqrt(std::log1p(cv * cv));
  double sum = 0;
  for (auto& x : f) {
    double z = std::sqrt(-2 * std::log(uniform())) * std::cos(2 * M_PI * uniform());
    x = std::exp(sigma * z - sigma * sigma / 2);
    sum += x;
  }
  for (auto& x : f)
    x *= static_cast<double>(n) / sum; // exact mean 1, so totals match the published times
  return f;
}

BuildTrace generate_paper_build(const PaperBuild& d, const SequentialCosts& c, const GeneratorOptions& opt)
{
  if (d.files <= 0 || d.sequential_s <= 0)
    throw std::invalid_argument("paper build needs files and a sequential time");
  BuildTrace t;
  t.name = d.name;
  t.reference_profile = c.reference_profile;
  t.sequential_s = d.sequential_s;
  t.source = fmt::format("generated from {} (seed {}, size_cv {})", d.source, opt.seed, opt.size_cv);

  // Lookups: the published rate over the sequential run. The scan stats each source, its object and about one
  // header (assumption: 3 per file); a link opens each object plus a few libraries (assumption: files + 10).
  double total_lookups = d.lookups_per_s * d.sequential_s;
  int64_t scan_lookups = 3 * d.files;
  t.tool.scan_lookups = scan_lookups;
  t.tool.scan_cpu_s = std::max(0.0, d.scan_s - static_cast<double>(scan_lookups) * c.lookup_s);
  t.tool.job_cpu_s = PMAKE_JOB_CPU_S;
  t.tool.exec_arg_bytes = 1024;  // assumption: a compile's argv + environment, about 1 KB
  t.tool.script_bytes = 1024;    // TH90 8.4: a shell command script under 1 KB, flushed before migration

  // Objects: the link penalty when objects are spread over hosts is the time to fetch them through the server.
  int64_t object_bytes = 0;
  if (d.link_spread_s > d.link_s)
    object_bytes = static_cast<int64_t>((d.link_spread_s - d.link_s) * c.fs_bytes_per_s / static_cast<double>(d.files));

  double per_job_overhead = PMAKE_JOB_CPU_S + c.invocation_s;
  // Link groups: one link of everything, or L - 1 group links (libraries) and a final link of their results.
  int64_t groups = d.link_steps > 1 ? d.link_steps - 1 : 0;
  auto group_begin = [&](int64_t g) { return d.files * g / std::max<int64_t>(groups, 1); };
  int64_t link_lookups_total = 0;
  for (int64_t g = 0; g < groups; ++g)
    link_lookups_total += group_begin(g + 1) - group_begin(g) + 10;
  link_lookups_total += (groups > 0 ? groups : d.files) + 10;
  double link_total_s = groups > 0 ? 2 * d.link_s : d.link_s * static_cast<double>(d.link_steps);

  double compile_elapsed = (d.sequential_s - d.scan_s - link_total_s) / static_cast<double>(d.files);
  auto compile_lookups = static_cast<int64_t>(std::llround(
      (total_lookups - static_cast<double>(scan_lookups) - static_cast<double>(link_lookups_total)) /
      static_cast<double>(d.files)));
  double compile_cpu = compile_elapsed - per_job_overhead - static_cast<double>(compile_lookups) * c.lookup_s;
  if (compile_cpu <= 0)
    throw std::invalid_argument(fmt::format("{}: costs leave no CPU time for the compiles", d.name));
  // Remote compiles run 3% slower (SPE91 Fig. 3); charged as calls forwarded home.
  auto forwarded = static_cast<int64_t>(std::llround(REMOTE_COMPILE_SLOWDOWN * compile_elapsed / c.small_rpc_s));

  auto factors = size_factors(static_cast<size_t>(d.files), opt.size_cv, opt.seed);
  std::vector<std::string> objects;
  for (int64_t i = 0; i < d.files; ++i) {
    TraceJob j;
    j.id = fmt::format("cc{:04d}", i + 1);
    j.kind = "compile";
    j.argv = {"cc", "-c", fmt::format("src{:04d}.c", i + 1)};
    j.cpu_s = compile_cpu * factors[static_cast<size_t>(i)];
    j.lookups = compile_lookups;
    j.files_opened = PMAKE_CHILD_OPEN_FILES;
    j.bytes_written = object_bytes;
    j.forwarded_calls = forwarded;
    objects.push_back(j.id);
    t.jobs.push_back(std::move(j));
  }
  // A link: its elapsed time in the sequential run less pmake's per-job work and its lookups' waits.
  auto add_link = [&](std::string id, std::string output, std::vector<std::string> deps, double elapsed,
                      int64_t lookups, int64_t bytes_written) {
    TraceJob j;
    j.id = std::move(id);
    j.kind = "link";
    j.argv = {"ld", "-o", std::move(output)};
    j.deps = std::move(deps);
    j.cpu_s = std::max(0.0, elapsed - per_job_overhead - static_cast<double>(lookups) * c.lookup_s);
    j.lookups = lookups;
    j.files_opened = PMAKE_CHILD_OPEN_FILES;
    j.reads_dep_outputs = true;
    j.bytes_written = bytes_written;
    t.jobs.push_back(std::move(j));
  };
  std::vector<std::string> finals = objects;
  if (groups > 0) {
    finals.clear();
    for (int64_t g = 0; g < groups; ++g) {
      int64_t n = group_begin(g + 1) - group_begin(g);
      std::vector<std::string> members(objects.begin() + group_begin(g), objects.begin() + group_begin(g + 1));
      std::string id = fmt::format("lib{}", g + 1);
      // A library holds its objects: it costs its share of the link time and writes as many bytes as it read.
      add_link(id, fmt::format("lib{}.a", g + 1), std::move(members),
               d.link_s * static_cast<double>(n) / static_cast<double>(d.files), n + 10, object_bytes * n);
      finals.push_back(id);
    }
  }
  // The final link (assumption: the linked image is a quarter of the objects).
  auto final_lookups = static_cast<int64_t>(finals.size()) + 10;
  add_link("link", d.name, std::move(finals), d.link_s, final_lookups, object_bytes * d.files / 4);
  return t;
}

} // namespace spritesim
