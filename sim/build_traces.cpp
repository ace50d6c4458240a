// The build a simulation replays: built-in paper builds and described builds generated with the unloaded costs
// of the machines their times were measured on, trace files, and the build sessions of a mixed workload (see
// simulation.hpp).
#include <algorithm>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/random.hpp"
#include "sim/simulation.hpp"
#include "workloads/build_options.hpp"
#include "workloads/paper_builds.hpp"

namespace spritesim {

BuildTrace resolve_trace(const ExperimentSpec& spec)
{
  const std::string& t = spec.workload.trace;
  if (t.rfind("builtin:", 0) != 0) {
    if (!spec.workload.generator.empty())
      throw InputError(spec.file, "$.workload.generator", "generator options apply to builtin: traces only");
    return referenced(spec, "$.workload.trace", [&] { return load_trace_file(t); });
  }
  std::string name = t.substr(8);
  std::optional<DescribedBuild> described;
  GeneratorOptions opt =
      parse_generator_options(spec.workload.generator, spec.file, "$.workload.generator", &described);
  opt.seed = spec.seed;
  if (name == "described") {
    if (!described)
      throw InputError(spec.file, "$.workload.generator",
                       "builtin:described needs generator.build: files, command_s, scan_s, link_s, ...");
    SequentialCosts costs = reference_costs(described->reference_profile, described->server_profile);
    if (described->reference_profile == spec.platform.profile &&
        described->server_profile == spec.platform.file_server_profile) {
      // The build was measured on the simulated machines: their cost overrides (a band's) hold for it too, so a
      // command still takes its published time alone.
      CostModel here = make_cost_model(spec);
      auto [sc, mips] = sequential_costs(CostModel(here.workstation(), here.file_server(), Network{}));
      sc.kernel_lookup_s = costs.kernel_lookup_s;
      sc.cpu_scale = costs.cpu_scale;
      costs = sc;
    }
    return generate_paper_build(described->build, costs, opt);
  }
  if (described)
    throw InputError(spec.file, "$.workload.generator.build", "only builtin:described reads a build description");
  auto desc = paper_build(name);
  if (!desc)
    throw InputError(spec.file, "$.workload.trace",
                     fmt::format("unknown built-in trace \"{}\" (known: {}, described)", name,
                                 fmt::join(paper_build_names(), ", ")));
  return generate_paper_build(*desc, reference_costs(), opt);
}

BuildTrace session_trace(const BuildSession& s, uint64_t seed)
{
  // As many jobs as hosts asked for (workloads/build_sessions.hpp): one compile for a single host, else
  // request - 1 compiles and their link; the kernel build scaled to that many files.
  PaperBuild k = *paper_build("kernel");
  int64_t files = std::max<int64_t>(1, s.request - 1);
  double share = static_cast<double>(files) / static_cast<double>(k.files);
  PaperBuild d = k;
  d.name = fmt::format("session{}", s.id);
  d.files = files;
  d.sequential_s = k.sequential_s * share;
  d.scan_s = k.scan_s * share;
  d.link_s = k.link_s * share;
  d.link_spread_s = k.link_spread_s * share;
  d.source = "the kernel build scaled to " + std::to_string(files) + " files (workloads/build_sessions.hpp)";
  GeneratorOptions opt;
  opt.seed = mix_seed(seed ^ mix_seed(static_cast<uint64_t>(s.id)));
  BuildTrace t = generate_paper_build(d, reference_costs(), opt);
  if (s.request == 1)
    t.jobs.erase(std::remove_if(t.jobs.begin(), t.jobs.end(), [](const TraceJob& j) { return j.kind == "link"; }),
                 t.jobs.end());
  return t;
}

} // namespace spritesim
