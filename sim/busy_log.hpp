// Busy seconds per host and hour of simulated time, by whose work they were (utilization.csv, docs/outputs.md): what
// hosts.csv's busy_s totals, spread over time so that a month-long run can show utilization hour by hour.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/results.hpp"

namespace spritesim {

enum class BusyKind { OWNER, FOREIGN, HOME, SYSTEM };

class BusyLog {
public:
  BusyLog() = default;
  explicit BusyLog(size_t hosts) : bins_(hosts) {}
  /// `seconds` of CPU on `host` done between from_s and to_s, spread evenly over that time (all in from_s's
  /// interval when to_s <= from_s).
  void add(int host, BusyKind kind, double seconds, double from_s, double to_s);
  /// One record per host (in `names` order) and interval, from 0 to the later of end_s and the last busy interval.
  std::vector<UtilizationRecord> records(const std::vector<std::string>& names, double end_s) const;

private:
  std::vector<std::vector<std::array<double, 4>>> bins_; ///< per host, per interval, per BusyKind
};

} // namespace spritesim
