// Generators for the pmake benchmarks of SPE91 Table 3 / TH90 Table 7.4, built from their published descriptions
// (files compiled, link steps, lines per file, server lookups per second, sequential time) and the kernel build's
// anatomy (TH90 7.4.2). The generator turns elapsed times into CPU seconds by subtracting the waits the sequential
// run would have had, using unloaded costs the caller computes from models/ (workloads/ does not depend on models/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "workloads/trace.hpp"

namespace spritesim {

/// A benchmark as the papers describe it. Every field names its source in paper_builds.cpp.
struct PaperBuild {
  std::string name;
  int64_t files = 0;          ///< files compiled
  int64_t link_steps = 1;
  double avg_lines = 0;       ///< lines per file (TH90 Table 7.4), informational
  double lookups_per_s = 0;   ///< server name lookups per second in the sequential run
  double sequential_s = 0;    ///< sequential build time on one SS1
  double scan_s = 0;          ///< pmake start-up (dependency scan), sequential
  double link_s = 0;          ///< final link (reads every object) with every object in one cache
  double link_spread_s = 0;   ///< the same link with objects compiled on many hosts (0 = unknown)
  std::string source;
};

/// Unloaded costs on the reference machine, from models/ (see tools/ and sim/ for the one place they are made).
struct SequentialCosts {
  double lookup_s = 0;        ///< one name lookup, client to server and back
  double invocation_s = 0;    ///< local fork + exec + exit + wait
  double small_rpc_s = 0;     ///< one null RPC (a call forwarded home)
  double fs_bytes_per_s = 0;  ///< FS RPC bandwidth (client <-> server)
  std::string reference_profile;
};

/// Knobs of the generator that the papers do not give; each default is an assumption stated in the docs.
struct GeneratorOptions {
  uint64_t seed = 1;
  double size_cv = 0.5; ///< coefficient of variation of per-file compile work (lognormal); 0 = all equal
};

/// The built-in paper benchmarks by name: "kernel", "gremlin", "tex", "pmake" (SPE91 Table 3 / TH90 Table 7.4).
/// Only the kernel's scan and link times are published; the others' are derived from the kernel's per file and
/// per compiled line (derive_paper_build), so no workload carries a constant of its own.
std::optional<PaperBuild> paper_build(const std::string& name);
std::vector<std::string> paper_build_names();

/// A benchmark from its Table 3 / Table 7.4 description alone: the dependency scan costs the kernel's 19 s / 276
/// files per file (it stats every source, header and object, TH90 7.4.2); the final link reads every object, and
/// objects grow with source lines, so the link (56 s from one cache, 67 s spread) scales with files x lines over
/// the kernel's 276 x 550. Documented in docs/trace-format.md ("Paper workloads").
PaperBuild derive_paper_build(const std::string& name, int64_t files, int64_t link_steps, double avg_lines,
                              double lookups_per_s, double sequential_s, const std::string& source);

/// Generates the trace of a paper benchmark. One link step links every compile. With L > 1 link steps the compiles
/// are split into L - 1 equal groups, each linked on its own (a library: it reads its group's objects), and a final
/// link reads the L - 1 results (as many bytes as all the objects, so it costs link_s).
BuildTrace generate_paper_build(const PaperBuild& desc, const SequentialCosts& costs, const GeneratorOptions& opt);

/// pmake's own CPU per job on its host (TH90 7.4.2; derivation in docs/cost-model.md).
constexpr double PMAKE_JOB_CPU_S = 1.1;
/// Open files of a typical pmake child: stdin, stdout, stderr and the command script (TH90 8.4).
constexpr int64_t PMAKE_CHILD_OPEN_FILES = 4;
/// Remote slowdown of a compile (SPE91 Fig. 3 / TH90 Fig. 7.1, the pmake benchmark): 3%.
constexpr double REMOTE_COMPILE_SLOWDOWN = 0.03;

} // namespace spritesim
