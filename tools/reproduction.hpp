// Reproduction figures: a figure file names an experiment, the points to run (each a set of --set overrides at one
// x value, e.g. hosts), and the published values; results are gathered into speedup.csv and report.md.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace spritesim {

struct FigurePoint {
  int x = 0;
  std::vector<std::string> sets; ///< "json.path=value" overrides
};

struct Figure {
  std::string name;
  std::string title;
  std::string experiment; ///< embedded or on-disk experiment config
  std::string x;          ///< the x variable, e.g. "hosts"
  std::vector<FigurePoint> points;
  std::string published_source;
  std::map<int, double> published; ///< x -> published speedup (may be empty: a prediction)
};

Figure parse_figure(const nlohmann::json& doc, const std::string& file);

struct FigureRow {
  int x = 0;
  double makespan_s = 0;
  double speedup = 0;
  nlohmann::json utilization;
  std::string workload;
};

struct FigureResult {
  const Figure* figure = nullptr;
  std::vector<FigureRow> rows;
};

/// Reads each point's results.json under run_dir; speedup is against the point with x = 1.
FigureResult collect_figure(const Figure& f, const std::string& run_dir);

/// Writes speedup.csv, published.csv, report.md and the figures (via the embedded analysis script).
/// `sections`: more markdown appended to report.md (the month-long run, the policy studies).
void write_reproduction(const std::string& out, const std::vector<FigureResult>& results,
                        const std::string& sections = "");

} // namespace spritesim
