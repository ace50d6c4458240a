// Busy seconds per host and interval (see busy_log.hpp).
#include "sim/busy_log.hpp"

#include <algorithm>
#include <cmath>

namespace spritesim {

void BusyLog::add(int host, BusyKind kind, double seconds, double from_s, double to_s)
{
  auto& bins = bins_[static_cast<size_t>(host)];
  auto slot = static_cast<size_t>(kind);
  auto bin_of = [](double t) { return static_cast<size_t>(std::max(0.0, std::floor(t / UTILIZATION_INTERVAL_S))); };
  size_t first = bin_of(from_s);
  size_t last = to_s > from_s ? bin_of(to_s) : first;
  if (bins.size() <= last)
    bins.resize(last + 1, {0, 0, 0, 0});
  if (last == first) {
    bins[first][slot] += seconds;
    return;
  }
  // Evenly over [from_s, to_s): each interval gets its share of the wall-clock time.
  double rate = seconds / (to_s - from_s);
  for (size_t b = first; b <= last; ++b) {
    double a = std::max(from_s, static_cast<double>(b) * UTILIZATION_INTERVAL_S);
    double z = std::min(to_s, static_cast<double>(b + 1) * UTILIZATION_INTERVAL_S);
    if (z > a)
      bins[b][slot] += rate * (z - a);
  }
}

std::vector<UtilizationRecord> BusyLog::records(const std::vector<std::string>& names, double end_s) const
{
  size_t intervals = end_s > 0 ? static_cast<size_t>(std::ceil(end_s / UTILIZATION_INTERVAL_S)) : 1;
  for (const auto& bins : bins_)
    intervals = std::max(intervals, bins.size());
  std::vector<UtilizationRecord> out;
  out.reserve(names.size() * intervals);
  for (size_t h = 0; h < names.size() && h < bins_.size(); ++h)
    for (size_t b = 0; b < intervals; ++b) {
      std::array<double, 4> v = b < bins_[h].size() ? bins_[h][b] : std::array<double, 4>{0, 0, 0, 0};
      out.push_back({names[h], static_cast<double>(b) * UTILIZATION_INTERVAL_S, v[0] + v[1] + v[2] + v[3], v[0],
                     v[1], v[2], v[3]});
    }
  return out;
}

} // namespace spritesim
