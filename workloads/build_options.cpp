// Parsing `workload.generator` (see build_options.hpp).
#include "workloads/build_options.hpp"

#include <algorithm>

#include "core/json_reader.hpp"

namespace spritesim {

namespace {

// A build described by counts and times. Each compile's elapsed time on the reference machine, its lookups and
// prerequisites; the scan and the link as measured; the sequential time is their sum.
DescribedBuild parse_described(const JsonReader& r)
{
  DescribedBuild d;
  PaperBuild& b = d.build;
  b.name = r.string("name", "described");
  b.files = r.required_integer("files", 1, 100000);
  b.link_steps = r.integer("link_steps", 1, 0, 1000);
  b.scan_s = r.number("scan_s", 0, 0, 1e6);
  b.link_s = r.number("link_s", 0, 0, 1e6);
  // Objects fetched through the server when spread over hosts: by default the kernel's penalty, 67 / 56 (TH90 7.4.2).
  b.link_spread_s = r.number("link_spread_s", b.link_s * 67.0 / 56.0, b.link_s, 1e6);
  double compile_s = r.required_number("command_s", 0, 1e6);
  double lookups = r.number("lookups_per_command", 0, 0, 1e7);
  b.prereqs = r.number("prereqs", KERNEL_PREREQS, 0, 1e5);
  b.avg_lines = 0;
  d.reference_profile = r.string("reference_profile", "ss1");
  d.server_profile = r.string("server_profile", "sun4-280");
  b.by_hand = !r.boolean("make", true);
  b.source = r.string("source", "a build described by counts and times (workload.generator.build)");
  r.finish();
  d.independent = b.link_steps == 0;
  b.command_s = compile_s;
  b.lookups_per_command = lookups;
  b.sequential_s = compile_s; // a placeholder the generator replaces (it must be > 0)
  return d;
}

} // namespace

GeneratorOptions parse_generator_options(const nlohmann::json& j, const std::string& file, const std::string& path,
                                         std::optional<DescribedBuild>* described)
{
  GeneratorOptions o;
  JsonReader r(j, file, path);
  o.size_cv = r.number("size_cv", o.size_cv, 0, 100);
  o.prereq_share = r.number("prereq_share", o.prereq_share, -1, 1);
  o.launch_busy = r.number("launch_busy", o.launch_busy, 0.2, 1);
  o.assumed_prereqs = r.number("assumed_prereqs", o.assumed_prereqs, -1, 1e5);
  o.cpu_scaling = r.number("cpu_scaling", o.cpu_scaling, 0, 1);
  if (auto b = r.optional_member("build")) {
    if (!described)
      b->fail("only builtin:described reads a build description");
    *described = parse_described(*b);
  }
  r.finish();
  return o;
}

} // namespace spritesim
