// A build trace as a simulation replays it: the fields pmake's model reads, the DAG, nothing informational. A
// million-job trace takes about 170 B a job here against about 370 B as a BuildTrace (command lines, working
// directories, profiles and dependency ids dropped once the DAG is built).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workloads/build_dag.hpp"
#include "workloads/trace.hpp"

namespace spritesim {

/// One command of a replayed build: TraceJob's fields the simulation reads (see TraceJob for their meaning).
struct ReplayJob {
  std::string id;
  double cpu_s = 0;
  int64_t lookups = 0;
  int64_t files_opened = 0;
  int64_t bytes_read = 0;
  int64_t bytes_written = 0;
  int64_t forwarded_calls = 0;
  int64_t dirty_bytes = 0;
  int64_t prereqs = 0;
  uint32_t kind = 0; ///< index into ReplayTrace::kinds
  bool reads_dep_outputs = false;
};

/// A trace's header, its jobs as ReplayJobs and its DAG; the BuildTrace it came from is consumed.
struct ReplayTrace {
  /// Builds the DAG (errors as BuildDag's, blamed on `file`), then keeps only what a replay reads.
  ReplayTrace(BuildTrace trace, const std::string& file);

  const std::string& kind(const ReplayJob& job) const { return kinds[job.kind]; }

  std::string name;
  std::string reference_profile;
  TraceTool tool;
  std::vector<std::string> kinds; ///< each distinct kind once
  std::vector<ReplayJob> jobs;
  BuildDag dag;
};

} // namespace spritesim
