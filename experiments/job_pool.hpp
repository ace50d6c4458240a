// The one job pool of sweeps, reproduce and the studies: child processes, at most N at once, each in a process group
// of its own; whichever finishes first is reaped first; SIGINT or SIGTERM stops every running child and the pool.
#pragma once

#include <functional>
#include <vector>

#include "core/child_process.hpp"

namespace spritesim {

/// One child to run, what to do just before it starts (may be empty), and when it ends (exit code as exit_code()
/// gives it; seconds it ran).
struct PoolJob {
  ChildSpec child;
  std::function<void(int code, double seconds)> done;
  std::function<void()> before;
};

class JobPool {
public:
  explicit JobPool(int jobs) : jobs_(jobs < 1 ? 1 : jobs) {}

  /// Runs `todo` in order, at most `jobs` at a time; `done` is called for each as it ends. `tick` (may be empty) is
  /// called with the number running whenever the pool wakes (at least every 250 ms). SIGINT and SIGTERM are blocked
  /// while it runs and taken with sigtimedwait, so a stop is never lost between two checks: on one, every running
  /// child's group gets SIGTERM (SIGKILL after 5 s), is reaped, and run returns the signal; otherwise 0. Once
  /// stopped, the pool stays stopped: later calls start nothing and return the same signal.
  int run(std::vector<PoolJob> todo, const std::function<void(size_t running)>& tick = {});

  /// The signal that stopped the pool, or 0.
  int stopped() const { return stopped_; }
  int jobs() const { return jobs_; }
  /// Children running now.
  size_t running() const { return running_; }

private:
  int jobs_;
  int stopped_ = 0;
  size_t running_ = 0;
};

/// What a child run's exit code means, for the summaries ("exit 3: invalid run: the simulation broke its
/// invariants ...": core/results.hpp exit_status_meaning).
std::string exit_status_text(int code);

} // namespace spritesim
