// The "day in the life" section of the reproduction report: a month of a Sprite-like cluster (owners, pmake users,
// long simulations) set beside what TH90 Tables 8.1, 8.2, 8.5 and 8.6 report.
#pragma once

#include <string>

namespace spritesim {

/// The embedded config of the month-long run.
constexpr const char* DAY_IN_THE_LIFE_CONFIG = "configs/experiments/day-in-the-life.json";

/// Markdown for a finished run in `run_dir` (results.json, evictions.csv); `rel_dir` is how the report links it.
std::string day_in_the_life_section(const std::string& run_dir, const std::string& rel_dir);

} // namespace spritesim
