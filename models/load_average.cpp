// Lazy exact load averages (see load_average.hpp): samples between run-queue changes fold into one closed-form step.
#include "models/load_average.hpp"

#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>

namespace spritesim {

const std::array<double, 3>& load_weights()
{
  static const std::array<double, 3> weights = {std::exp(-1.0 / 12), std::exp(-1.0 / 60), std::exp(-1.0 / 180)};
  return weights;
}

void LoadAverages::check_time(double now_s) const
{
  if (!(now_s >= last_change_s_)) // also rejects NaN
    throw std::logic_error(
        fmt::format("LoadAverages: time went backwards ({} s asked after a change at {} s)", now_s, last_change_s_));
}

// w^d for the three weights: a table of std::pow's own answers for the first 16 x 1024 samples (22.7 hours of 5 s
// samples; a host's view is asked for on every event: pow per host per sample was a tenth of a large run), pow itself
// beyond. Filled a chunk at a time when first needed (thread-safe: agents read load averages from several threads):
// a run's children of reproduce and sweep, forked from a process that never needed it, each filled the whole table,
// 96 pages and 49,152 calls of pow, where most runs need the first chunk.
static double decay(int which, int64_t d)
{
  constexpr int64_t CHUNK = 1024, CHUNKS = 16;
  static std::array<std::array<std::array<double, 3>, CHUNK>, CHUNKS> table;
  static std::array<std::once_flag, CHUNKS> filled;
  if (d >= 0 && d < CHUNK * CHUNKS) {
    const auto c = static_cast<size_t>(d / CHUNK);
    std::call_once(filled[c], [c] {
      for (size_t i = 0; i < CHUNK; ++i)
        for (size_t w = 0; w < 3; ++w)
          table[c][i][w] = std::pow(load_weights()[w], static_cast<double>(c * CHUNK + i));
    });
    return table[c][static_cast<size_t>(d % CHUNK)][static_cast<size_t>(which)];
  }
  return std::pow(load_weights()[static_cast<size_t>(which)], static_cast<double>(d));
}

double LoadAverages::after_sample(int which, int64_t k) const
{
  return n_ + (avg_[static_cast<size_t>(which)] - n_) * decay(which, k - samples_);
}

void LoadAverages::set_run_queue(double now_s, int n)
{
  check_time(now_s);
  if (n < 0)
    throw std::logic_error(fmt::format("LoadAverages: negative run queue {} at {} s", n, now_s));
  // Samples strictly before now_s see the old length; one exactly at now_s will see the new one.
  auto last_old = static_cast<int64_t>(std::ceil(now_s / LOAD_SAMPLE_S)) - 1;
  if (last_old > samples_) {
    for (int i = 0; i < 3; ++i)
      avg_[static_cast<size_t>(i)] = after_sample(i, last_old);
    samples_ = last_old;
  }
  n_ = n;
  last_change_s_ = now_s;
  answered_sample_ = -1;
}

std::array<double, 3> LoadAverages::at(double now_s) const
{
  check_time(now_s);
  auto k = static_cast<int64_t>(std::floor(now_s / LOAD_SAMPLE_S));
  if (k != answered_sample_) {
    answer_ = {after_sample(0, k), after_sample(1, k), after_sample(2, k)};
    answered_sample_ = k;
  }
  return answer_;
}

template <typename Cond> double LoadAverages::first_time(double now_s, int which, Cond cond) const
{
  check_time(now_s);
  if (which < 0 || which > 2)
    throw std::logic_error(fmt::format("LoadAverages: no average number {}", which));
  auto k0 = static_cast<int64_t>(std::floor(now_s / LOAD_SAMPLE_S));
  if (cond(after_sample(which, k0)))
    return now_s;
  // The average moves monotonically towards n_, so the condition, once true, stays true: bracket by doubling, then
  // bisect. Once w^k underflows the average equals n_ exactly and stops moving.
  int64_t step = 1;
  int64_t lo = k0; // condition false here
  int64_t hi = k0 + step;
  while (!cond(after_sample(which, hi))) {
    if (after_sample(which, hi) == static_cast<double>(n_))
      return std::numeric_limits<double>::infinity();
    lo = hi;
    step *= 2;
    hi = k0 + step;
  }
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    (cond(after_sample(which, mid)) ? hi : lo) = mid;
  }
  return static_cast<double>(hi) * LOAD_SAMPLE_S;
}

double LoadAverages::first_time_above(double now_s, int which, double threshold) const
{
  return first_time(now_s, which, [threshold](double v) { return v > threshold; });
}

double LoadAverages::first_time_at_or_below(double now_s, int which, double threshold) const
{
  return first_time(now_s, which, [threshold](double v) { return v <= threshold; });
}

} // namespace spritesim
