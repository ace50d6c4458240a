// A run as a Chrome/Perfetto trace-event file (`spritesim run --timeline FILE`): one process row per host, jobs as
// complete events where they ran, migrations and evictions on their source host. ui.perfetto.dev and
// chrome://tracing open it as is. Format described in docs/sweeps.md ("Outputs").
#pragma once

#include <string>

#include "core/results.hpp"

namespace spritesim {

/// The trace-event document: {"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}, times in
/// microseconds. Overlapping intervals on one host go to separate threads ("lanes") so every row nests properly.
/// Deterministic: the same RunResult gives the same bytes.
std::string timeline_text(const RunResult& r);

/// Writes timeline_text(r) to path atomically (creating its folder).
void write_timeline(const std::string& path, const RunResult& r);

} // namespace spritesim
