// What the engine can simulate: the bounds every numeric input is checked against at load (docs/configs.md
// "Ranges"), so that a value outside them is refused with its JSON path instead of overflowing or aborting later.
#pragma once

#include <cstdint>

namespace spritesim {

/// Longest simulated time, duration or CPU demand, in seconds (about 31.7 years). SimGrid's clock is a double kept
/// to 1e-9 s: beyond 1e9 s a nanosecond-sized step (an RPC's latency) is lost to rounding, and a CPU demand times
/// the fastest profile's MIPS must stay a finite instruction count.
constexpr double MAX_SIM_SECONDS = 1e9;

/// Largest byte count of any file, transfer or process image (1 PiB): far beyond any trace, and exact in a double.
constexpr int64_t MAX_BYTES = int64_t{1} << 50;

/// Largest count of anything per job (lookups, forwarded calls, open files, pages): lookups and forwarded calls are
/// simulated in batches of 64, so a billion of them is already some ten million engine steps for one job.
constexpr int64_t MAX_COUNT = 1'000'000'000;

/// Most jobs (processes, build sessions) a workload may generate in one run: each costs an actor and its records,
/// so more would exhaust memory before the run ends (the issue "Scale" targets a million).
constexpr double MAX_GENERATED_JOBS = 2e7;

} // namespace spritesim
