// Reproduction figures: a figure file is a sweep file (experiment, a zip axis of x values such as hosts, a second
// zip axis of bands, one seed) plus the figure's own keys (title, x, published values, points.csv series, checks);
// its runs are the sweep's, and the results are gathered into speedup.csv, points.csv and report.md.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/sweep_spec.hpp"

namespace spritesim {

/// Rows of points.csv a figure feeds: `value` ("speedup" or "makespan_s") of each point (or only x = `only_x`)
/// as series `series` of figure `figure`; published values by x (empty where held out).
struct CsvSeries {
  std::string figure;
  std::string series;
  std::string value = "speedup";
  int only_x = 0;
  std::map<int, double> published;
};

struct Figure {
  std::string name;
  std::string title;
  SweepSpec sweep; ///< the runs: the file without the figure's keys, parsed as a sweep file
  std::string x;   ///< the axis of the x values, e.g. "hosts" (its values are integers)
  /// The axis of the documented ranges (docs/cost-model.md "Gaps"), "" when none: its first value is the central
  /// run and sets nothing, each other value one end of one range.
  std::string bands;
  std::vector<int> xs; ///< the x values, in axis order
  std::string published_source;
  std::map<int, double> published; ///< x -> published speedup (may be empty: a prediction)
  std::string value = "speedup";   ///< what the figure shows: "speedup" (in speedup.csv) or "makespan_s"
  std::vector<CsvSeries> csv;
  /// Published utilizations to print beside the simulated ones (checks, not inputs): resource -> x -> share.
  std::map<std::string, std::map<int, double>> checks;
  std::string checks_source;
};

/// Parses a figure file: its figure keys here, the rest with parse_sweep (same strictness and messages). The sweep's
/// axes are `x` and `bands` only, with one seed.
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
  std::map<std::string, std::vector<FigureRow>> bands; ///< band label -> its rows (the central run's are `rows`)
};

/// Reads each run's results.json from the figure's sweep folder `sweep_dir` (DIR/runs/CELL/seed-S, as
/// sweep_matrix names them); speedup is against the point with x = 1 of the same band.
FigureResult collect_figure(const Figure& f, const std::string& sweep_dir);

/// points.csv (`figure,series,x,simulated,low,high,published`) and the report's predicted-points section.
std::string write_points(const std::string& out, const std::vector<FigureResult>& results);

/// Writes speedup.csv, published.csv, report.md and the figures (via the embedded analysis script).
/// `sections`: more markdown appended to report.md (the month-long run, the policy studies).
void write_reproduction(const std::string& out, const std::vector<FigureResult>& results,
                        const std::string& sections = "");

/// Runs an embedded analysis script (analysis/NAME.py) with Debian's python3 on `dir`, output into `log`; false
/// when it cannot run or fails.
bool run_embedded_script(const std::string& name, const std::string& dir, const std::string& log,
                         bool append_log = false);

} // namespace spritesim
