// What the policy studies gathered from one study sweep, shared by the tables (studies.cpp) and the report section
// (study_report.cpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/statistics.hpp"

namespace spritesim {

/// One study sweep's runs: policy label -> x value -> seed -> results.json.
struct StudySweep {
  std::string name, x_path, folder; ///< folder: relative to the output folder, as the report's links are
  size_t failed = 0;                ///< runs that failed
  std::vector<std::string> policies, xs; ///< in sweep order
  std::map<std::string, std::map<std::string, std::map<int64_t, nlohmann::json>>> runs;
  double mean_cpu_s = std::nan(""); ///< the experiment's mean lifetime (for the offered load)
  std::map<std::string, std::map<std::string, double>> move_s; ///< policy -> x -> mean active move (s)
};

/// A metric of one run's results.json (migrations_per_job is derived); NaN when absent.
double study_metric(const nlohmann::json& r, const std::string& key);

/// Mean and 95% CI of `key` over the seeds of one cell.
SummaryStats study_cell(const StudySweep& d, const std::string& policy, const std::string& x, const std::string& key);

/// Per seed: 100 * (1 - policy / baseline), over the seeds both finished: the paired cut, in percent.
SummaryStats study_gain(const StudySweep& d, const std::string& policy, const std::string& base, const std::string& x,
                        const std::string& key);

/// The markdown section "## Policy studies" (prose from configs/studies/report.md).
std::string studies_section(const StudySweep& load, const StudySweep& cost, const StudySweep& elz, bool figures);

} // namespace spritesim
