// Generators for the pmake benchmarks of SPE91 Table 3 / TH90 Table 7.4, built from their published descriptions
// (files compiled, link steps, lines per file, server lookups per second, sequential time) and the kernel build's
// anatomy (TH90 7.4.2). The generator turns elapsed times into CPU seconds by subtracting the waits the sequential
// run would have had, using unloaded costs the caller computes from models/ (workloads/ does not depend on models/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "workloads/trace.hpp"

namespace spritesim {

/// Sources compiled in one directory by one sub-pmake and linked into one object (Sprite's bigcmd.mk: each
/// subdirectory's objects become linked.o; bigcmdtop.mk makes the subdirectories one after another).
struct CompileGroup {
  std::string name;
  int64_t files = 0;
  double prereqs = 0; ///< mean prerequisites per compile target (source + headers)
};

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
  double prereqs = 0;         ///< mean prerequisites per compile target (used when `groups` is empty)
  bool prereqs_assumed = false; ///< no dependency list of this build survives: `prereqs` is an assumption
  /// With link_steps > 1: the compiles by directory, built in turn, each group linked on its own, then a final
  /// link of the groups' outputs. Empty: link_steps - 1 equal groups (the build's layout is not published).
  std::vector<CompileGroup> groups;
  /// Described builds: one command's elapsed time run by hand (no make) and its lookups. When > 0 they give the
  /// compiles, and the sequential time is derived (scan + each file's pmake work and command + links).
  double command_s = 0;
  double lookups_per_command = 0;
  bool by_hand = false; ///< the commands were started by hand, not by pmake: no scan, no per-job pmake work
};

/// Unloaded costs on the reference machine, from models/ (see tools/ and sim/ for the one place they are made).
struct SequentialCosts {
  double lookup_s = 0;        ///< one name lookup, client to server and back
  double invocation_s = 0;    ///< local fork + exec + exit + wait
  double small_rpc_s = 0;     ///< one null RPC (a call forwarded home)
  double fs_bytes_per_s = 0;  ///< FS RPC bandwidth (client <-> server)
  std::string reference_profile;
  /// The kernel build's machine (SS1 + Sun-4/280), where pmake's CPU prices are derived: its lookup, and how many
  /// reference-profile CPU seconds one of its CPU seconds is (its MIPS over the reference's).
  double kernel_lookup_s = 0;  ///< 0: lookup_s (the reference is the kernel's machine)
  double cpu_scale = 1;
};

/// Knobs of the generator that the papers do not give; each default is an assumption stated in the docs.
struct GeneratorOptions {
  uint64_t seed = 1;
  double size_cv = 0.5; ///< coefficient of variation of per-file compile work (lognormal); 0 = all equal
  /// Share of pmake's per-job CPU on the kernel build that grows with a target's prerequisites; the rest is the
  /// same for every job. < 0: the central value, the kernel scan's cost per prerequisite (docs/cost-model.md).
  double prereq_share = -1;
  /// How busy pmake's host was while launching the 12-host kernel build's jobs (TH90 7.4.2: "near 100%").
  double launch_busy = 1.0;
  /// Prerequisites per compile for builds whose dependency lists do not survive (< 0: the kernel's mean).
  double assumed_prereqs = -1;
  /// How pmake's per-job work, priced on the kernel's SS1, carries to another reference machine: its seconds
  /// times (SS1 MIPS / reference MIPS)^cpu_scaling. 1: it is CPU work; 0: it takes as long on any machine.
  double cpu_scaling = 1;
};

/// Prerequisites per compile target in Sprite's kernel (SRC: the dependencies.mk of the kernel modules kept in
/// the repository, 158 targets in 10 modules; mean 25.4, range 1-47).
constexpr double KERNEL_PREREQS = 25.4;
/// File-server operations pmake makes per job on its own host (SRC src/cmds/pmake/src): Make_OODate's
/// Dir_MTime stats the target (make.c); JobStart creates the command script and unlinks it (job.c).
constexpr int64_t PMAKE_JOB_LOOKUPS = 3;
/// The 12-host kernel build (SPE91 Table 3), whose compile phase TH90 7.4.2 says pmake's host was busy launching.
constexpr double KERNEL_12_HOST_S = 453;
/// pmake-host time per remote job that the model prices apart from pmake's own CPU: the confirm, its fork and
/// wait halves, the home side of exec-time migration and of forwarded calls (models/, about 0.15 s on an SS1).
constexpr double PMAKE_MECHANISM_HOME_S = 0.15;

/// pmake's CPU on its host per job of the kernel build: the 12-host compile phase (453 - 19 s scan - 67 s link)
/// over its 277 jobs at `launch_busy`, less the mechanism steps priced apart.
double pmake_kernel_job_cpu_s(double launch_busy);

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

/// pmake's per-job and per-prerequisite CPU (trace tool fields job_cpu_s and prereq_cpu_s) for `opt`, priced
/// from the kernel build (docs/cost-model.md "pmake's own work").
std::pair<double, double> pmake_cpu_prices(const SequentialCosts& c, const GeneratorOptions& opt);
/// Open files of a typical pmake child: stdin, stdout, stderr and the command script (TH90 8.4).
constexpr int64_t PMAKE_CHILD_OPEN_FILES = 4;
/// Remote slowdown of a compile (SPE91 Fig. 3 / TH90 Fig. 7.1, the pmake benchmark): 3%.
constexpr double REMOTE_COMPILE_SLOWDOWN = 0.03;

} // namespace spritesim
