// Background processes with Sprite-era CPU lifetimes (Harchol-Balter & Downey, HBD97): Poisson arrivals
// at each home host, Pareto CPU demands Pr[L > T | L >= min] = (min/T)^alpha, and the state a migration would
// move (dirty pages, dirty blocks, open files) drawn around the field means of TH90 Table 8.3.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace spritesim {

/// One background process: where it starts, when, how much CPU it wants and what a migration would carry.
struct BackgroundProcess {
  int64_t id = 0;           ///< 0-based, in arrival order
  int home = 0;             ///< home host index in [0, hosts)
  double arrival_s = 0;     ///< arrival time (seconds from the start)
  double cpu_s = 0;         ///< CPU demand in seconds on the reference machine
  int64_t dirty_pages = 0;  ///< modified VM pages at migration time
  int64_t dirty_blocks = 0; ///< modified file-cache blocks at migration time
  int64_t open_files = 0;   ///< open files at migration time
  std::string name;         ///< "bg<id>", for logs and CSVs
};

/// Parameters of the background load. Every default names its source; the distributions are documented in
/// docs/trace-format.md ("Background processes").
struct ProcessWorkload {
  double arrivals_per_host_hour = 0;  ///< Poisson arrivals per home host
  double min_cpu_s = 1;               ///< lifetimes >= this; Pr[L > T | L >= min] = (min/T)^alpha
  double max_cpu_s = 3600;            ///< truncation: draws above this are set to it (Pr[L = max] = (min/max)^alpha)
  double pareto_alpha = 1;            ///< 1 per HBD97; per-machine fits 1.0-1.4 are UNVERIFIED
  double dirty_pages_mean = 36.62;    ///< TH90 Table 8.3 (per migration)
  double dirty_blocks_mean = 0.95;    ///< TH90 Table 8.3
  double open_files_mean = 4.53;      ///< TH90 Table 8.3
};

/// Reads a ProcessWorkload object at JSON path `path` of `file` (strict: unknown keys, wrong types and out-of-range
/// values are InputErrors naming file and path). Missing keys keep their defaults.
ProcessWorkload parse_process_workload(const nlohmann::json& j, const std::string& file, const std::string& path);

/// Every field, so a resolved config shows the values used.
nlohmann::json to_json(const ProcessWorkload& w);

/// Arrivals at homes [0, hosts) in [0, duration_s), sorted by arrival time then id; reproducible from seed.
/// Each home draws from its own stream (seeded from seed and the home index), so adding hosts does not change the
/// processes of the others. Byte-identical on every platform: mt19937_64 with our own inverse-CDF draws.
std::vector<BackgroundProcess> generate_processes(const ProcessWorkload& w, uint64_t seed, int hosts,
                                                  double duration_s);

/// The mean lifetime, E[min(L, max)] for Pr[L > t] = (min/t)^alpha: what a study's offered load is made of.
double mean_lifetime_s(const ProcessWorkload& w);

/// One Pareto lifetime from a uniform u in (0, 1): min * u^(-1/alpha), capped at max. Exposed for tests.
double pareto_lifetime(const ProcessWorkload& w, double u);

} // namespace spritesim
