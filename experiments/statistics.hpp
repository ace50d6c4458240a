// Summary statistics of the sweep and study tables: mean, sample standard deviation and the 95% confidence
// half-width from a Student t table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace spritesim {

/// The two-sided 95% Student t quantile t(0.975, df), from a table (see sweep.cpp for the source); a df between
/// table rows uses the row below it (a slightly wider, conservative interval). df >= 1.
double t_quantile_975(int64_t df);

/// n, mean, sample standard deviation and 95% confidence half-width t(0.975, n-1) * s / sqrt(n) of some values.
/// stddev and ci95 are absent when n < 2.
struct SummaryStats {
  int64_t n = 0;
  double mean = 0;
  std::optional<double> stddev;
  std::optional<double> ci95;
};
SummaryStats summarize(const std::vector<double>& values);

/// "mean ± ci95" with `decimals` decimals as the reports print it; "mean (n=1)" without an interval, "-" without
/// values.
std::string ci_text(const SummaryStats& s, int decimals = 2);

} // namespace spritesim
