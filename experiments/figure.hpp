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

/// One end of a documented range (docs/cost-model.md "Gaps"): the same points run with these overrides.
struct FigureBand {
  std::string name;
  std::vector<std::string> sets;
};

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
  std::string experiment; ///< embedded or on-disk experiment config
  std::string x;          ///< the x variable, e.g. "hosts"
  std::vector<FigurePoint> points;
  std::string published_source;
  std::map<int, double> published; ///< x -> published speedup (may be empty: a prediction)
  std::string value = "speedup";   ///< what the figure shows: "speedup" (in speedup.csv) or "makespan_s"
  std::vector<FigureBand> bands;
  std::vector<CsvSeries> csv;
  /// Published utilizations to print beside the simulated ones (checks, not inputs): resource -> x -> share.
  std::map<std::string, std::map<int, double>> checks;
  std::string checks_source;
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
  std::map<std::string, std::vector<FigureRow>> bands; ///< band name -> its rows
};

/// Reads each point's results.json under run_dir, and each band's under run_dir/band-NAME; speedup is against
/// the point with x = 1 of the same run set.
FigureResult collect_figure(const Figure& f, const std::string& run_dir);

/// The run directory of a point: run_dir/X<x> for the central run, run_dir/band-NAME/X<x> for a band's.
std::string point_dir(const Figure& f, const std::string& run_dir, int x, const std::string& band = "");

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
