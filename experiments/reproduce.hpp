// `spritesim reproduce`: every paper figure of configs/reproduction/ (embedded in the binary; each a sweep, its runs
// made as `spritesim sweep` makes them), the month-long run and the policy studies, all through one job pool; then
// speedup.csv, points.csv, report.md and the figures.
#pragma once

#include <string>

namespace spritesim {

/// Runs it all into `out`, `jobs` runs at a time. Returns the exit status (128 + signal when stopped; finished
/// runs are kept). Failed runs are thrown as a runtime_error naming how many.
int reproduce(const std::string& out, int jobs);

} // namespace spritesim
