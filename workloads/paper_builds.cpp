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
                        "SPE91 Table 3, TH90 Table 7.4 and 7.4.2 (Sprite kernel build)", KERNEL_PREREQS, false, {}};

} // namespace

PaperBuild derive_paper_build(const std::string& name, int64_t files, int64_t link_steps, double avg_lines,
                              double lookups_per_s, double sequential_s, const std::string& source)
{
  PaperBuild b{name, files, link_steps, avg_lines, lookups_per_s, sequential_s, 0, 0, 0, source, 0, false, {}};
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
  // SPE91 Table 3 / TH90 Table 7.4: files compiled, link steps, average lines per file, server
  // lookups per second in the sequential run, sequential seconds. Prerequisites per target and the pmake build's
  // layout come from Sprite's sources (SRC); nothing else about these builds is used.
  const std::string table = "SPE91 Table 3, TH90 Table 7.4; scan and link derived from the kernel's (TH90 7.4.2)";
  std::optional<PaperBuild> b;
  if (name == "kernel") {
    b = KERNEL;
  } else if (name == "gremlin") {
    b = derive_paper_build("gremlin", 24, 1, 435, 43, 180, table + " (gremlin)");
  } else if (name == "tex") {
    b = derive_paper_build("tex", 36, 1, 514, 24, 259, table + " (TeX)");
  } else if (name == "pmake") {
    b = derive_paper_build("pmake", 49, 3, 433, 62, 162, table + " (pmake)");
    // SRC src/cmds/pmake: Makefile (bigcmdtop.mk, SUBDIRS) builds lst/ then src/ with a sub-pmake each, each
    // directory's objects linked into linked.o (bigcmd.mk), then pmake from both: 34 + 15 = 49 compiles and 3
    // link steps. Prerequisites per target: lst/sun4.md/dependencies.mk (mean 3.9), src/sun4.md/... (17.4).
    b->groups = {{"lst", 34, 3.9}, {"src", 15, 17.4}};
  } else {
    return std::nullopt;
  }
  if (b->prereqs <= 0 && b->groups.empty()) {
    b->prereqs = KERNEL_PREREQS; // no dependency list survives: assumed like the kernel's (docs/cost-model.md)
    b->prereqs_assumed = true;
  }
  return b;
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

double pmake_kernel_job_cpu_s(double launch_busy)
{
  double phase = KERNEL_12_HOST_S - KERNEL.scan_s - KERNEL.link_spread_s;
  return launch_busy * phase / static_cast<double>(KERNEL.files + 1) - PMAKE_MECHANISM_HOME_S;
}

std::pair<double, double> pmake_cpu_prices(const SequentialCosts& c, const GeneratorOptions& opt)
{
  double per_job = std::max(0.0, pmake_kernel_job_cpu_s(opt.launch_busy));
  double per_prereq = 0;
  if (opt.prereq_share < 0) {
    // The scan visits every prerequisite of every target once (make.c Make_Run, Suff_FindDeps, Make_Update), as
    // launching a target visits its own once more (Make_DoAllVar): the kernel scan's CPU per prerequisite.
    double lookup = c.kernel_lookup_s > 0 ? c.kernel_lookup_s : c.lookup_s;
    double scan_cpu = KERNEL.scan_s - 3.0 * static_cast<double>(KERNEL.files) * lookup;
    per_prereq = scan_cpu / (static_cast<double>(KERNEL.files) * KERNEL_PREREQS);
  } else {
    per_prereq = std::min(opt.prereq_share, 1.0) * per_job / KERNEL_PREREQS;
  }
  per_prereq = std::min(per_prereq, per_job / KERNEL_PREREQS);
  // Priced on the kernel's SS1; the same work on another reference machine takes its CPU speed's share.
  double scale = std::pow(c.cpu_scale, opt.cpu_scaling);
  return {(per_job - per_prereq * KERNEL_PREREQS) * scale, per_prereq * scale};
}

namespace {

// What the generator derives from a build's description before it writes the jobs.
struct BuildPlan {
  std::vector<CompileGroup> groups;
  bool in_turn = false;    // published layouts are sub-pmakes run one after another
  bool libraries = false;  // each group's link makes a library, and a final link joins them
  bool by_command = false; // described by one command's time, not by the sequential total
  double compile_elapsed = 0;
  int64_t compile_lookups = 0;
  int64_t forwarded = 0;
  int64_t object_bytes = 0;
};

// pmake's own work for a target with p prerequisites, and the local fork/exec/wait, in the sequential run.
double pmake_overhead(const BuildTrace& t, const SequentialCosts& c, double p)
{
  return t.tool.job_cpu_s + t.tool.prereq_cpu_s * p + static_cast<double>(t.tool.job_lookups) * c.lookup_s +
         c.invocation_s;
}

// pmake's own work: the scan and the per-job and per-prerequisite prices.
void set_tool_work(BuildTrace& t, const PaperBuild& d, const SequentialCosts& c, const GeneratorOptions& opt)
{
  // The scan stats each source, its object and about one header (assumption: 3 per file).
  int64_t scan_lookups = d.by_hand ? 0 : 3 * d.files;
  t.tool.scan_lookups = scan_lookups;
  t.tool.scan_cpu_s = std::max(0.0, d.scan_s - static_cast<double>(scan_lookups) * c.lookup_s);
  const std::pair<double, double> prices = d.by_hand ? std::pair{0.0, 0.0} : pmake_cpu_prices(c, opt);
  t.tool.job_cpu_s = prices.first;
  t.tool.prereq_cpu_s = prices.second;
  t.tool.job_lookups = d.by_hand ? 0 : PMAKE_JOB_LOOKUPS;
  t.tool.exec_arg_bytes = 1024; // assumption: a compile's argv + environment, about 1 KB
  t.tool.script_bytes = 1024;   // TH90 8.4: a shell command script under 1 KB, flushed before migration
}

// The compile groups, the sequential time when the build is described by command, and each compile's lookups,
// forwarded calls and object size.
BuildPlan plan_build(BuildTrace& t, const PaperBuild& d, const SequentialCosts& c, const GeneratorOptions& opt)
{
  BuildPlan plan;
  // Objects: the link penalty when objects are spread over hosts is the time to fetch them through the server.
  if (d.link_spread_s > d.link_s)
    plan.object_bytes =
        static_cast<int64_t>((d.link_spread_s - d.link_s) * c.fs_bytes_per_s / static_cast<double>(d.files));
  // Compile groups: the published layout, or L - 1 equal groups (libraries) when only the count is known.
  plan.groups = d.groups;
  double assumed = opt.assumed_prereqs >= 0 ? opt.assumed_prereqs : d.prereqs;
  double prereqs = d.prereqs_assumed ? assumed : d.prereqs;
  plan.in_turn = !plan.groups.empty();
  if (plan.groups.empty()) {
    int64_t n = d.link_steps > 1 ? d.link_steps - 1 : 1;
    for (int64_t g = 0; g < n; ++g)
      plan.groups.push_back({d.link_steps > 1 ? fmt::format("lib{}", g + 1) : "",
                             d.files * (g + 1) / n - d.files * g / n, prereqs});
  }
  int64_t grouped = 0;
  for (const auto& g : plan.groups)
    grouped += g.files;
  if (grouped != d.files)
    throw std::invalid_argument(fmt::format("{}: groups hold {} files, not {}", d.name, grouped, d.files));
  plan.libraries = d.link_steps > 1;
  // Lookups: the published rate over the sequential run, less the scan's and the links'; a link opens each object
  // plus a few libraries (assumption: files + 10).
  int64_t link_lookups_total = 0;
  if (plan.libraries)
    for (const auto& g : plan.groups)
      link_lookups_total += g.files + 10;
  if (d.link_steps >= 1) // link_steps 0: independent commands, no link (COMP88's concurrent compiles)
    link_lookups_total += (plan.libraries ? static_cast<int64_t>(plan.groups.size()) : d.files) + 10;
  double link_total_s = plan.libraries ? 2 * d.link_s : d.link_s * static_cast<double>(d.link_steps);
  plan.by_command = d.command_s > 0;
  plan.compile_elapsed = (d.sequential_s - d.scan_s - link_total_s) / static_cast<double>(d.files);
  double total_lookups = d.lookups_per_s * d.sequential_s;
  plan.compile_lookups = static_cast<int64_t>(std::llround(
      plan.by_command ? d.lookups_per_command
                      : (total_lookups - static_cast<double>(t.tool.scan_lookups) -
                         static_cast<double>(link_lookups_total)) /
                            static_cast<double>(d.files)));
  if (plan.by_command) { // the sequential run: the scan, then each file's pmake work and command, then the links
    plan.compile_elapsed = d.command_s;
    double seq = d.scan_s + link_total_s;
    for (const auto& g : d.groups.empty() ? std::vector<CompileGroup>{{"", d.files, d.prereqs}} : d.groups)
      seq += static_cast<double>(g.files) * (d.command_s + pmake_overhead(t, c, std::round(g.prereqs)) - c.invocation_s);
    t.sequential_s = seq;
  }
  // Remote compiles run 3% slower (SPE91 Fig. 3); charged as calls forwarded home.
  plan.forwarded =
      static_cast<int64_t>(std::llround(REMOTE_COMPILE_SLOWDOWN * plan.compile_elapsed / c.small_rpc_s));
  return plan;
}

// A link: its elapsed time in the sequential run less pmake's work for it and its lookups' waits.
void add_link(BuildTrace& t, const SequentialCosts& c, std::string id, std::string output,
              std::vector<std::string> deps, double elapsed, int64_t lookups, int64_t bytes_written)
{
  TraceJob j;
  j.id = std::move(id);
  j.kind = "link";
  j.argv = {"ld", "-o", std::move(output)};
  j.prereqs = static_cast<int64_t>(deps.size());
  j.deps = std::move(deps);
  j.cpu_s = std::max(0.0, elapsed - pmake_overhead(t, c, static_cast<double>(j.prereqs)) -
                              static_cast<double>(lookups) * c.lookup_s);
  j.lookups = lookups;
  j.files_opened = PMAKE_CHILD_OPEN_FILES;
  j.reads_dep_outputs = true;
  j.bytes_written = bytes_written;
  t.jobs.push_back(std::move(j));
}

// Group g's compiles, numbered on from `file`, each after `previous` (the previous group's link) when not empty;
// returns their ids.
std::vector<std::string> add_compiles(BuildTrace& t, const PaperBuild& d, const SequentialCosts& c,
                                      const GeneratorOptions& opt, const BuildPlan& plan, size_t g, int64_t& file,
                                      const std::string& previous)
{
  const CompileGroup& grp = plan.groups[g];
  auto p = static_cast<int64_t>(std::llround(grp.prereqs));
  double lookups_s = static_cast<double>(plan.compile_lookups) * c.lookup_s;
  double compile_cpu = plan.by_command
                           ? d.command_s - c.invocation_s - lookups_s
                           : plan.compile_elapsed - pmake_overhead(t, c, static_cast<double>(p)) - lookups_s;
  if (compile_cpu <= 0)
    throw std::invalid_argument(fmt::format("{}: costs leave no CPU time for the compiles", d.name));
  // Sizes spread within each group with mean exactly 1, so every total matches the published times.
  auto factors = size_factors(static_cast<size_t>(grp.files), opt.size_cv, g == 0 ? opt.seed : opt.seed + g);
  std::vector<std::string> objects;
  for (int64_t i = 0; i < grp.files; ++i, ++file) {
    TraceJob j;
    j.id = fmt::format("cc{:04d}", file + 1);
    j.kind = "compile";
    j.argv = {"cc", "-c", grp.name.empty() ? fmt::format("src{:04d}.c", file + 1)
                                           : fmt::format("{}/src{:04d}.c", grp.name, file + 1)};
    j.cpu_s = compile_cpu * factors[static_cast<size_t>(i)];
    j.lookups = plan.compile_lookups;
    j.files_opened = PMAKE_CHILD_OPEN_FILES;
    j.bytes_written = plan.object_bytes;
    j.forwarded_calls = plan.forwarded;
    j.prereqs = p;
    if (!previous.empty())
      j.deps = {previous};
    objects.push_back(j.id);
    t.jobs.push_back(std::move(j));
  }
  return objects;
}

} // namespace

BuildTrace generate_paper_build(const PaperBuild& d, const SequentialCosts& c, const GeneratorOptions& opt)
{
  if (d.files <= 0 || d.sequential_s <= 0)
    throw std::invalid_argument("paper build needs files and a sequential time");
  BuildTrace t;
  t.name = d.name;
  t.reference_profile = c.reference_profile;
  t.sequential_s = d.sequential_s;
  t.source = fmt::format("generated from {} (seed {}, size_cv {})", d.source, opt.seed, opt.size_cv);
  set_tool_work(t, d, c, opt);
  BuildPlan plan = plan_build(t, d, c, opt);
  std::vector<std::string> finals;
  std::string previous; // the previous group's link, which a group built in turn waits for
  int64_t file = 0;
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    const CompileGroup& grp = plan.groups[g];
    auto objects = add_compiles(t, d, c, opt, plan, g, file, plan.in_turn ? previous : "");
    if (plan.libraries) {
      // A group's link holds its objects: it costs its share of the link time and writes what it read.
      std::string id = plan.in_turn ? grp.name + "/linked.o" : grp.name;
      add_link(t, c, id, plan.in_turn ? id : grp.name + ".a", objects,
               d.link_s * static_cast<double>(grp.files) / static_cast<double>(d.files), grp.files + 10,
               plan.object_bytes * grp.files);
      finals.push_back(id);
      previous = id;
    } else {
      finals.insert(finals.end(), objects.begin(), objects.end());
    }
  }
  if (d.link_steps < 1)
    return t;
  // The final link (assumption: the linked image is a quarter of the objects).
  auto final_lookups = static_cast<int64_t>(finals.size()) + 10;
  add_link(t, c, "link", d.name, std::move(finals), d.link_s, final_lookups, plan.object_bytes * d.files / 4);
  return t;
}

} // namespace spritesim
