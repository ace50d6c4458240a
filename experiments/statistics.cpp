// Summary statistics of the sweep and study tables (see statistics.hpp).
#include "experiments/statistics.hpp"

#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace spritesim {

// Two-sided 95% quantiles of Student's t distribution, t(0.975, df), to 3 decimals: the standard table printed in
// the NIST/SEMATECH e-Handbook of Statistical Methods, section 1.3.6.7.2 ("Critical values of the Student's t
// distribution"); checked against scipy.stats.t.ppf(0.975, df) rounded to 3 decimals.
double t_quantile_975(int64_t df)
{
  static const std::vector<std::pair<int64_t, double>> table = {
      {1, 12.706}, {2, 4.303},  {3, 3.182},  {4, 2.776},   {5, 2.571},   {6, 2.447},   {7, 2.365},   {8, 2.306},
      {9, 2.262},  {10, 2.228}, {11, 2.201}, {12, 2.179},  {13, 2.160},  {14, 2.145},  {15, 2.131},  {16, 2.120},
      {17, 2.110}, {18, 2.101}, {19, 2.093}, {20, 2.086},  {21, 2.080},  {22, 2.074},  {23, 2.069},  {24, 2.064},
      {25, 2.060}, {26, 2.056}, {27, 2.052}, {28, 2.048},  {29, 2.045},  {30, 2.042},  {40, 2.021},  {50, 2.009},
      {60, 2.000}, {80, 1.990}, {100, 1.984}, {120, 1.980}, {200, 1.972}, {500, 1.965}, {1000, 1.962}};
  if (df < 1)
    throw std::invalid_argument("t_quantile_975: df must be >= 1");
  double t = table.front().second;
  for (const auto& [d, q] : table)
    if (d <= df)
      t = q;
  return t;
}

SummaryStats summarize(const std::vector<double>& values)
{
  SummaryStats s;
  s.n = static_cast<int64_t>(values.size());
  if (s.n == 0)
    return s;
  double sum = 0;
  for (double v : values)
    sum += v;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n < 2)
    return s;
  double ss = 0;
  for (double v : values)
    ss += (v - s.mean) * (v - s.mean);
  s.stddev = std::sqrt(ss / static_cast<double>(s.n - 1));
  s.ci95 = t_quantile_975(s.n - 1) * *s.stddev / std::sqrt(static_cast<double>(s.n));
  return s;
}

std::string ci_text(const SummaryStats& s, int decimals)
{
  if (s.n == 0)
    return "-";
  if (!s.ci95)
    return fmt::format("{:.{}f} (n={})", s.mean, decimals, s.n);
  return fmt::format("{:.{}f} ± {:.{}f}", s.mean, decimals, *s.ci95, decimals);
}

} // namespace spritesim
