// sweep.csv and sweep-summary.csv from the runs' results.json files (see sweep_tables.hpp, docs/sweeps.md).
#include "experiments/sweep_tables.hpp"

#include <fmt/format.h>

#include "core/output_files.hpp"
#include "experiments/statistics.hpp"

namespace spritesim {

namespace {

std::string metric_text(const nlohmann::json& v)
{
  if (v.is_number_integer() || v.is_number_unsigned())
    return v.dump();
  if (v.is_number())
    return fixed(v.get<double>());
  if (v.is_boolean())
    return v.get<bool>() ? "1" : "0";
  if (v.is_string())
    return v.get<std::string>();
  return v.dump();
}

} // namespace

std::string sweep_csv(const SweepSpec& spec, const SweepMatrix& matrix,
                      const std::vector<std::optional<nlohmann::json>>& results)
{
  std::vector<std::string> header = {"run", "cell"};
  for (const auto& a : spec.axes)
    header.push_back(a.name);
  header.push_back("seed");
  header.insert(header.end(), spec.metrics.begin(), spec.metrics.end());
  CsvTable t(header);
  for (const auto& run : matrix.runs) {
    if (!results.at(run.index))
      continue;
    const SweepCell& cell = matrix.cells[run.cell];
    std::vector<std::string> row = {std::to_string(run.index), cell.name};
    for (const auto& v : cell.values)
      row.push_back(sweep_value_text(v));
    row.push_back(std::to_string(run.seed));
    for (const auto& m : spec.metrics) {
      auto v = sweep_metric(*results[run.index], m);
      row.push_back(v ? metric_text(*v) : "");
    }
    t.add_row(row);
  }
  return t.text();
}

std::string sweep_summary_csv(const SweepSpec& spec, const SweepMatrix& matrix,
                              const std::vector<std::optional<nlohmann::json>>& results)
{
  std::vector<std::string> header = {"cell"};
  for (const auto& a : spec.axes)
    header.push_back(a.name);
  for (const char* c : {"metric", "n", "mean", "stddev", "ci95_half_width"})
    header.push_back(c);
  CsvTable t(header);
  for (const auto& cell : matrix.cells)
    for (const auto& m : spec.metrics) {
      std::vector<double> values; // in matrix (seed) order, so the sums are the same bytes however runs were made
      for (const auto& run : matrix.runs)
        if (run.cell == cell.index && results.at(run.index))
          if (auto v = sweep_metric(*results[run.index], m); v && v->is_number())
            values.push_back(v->get<double>());
      SummaryStats s = summarize(values);
      std::vector<std::string> row = {cell.name};
      for (const auto& v : cell.values)
        row.push_back(sweep_value_text(v));
      row.push_back(m);
      row.push_back(std::to_string(s.n));
      row.push_back(s.n ? fixed(s.mean) : "");
      row.push_back(s.stddev ? fixed(*s.stddev) : "");
      row.push_back(s.ci95 ? fixed(*s.ci95) : "");
      t.add_row(row);
    }
  return t.text();
}

} // namespace spritesim
