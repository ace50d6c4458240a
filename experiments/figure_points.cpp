// points.csv: one row per predicted figure point, its central value and the band the documented ranges give
// (docs/cost-model.md "Gaps"), beside the published value where the reference gives it (see figure.hpp).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/output_files.hpp"
#include "experiments/figure.hpp"

namespace spritesim {

namespace {

double value_of(const FigureRow& r, const std::string& value) { return value == "speedup" ? r.speedup : r.makespan_s; }

std::string num(double v) { return fixed(v, 4); }

} // namespace

std::string write_points(const std::string& out, const std::vector<FigureResult>& results)
{
  CsvTable points({"figure", "series", "x", "simulated", "low", "high", "published"});
  std::string md = "\n## Predicted points\n\nEvery point of `points.csv`: the central value, and the band from "
                   "running it again at each end of each documented range (docs/cost-model.md \"Gaps\"; one range "
                   "at a time). Published values are given where the reference gives them; the others are held out "
                   "to test the predictions.\n\n| figure | series | x | simulated | band | published | error |\n"
                   "|---|---|---|---|---|---|---|\n";
  for (const auto& fr : results) {
    const Figure& f = *fr.figure;
    for (const auto& cs : f.csv)
      for (size_t i = 0; i < fr.rows.size(); ++i) {
        const FigureRow& row = fr.rows[i];
        if (cs.only_x > 0 && row.x != cs.only_x)
          continue;
        double v = value_of(row, cs.value), lo = v, hi = v;
        for (const auto& [name, rows] : fr.bands) {
          lo = std::min(lo, value_of(rows[i], cs.value));
          hi = std::max(hi, value_of(rows[i], cs.value));
        }
        auto pub = cs.published.find(cs.only_x > 0 ? cs.only_x : row.x);
        bool has_pub = pub != cs.published.end();
        points.add_row({cs.figure, cs.series, std::to_string(row.x), num(v), num(lo), num(hi),
                        has_pub ? num(pub->second) : ""});
        md += fmt::format("| {} | {} | {} | {:.2f} | {:.2f}-{:.2f} | {} | {} |\n", cs.figure, cs.series, row.x, v, lo,
                          hi, has_pub ? fmt::format("{:.2f}", pub->second) : "held out",
                          has_pub ? fmt::format("{:+.1f}%", 100 * (v - pub->second) / pub->second) : "");
      }
  }
  std::vector<std::string> drawn;
  for (const auto& fr : results)
    for (const auto& cs : fr.figure->csv)
      if (std::find(drawn.begin(), drawn.end(), cs.figure) == drawn.end())
        drawn.push_back(cs.figure);
  md += "\n";
  for (const auto& name : drawn) // analysis/plot_points.py draws one figure per points.csv figure
    md += fmt::format("![{}](points-{}.png)\n", name, name);
  write_file_atomic(out + "/points.csv", points.text());
  return md;
}

} // namespace spritesim
