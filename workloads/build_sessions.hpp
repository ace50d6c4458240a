// pmake users for long runs (the "day in the life"): builds started from workstations whose owners are at the
// console, each asking migd for some hosts. Request sizes follow TH90 8.5.2 (76% ask for at most one host, mean
// of the largest request 2.6, at most 16); each build has as many jobs as hosts asked for (an assumption: one
// compile for one host, else request - 1 compiles and a link, the kernel build scaled down; it matches the 2.6
// exec-time migrations per requesting process of TH90 Table 8.2 and 8.5.2: 46,382 / 17,800).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace spritesim {

struct BuildSessions {
  /// Builds started per workstation-hour. Default derived: 17,800 requesting processes in 25 days (TH90 8.5.2)
  /// over 35.4 hosts (46,382 exec-time migrations in 744 h at 1.76 per host-hour, TH90 Table 8.2).
  double sessions_per_host_hour = 17800.0 / (25 * 24) / 35.4;
  double single_host_share = 0.76; ///< TH90 8.5.2: 76% asked for at most one host
  double mean_request = 2.6;       ///< TH90 8.5.2: largest request per process, mean
  int64_t max_request = 16;        ///< TH90 8.5.2: maximum
  bool start_at_active_owner = true; ///< builds start where the owner is at the console (else any host)
};

BuildSessions parse_build_sessions(const nlohmann::json& j, const std::string& file, const std::string& path);
nlohmann::json to_json(const BuildSessions& b);

struct BuildSession {
  int64_t id = 0;
  double start_s = 0;
  int home = 0;
  int64_t request = 1; ///< hosts asked for, and compiles in the build
};

/// Sessions in [0, duration_s) over `hosts` workstations. `owner_active(host, t)` says whether an owner is at the
/// console (used when start_at_active_owner). Sorted by start time; reproducible from the seed.
std::vector<BuildSession> generate_build_sessions(const BuildSessions& b, uint64_t seed, int hosts, double duration_s,
                                                  const std::function<bool(int, double)>& owner_active);

/// The request size for a uniform draw u in (0, 1): 1 with single_host_share, else 2..max_request with a
/// geometric tail whose mean makes the overall mean mean_request.
int64_t request_size(const BuildSessions& b, double u);

} // namespace spritesim
