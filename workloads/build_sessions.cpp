// pmake users for long runs (see build_sessions.hpp).
#include "workloads/build_sessions.hpp"

#include <algorithm>
#include <cmath>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "core/random.hpp"

namespace spritesim {

BuildSessions parse_build_sessions(const nlohmann::json& j, const std::string& file, const std::string& path)
{
  JsonReader r(j, file, path);
  BuildSessions b;
  b.sessions_per_host_hour = r.number("sessions_per_host_hour", b.sessions_per_host_hour, 0, 1e6);
  b.single_host_share = r.number("single_host_share", b.single_host_share, 0, 1);
  b.mean_request = r.number("mean_request", b.mean_request, 1, 1e6);
  b.max_request = r.integer("max_request", b.max_request, 1, 100000);
  b.start_at_active_owner = r.boolean("start_at_active_owner", b.start_at_active_owner);
  r.finish();
  double tail_mean = b.single_host_share < 1 ? (b.mean_request - b.single_host_share) / (1 - b.single_host_share) : 2;
  if (b.max_request < 2 || tail_mean < 2 || tail_mean > (2.0 + static_cast<double>(b.max_request)) / 2)
    throw InputError(file, path,
                     "mean_request cannot be met: requests above one host must average between 2 and "
                     "(2 + max_request) / 2");
  return b;
}

nlohmann::json to_json(const BuildSessions& b)
{
  return {{"sessions_per_host_hour", b.sessions_per_host_hour},
          {"single_host_share", b.single_host_share},
          {"mean_request", b.mean_request},
          {"max_request", b.max_request},
          {"start_at_active_owner", b.start_at_active_owner}};
}

namespace {

// Mean of a geometric law on 2..max with P(k) proportional to r^(k-2).
double tail_mean(double r, int64_t max)
{
  double w = 1, sum = 0, mean = 0;
  for (int64_t k = 2; k <= max; ++k, w *= r) {
    sum += w;
    mean += w * static_cast<double>(k);
  }
  return mean / sum;
}

} // namespace

int64_t request_size(const BuildSessions& b, double u)
{
  if (u < b.single_host_share || b.max_request < 2)
    return 1;
  double target = (b.mean_request - b.single_host_share) / (1 - b.single_host_share);
  double lo = 1e-9, hi = 1; // tail_mean grows with r from 2 (r -> 0) to (2 + max) / 2 (r = 1)
  for (int i = 0; i < 60; ++i) {
    double mid = (lo + hi) / 2;
    (tail_mean(mid, b.max_request) < target ? lo : hi) = mid;
  }
  double r = (lo + hi) / 2;
  // Inverse CDF of the tail, from where u sits inside the tail's share of (0, 1).
  double v = (u - b.single_host_share) / (1 - b.single_host_share);
  double total = 0, w = 1;
  for (int64_t k = 2; k <= b.max_request; ++k, w *= r)
    total += w;
  double acc = 0;
  w = 1;
  for (int64_t k = 2; k <= b.max_request; ++k, w *= r) {
    acc += w / total;
    if (v <= acc)
      return k;
  }
  return b.max_request;
}

std::vector<BuildSession> generate_build_sessions(const BuildSessions& b, uint64_t seed, int hosts, double duration_s,
                                                  const std::function<bool(int, double)>& owner_active)
{
  std::vector<BuildSession> out;
  if (hosts <= 0 || b.sessions_per_host_hour <= 0)
    return out;
  std::mt19937_64 rng = stream_rng(seed, 0x6275696c64ULL); // "build"
  double mean_gap = 3600.0 / (b.sessions_per_host_hour * hosts);
  for (double t = exponential(rng, mean_gap); t < duration_s; t += exponential(rng, mean_gap)) {
    BuildSession s;
    s.id = static_cast<int64_t>(out.size());
    s.start_s = t;
    s.request = request_size(b, uniform01(rng));
    std::vector<int> active;
    if (b.start_at_active_owner)
      for (int h = 0; h < hosts; ++h)
        if (owner_active(h, t))
          active.push_back(h);
    s.home = active.empty() ? static_cast<int>(uniform_int(rng, 0, hosts - 1))
                            : active[static_cast<size_t>(uniform_int(rng, 0, static_cast<int64_t>(active.size()) - 1))];
    out.push_back(s);
  }
  return out;
}

} // namespace spritesim
