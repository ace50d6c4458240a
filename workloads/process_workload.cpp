// Background process generator (see process_workload.hpp). All randomness goes through mt19937_64 and explicit
// inverse-CDF formulas: std:: distributions may differ between standard libraries, and outputs must not.
#include "workloads/process_workload.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "core/limits.hpp"
#include "core/random.hpp"

namespace spritesim {

namespace {


// Counts around a mean: Poisson by sequential inversion for means the recurrence handles without underflow, and
// a rounded normal (Box-Muller) beyond that. TH90 Table 8.3 gives only means per migration, so the shape is an
// assumption (documented in docs/trace-format.md); Poisson is the least-informative count with a given mean.
int64_t poisson_count(std::mt19937_64& rng, double mean)
{
  if (mean <= 0)
    return 0;
  if (mean > 500) {
    double z = std::sqrt(-2 * std::log(uniform01(rng))) * std::cos(2 * M_PI * uniform01(rng));
    return std::max<int64_t>(0, std::llround(mean + std::sqrt(mean) * z));
  }
  double u = uniform01(rng);
  double p = std::exp(-mean);
  double cdf = p;
  int64_t k = 0;
  while (u > cdf && k < 100000) {
    ++k;
    p *= mean / static_cast<double>(k);
    cdf += p;
    if (p == 0) // the remaining tail is below double precision
      break;
  }
  return k;
}

} // namespace

double pareto_lifetime(const ProcessWorkload& w, double u)
{
  // Inverse of Pr[L > T] = (min/T)^alpha: T = min * u^(-1/alpha) with u uniform in (0, 1).
  double t = w.min_cpu_s * std::pow(u, -1.0 / w.pareto_alpha);
  return std::min(t, w.max_cpu_s);
}

double mean_lifetime_s(const ProcessWorkload& w)
{
  double lo = w.min_cpu_s, hi = w.max_cpu_s, a = w.pareto_alpha;
  if (std::fabs(a - 1) < 1e-12)
    return lo * (1 + std::log(hi / lo));
  return lo + std::pow(lo, a) * (std::pow(hi, 1 - a) - std::pow(lo, 1 - a)) / (1 - a);
}

ProcessWorkload parse_process_workload(const nlohmann::json& j, const std::string& file, const std::string& path)
{
  JsonReader r(j, file, path);
  ProcessWorkload w;
  w.arrivals_per_host_hour = r.number("arrivals_per_host_hour", w.arrivals_per_host_hour, 0, 1e7);
  w.min_cpu_s = r.number("min_cpu_s", w.min_cpu_s, 1e-9, MAX_SIM_SECONDS);
  w.max_cpu_s = r.number("max_cpu_s", w.max_cpu_s, 1e-9, MAX_SIM_SECONDS);
  w.pareto_alpha = r.number("pareto_alpha", w.pareto_alpha, 0.01, 100);
  w.dirty_pages_mean = r.number("dirty_pages_mean", w.dirty_pages_mean, 0, 1e9);
  w.dirty_blocks_mean = r.number("dirty_blocks_mean", w.dirty_blocks_mean, 0, 1e9);
  w.open_files_mean = r.number("open_files_mean", w.open_files_mean, 0, 1e6);
  if (w.max_cpu_s < w.min_cpu_s)
    r.member("max_cpu_s").fail(fmt::format("must be at least min_cpu_s ({}), got {}", w.min_cpu_s, w.max_cpu_s));
  r.finish();
  return w;
}

nlohmann::json to_json(const ProcessWorkload& w)
{
  return {
      {"arrivals_per_host_hour", w.arrivals_per_host_hour},
      {"min_cpu_s", w.min_cpu_s},
      {"max_cpu_s", w.max_cpu_s},
      {"pareto_alpha", w.pareto_alpha},
      {"dirty_pages_mean", w.dirty_pages_mean},
      {"dirty_blocks_mean", w.dirty_blocks_mean},
      {"open_files_mean", w.open_files_mean},
  };
}

std::vector<BackgroundProcess> generate_processes(const ProcessWorkload& w, uint64_t seed, int hosts,
                                                  double duration_s)
{
  if (hosts < 0 || !(duration_s >= 0))
    throw std::invalid_argument("generate_processes: hosts and duration must not be negative");
  if (!(w.min_cpu_s > 0) || w.max_cpu_s < w.min_cpu_s || !(w.pareto_alpha > 0))
    throw std::invalid_argument("generate_processes: need 0 < min_cpu_s <= max_cpu_s and pareto_alpha > 0");
  std::vector<BackgroundProcess> out;
  double rate = w.arrivals_per_host_hour / 3600.0; // per second
  if (rate <= 0 || duration_s <= 0)
    return out;
  for (int home = 0; home < hosts; ++home) {
    std::mt19937_64 rng(mix_seed(seed ^ mix_seed(static_cast<uint64_t>(home) + 1)));
    double t = 0;
    for (;;) {
      t += -std::log(uniform01(rng)) / rate; // exponential gaps: a Poisson process
      if (t >= duration_s)
        break;
      BackgroundProcess p;
      p.home = home;
      p.arrival_s = t;
      p.cpu_s = pareto_lifetime(w, uniform01(rng));
      p.dirty_pages = poisson_count(rng, w.dirty_pages_mean);
      p.dirty_blocks = poisson_count(rng, w.dirty_blocks_mean);
      p.open_files = poisson_count(rng, w.open_files_mean);
      out.push_back(std::move(p));
    }
  }
  // Sorted by arrival, then home (ties are practically impossible, but the order must not depend on sort details).
  std::sort(out.begin(), out.end(), [](const BackgroundProcess& a, const BackgroundProcess& b) {
    return a.arrival_s != b.arrival_s ? a.arrival_s < b.arrival_s : a.home < b.home;
  });
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].id = static_cast<int64_t>(i);
    out[i].name = fmt::format("bg{}", i);
  }
  return out;
}

} // namespace spritesim
