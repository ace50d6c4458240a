// migd's load averages as a lazy, exact model: the per-host daemon samples the ready-queue length every 5 s and keeps
// three exponentially smoothed averages (1, 5, 15 min). Between run-queue changes the length is constant, so any
// number of samples folds into one closed-form step and the simulator needs no 5-s event per host.
#pragma once

#include <array>
#include <cstdint>

namespace spritesim {

/// Seconds between two samples (MIG_LOAD_INTERVAL, SRC mig.h). Samples fall at t = 5, 10, 15, ...
constexpr double LOAD_SAMPLE_S = 5;

/// Per-sample weights exp(-1/12), exp(-1/60), exp(-1/180): time constants of 1, 5 and 15 minutes (SRC migd.c).
const std::array<double, 3>& load_weights();

/// The three ready-queue averages of one host. Each sample does avg = w * avg + (1 - w) * n; k samples of a constant
/// n give avg' = n + (avg - n) * w^k, which is what this class computes. A sample that falls exactly on a change time
/// sees the new length. Times passed in never go backwards (std::logic_error otherwise).
class LoadAverages {
public:
  /// All averages and the run queue start at 0 at time 0 (migd starts its averages at 0).
  LoadAverages() = default;

  /// The run-queue length changes to `n` at time `now_s` (samples before now use the old length, a sample at exactly
  /// now uses `n`). Throws std::logic_error if now_s is before the previous change or n < 0.
  void set_run_queue(double now_s, int n);
  /// The three averages (1, 5, 15 min) after every 5 s sample at or before now_s. Throws std::logic_error if now_s is
  /// before the last change. The last answer is kept until the next sample or change: migd asks every host on
  /// every event, many times between two samples (not thread-safe; its callers hold their lock).
  std::array<double, 3> at(double now_s) const;
  /// The run-queue length now.
  int run_queue() const { return n_; }

  /// The earliest time t >= now_s at which at(t)[which] > threshold, if the run queue stays as it is: now_s itself or
  /// a sample time; +infinity when that never happens. Lets a simulator schedule the next idle-rule change.
  double first_time_above(double now_s, int which, double threshold) const;
  /// The earliest time t >= now_s at which at(t)[which] <= threshold, as above.
  double first_time_at_or_below(double now_s, int which, double threshold) const;

private:
  void check_time(double now_s) const;
  /// Average `which` after sample number k (k >= samples_), with the current run queue.
  double after_sample(int which, int64_t k) const;
  template <typename Cond> double first_time(double now_s, int which, Cond cond) const;

  int n_ = 0;                           ///< run-queue length since last_change_s_
  std::array<double, 3> avg_ = {0, 0, 0}; ///< averages after sample number samples_
  int64_t samples_ = 0;                 ///< index k of the last sample folded into avg_ (sample k is at k * 5 s)
  double last_change_s_ = 0;
  mutable int64_t answered_sample_ = -1;    ///< the sample number `answer_` is for; -1: none since the last change
  mutable std::array<double, 3> answer_ = {0, 0, 0};
};

} // namespace spritesim
