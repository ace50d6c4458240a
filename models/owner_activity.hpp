// Workstation owners who come and go: a stochastic model of console activity calibrated on Sprite's availability
// measurements (SPE91 p.23, Table 5; TH90 8.2, 8.5, Table 8.5), owner traces read from CSV, and the statistics both
// are checked against.
// docs/owners.md gives every parameter's source and the trace format.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/idle_rule.hpp"

namespace spritesim {

/// Seconds in a week; simulated time maps to a time of week through OwnerModel::start_of_week_s.
constexpr double WEEK_S = 7 * 86400.0;

/// One active period: the owner is at the console from start_s to end_s and types throughout, so the last input is
/// at end_s and the host meets the input part of the idle rule input_threshold_s later.
struct OwnerPeriod {
  double start_s = 0;
  double end_s = 0;
  double cpu_share = 0; ///< share of one CPU the owner's own processes use meanwhile
};

/// Stochastic owner behaviour; every default names its source in docs/owners.md. Idle periods (last input to next
/// input) are input_threshold_s plus a two-phase hyperexponential, so their hazard falls with elapsed idle time;
/// active periods get the mean that gives the regime's idle share.
struct OwnerModel {
  double weekday_idle_share = 0.66;    ///< TH90 Table 8.5 / SPE91 Table 5, Mon-Fri 9-17
  double offhours_idle_share = 0.78;   ///< same tables, other hours (with the above gives 75% overall)
  double mean_idle_period_s = 26 * 60; ///< SPE91 p.23 / TH90 8.5.3: hosts idle at least 30 s stayed idle 26 minutes
  double idle_period_cv = 2;           ///< ASSUMPTION (no source): > 1 makes the hazard decrease (ML87 in TH90 2.1)
  double active_period_cv = 1;         ///< ASSUMPTION (no source): 1 = exponential active periods
  double owner_cpu_share = 0.0634;     ///< derived: 2.3% x (1 - 0.3108) / 0.25 (TH90 8.2, Table 8.1)
  double start_of_week_s = 0;          ///< simulated time 0 is Monday 00:00 plus this offset
  double input_threshold_s = SPRITE_INPUT_THRESHOLD_S; ///< idle periods last at least this (SRC migd.c); idle shares
                                                       ///< count only the time after it, as migd's availability does
};

/// Reads an OwnerModel object at JSON path `path` of `file` (strict; missing keys keep their defaults). Rejects
/// shares that leave no room for active periods given the mean idle period.
OwnerModel parse_owner_model(const nlohmann::json& j, const std::string& file, const std::string& path);

/// Every field, so a resolved config shows the values used.
nlohmann::json to_json(const OwnerModel& m);

/// Active periods of one host's owner in [0, duration_s), sorted and disjoint, reproducible from (seed, host):
/// mt19937_64 seeded by splitmix64 of both (salted, so no other generator's stream repeats it), own inverse-CDF
/// draws. Periods started before 0 (a week of warm-up, so time 0 finds owners in their steady state) are clipped
/// to 0; those running past duration_s are clipped to it.
std::vector<OwnerPeriod> generate_owner_periods(const OwnerModel& m, uint64_t seed, int host, double duration_s);

/// Owner trace file: CSV with header `host,start_s,end_s,cpu_share` (host = workstation index or name); errors
/// name file and line; periods of one host sorted and non-overlapping. Returns periods per host name/index.
std::map<std::string, std::vector<OwnerPeriod>> load_owner_trace(const std::string& path);

/// The same from the trace's text; `path` names it in messages.
std::map<std::string, std::vector<OwnerPeriod>> parse_owner_trace(const std::string& text, const std::string& path);

/// Periods per host index for a cluster whose hosts are named `host_names`: a trace key is a host's name or its
/// index. An unknown key, or one host given twice, is an InputError naming `file`.
std::vector<std::vector<OwnerPeriod>> owner_periods_by_host(
    const std::map<std::string, std::vector<OwnerPeriod>>& trace, const std::vector<std::string>& host_names,
    const std::string& file);

/// The periods as seen from `start_s` of the trace on: shifted so that start_s becomes time 0, a period under way
/// at start_s cut there, earlier ones dropped. A start at or after the end of every period is an InputError naming
/// `file` (no owner would ever come).
std::vector<std::vector<OwnerPeriod>> owner_periods_from(const std::vector<std::vector<OwnerPeriod>>& per_host,
                                                         double start_s, const std::string& file);

/// Measured statistics over generated periods (for tests, docs and the simulator's report).
/// Idle time is time meeting the input rule (from input_threshold_s after an active period to the next one; the
/// start of the run counts as idle); shares are of host time in each regime. mean_idle_period_s averages the
/// complete gaps of at least input_threshold_s (last input to next input); idle_to_active_per_hour counts owners
/// returning to an idle host, per host-hour.
struct OwnerStats {
  double weekday_idle_share, offhours_idle_share, total_idle_share, mean_idle_period_s, idle_to_active_per_hour;
};
OwnerStats owner_stats(const std::vector<std::vector<OwnerPeriod>>& per_host, double duration_s,
                       double start_of_week_s);
/// The same with another input threshold than migd's 30 s.
OwnerStats owner_stats(const std::vector<std::vector<OwnerPeriod>>& per_host, double duration_s,
                       double start_of_week_s, double input_threshold_s);

/// True when simulated time t_s falls in Mon-Fri 9:00-17:00 (the "weekday" regime of TH90 Table 8.5).
bool is_weekday_hours(double t_s, double start_of_week_s);
/// Seconds of [a_s, b_s) that fall in Mon-Fri 9:00-17:00.
double weekday_seconds(double a_s, double b_s, double start_of_week_s);

/// Mean active period in the weekday or off-hours regime: (G - threshold) / share - G, G = mean idle period, so
/// that the time meeting the input rule is the regime's idle share.
double mean_active_period_s(const OwnerModel& m, bool weekday);
/// Pr[idle period > t] for the model's idle-period distribution (for tests and docs).
double idle_period_survival(const OwnerModel& m, double t_s);

} // namespace spritesim
