// ReplayTrace: a BuildTrace reduced to what a replay reads (see replay_trace.hpp).
#include "workloads/replay_trace.hpp"

#include <algorithm>

namespace spritesim {

ReplayTrace::ReplayTrace(BuildTrace trace, const std::string& file)
    : name(std::move(trace.name)), reference_profile(std::move(trace.reference_profile)), tool(trace.tool),
      dag(trace, file)
{
  jobs.reserve(trace.jobs.size());
  for (TraceJob& t : trace.jobs) {
    auto k = std::find(kinds.begin(), kinds.end(), t.kind);
    if (k == kinds.end())
      k = kinds.insert(kinds.end(), t.kind);
    jobs.push_back({std::move(t.id), t.cpu_s, t.lookups, t.files_opened, t.bytes_read, t.bytes_written,
                    t.forwarded_calls, t.dirty_bytes, t.prereqs, static_cast<uint32_t>(k - kinds.begin()),
                    t.reads_dep_outputs});
    t = TraceJob(); // its strings and dependency ids freed as the copy grows
  }
}

} // namespace spritesim
