// Synthetic compile DAGs of any size: N compiles spread over M directories, each directory linked into a library,
// then one final link of the libraries. Jobs are produced one at a time through a callback, so a million-job
// trace can stream straight to a JSON Lines file without ever being held in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "workloads/trace.hpp"

namespace spritesim {

/// Shape and per-job costs of a synthetic build. Defaults are assumptions sized like the Sprite kernel build's
/// compiles (docs/trace-format.md, "Synthetic builds"); every one can be set on the command line.
struct SyntheticBuild {
  std::string name = "synthetic";
  int64_t compiles = 1000;             ///< N: compile jobs
  int64_t libraries = 10;              ///< M: directories, each linked into one library (1 <= M <= N)
  double library_size_cv = 0.5;        ///< spread of compiles per library (lognormal weights; 0 = equal)
  double compile_cpu_mean_s = 5.0;     ///< mean CPU per compile (lognormal)
  double compile_cpu_cv = 0.5;         ///< its coefficient of variation (0 = all equal)
  int64_t compile_lookups = 700;       ///< name lookups per compile
  int64_t object_bytes_mean = 20000;   ///< object size of a compile of mean CPU (scales with its CPU)
  double link_cpu_per_object_s = 0.2; ///< CPU of a link per object (or library) it reads
  double scan_cpu_per_file_s = 0.069;  ///< pmake's dependency scan per compile (kernel: 19 s / 276 files)
  std::string reference_profile = "ss1";
};

/// Number of jobs the generator will emit: compiles + libraries + 1.
int64_t synthetic_job_count(const SyntheticBuild& s);

/// The trace header (name, profile, tool costs, source), without jobs. Throws std::invalid_argument on a shape
/// that cannot be built (no compiles, more libraries than compiles, negative costs).
BuildTrace synthetic_build_header(const SyntheticBuild& s, uint64_t seed);

/// Emits every job in a valid order (each library's compiles, then its link; the final link last). Reproducible:
/// mt19937_64 with our own inverse-CDF draws, so the same seed gives the same bytes everywhere.
void generate_synthetic_build(const SyntheticBuild& s, uint64_t seed, const std::function<void(const TraceJob&)>& emit);

} // namespace spritesim
