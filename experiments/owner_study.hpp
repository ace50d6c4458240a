// The owner study (issue 17; docs/owners.md, "The owner study"): the paper's builds on workstations whose owners come
// and go, under Sprite's migrate-home eviction, Condor's suspend-then-vacate, kill-and-restart at home and never
// evicting, at three times of the week and from the shipped (synthetic) owner trace. The sweeps are embedded
// (configs/owners/); `spritesim reproduce` appends the section this returns to its report.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/owner_frontier.hpp"
#include "experiments/statistics.hpp"

namespace spritesim {

class JobPool;

/// One cell of the family: a build at a time of week under a policy setting, its runs by seed.
struct OwnerCell {
  std::string build, when, setting, policy; ///< policy: the colour family (sprite, condor, remote-exec, never-evict)
  std::map<int64_t, nlohmann::json> runs;   ///< seed -> results.json
  std::map<int64_t, std::string> run_dirs;  ///< seed -> run folder
};

/// What the family's sweeps gave.
struct OwnerStudy {
  std::vector<OwnerCell> cells; ///< in sweep order
  size_t runs = 0, failed = 0;  ///< runs made; runs without a results.json (a failed run)
  std::vector<std::string> incomplete; ///< "cell seed N" of finished runs with jobs_completed != jobs_total
  int64_t seeds = 0;
  std::optional<double> no_owners_speedup; ///< kernel-12 without owners (the reproduction's kernel-speedup runs)
};

/// The build and time of week of the trade-off plane (every setting runs there).
inline constexpr const char* PLANE_BUILD = "kernel-12";
inline constexpr const char* PLANE_WHEN = "wed-10";

/// Mean and 95% CI of a results.json key over a cell's seeds (runs without the key are left out).
SummaryStats owner_cell_stat(const OwnerCell& c, const std::string& key);

/// The cell of a build, time and setting, or nullptr.
const OwnerCell* owner_cell(const OwnerStudy& s, const std::string& build, const std::string& when,
                            const std::string& setting);

/// The trade-off plane: one point per setting of PLANE_BUILD at PLANE_WHEN (intrusion per owner return against
/// speedup), frontier marked.
std::vector<FrontierPoint> owner_plane(const OwnerStudy& s);

/// Runs the sweeps of configs/owners/ (through `pool`) into OUT_DIR/owners/NAME/, writes OUT_DIR/owners/
/// owners-cells.csv, owners-frontier.csv, owners-returns.csv, owners-evictions.csv and owners-published.csv (docs/owners.md),
/// draws the figures with the embedded analysis/plot_owners.py, and returns the markdown section "## Owners and
/// eviction policies". Failed runs and runs that lost jobs are reported in the section and added to `failed_runs`
/// (the caller fails once its report is written); when the pool is stopped, returns "".
/// With SPRITESIM_REPRODUCE_QUICK=1 every sweep runs seeds 1-2 only, into OUT_DIR/owners/quick-NAME/.
std::string run_owner_study(const std::string& out_dir, JobPool& pool, size_t& failed_runs);

/// A published figure the study is set beside (SPE91 p.23; TH90 8.3, Table 8.2; the kernel's speedup from its
/// embedded figure).
struct OwnerPublished {
  std::string quantity; ///< speedup_no_owners_kernel_12, evictions_per_host_hour, time_to_free_host_s
  double low = 0, high = 0;
  std::string source;
};
std::vector<OwnerPublished> owner_published();

/// The markdown section from the study and the tables' folder (owner_report.cpp).
std::string owner_section(const OwnerStudy& study, bool figures, double cpu_s);

} // namespace spritesim
