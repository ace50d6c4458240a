// The progress of a batch of runs on stderr: a bar redrawn in place on a terminal, one line per finished run
// otherwise (a log file, a CI job); and the progress line of one long run, on a terminal only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace spritesim {

class Progress {
public:
  explicit Progress(size_t total);
  /// A run ended; `running` are still going.
  void finished(const std::string& name, bool ok, double seconds, size_t running);
  /// A line of its own above the bar.
  void say(const std::string& line);
  void draw(size_t running = SIZE_MAX);
  void clear();
  size_t failed() const { return failed_; }

private:
  double elapsed() const;
  std::string eta() const;
  size_t total_, done_ = 0, failed_ = 0, running_ = 0;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
};

/// The progress line of one simulation (`spritesim run`) on stderr, when stderr is a terminal and the run has taken
/// 2 s of wall time: the simulated time reached (of its end, when known) and the wall time, redrawn in place at most
/// 4 times a second, cleared when the run ends. Never drawn elsewhere (a log, a test, a sweep's run): outputs stay
/// the same bytes.
class RunProgress {
public:
  /// `end_s`: the simulated time the run ends at, 0 when unknown (a build ends when its last job does).
  explicit RunProgress(double end_s);
  ~RunProgress();
  RunProgress(const RunProgress&) = delete;
  RunProgress& operator=(const RunProgress&) = delete;
  /// What to call as simulated time advances (run_simulation's watcher); empty when nothing is to be drawn.
  std::function<void(double)> watcher();

private:
  void advanced(double now_s);
  double end_s_;
  bool drawn_ = false;
  uint64_t calls_ = 0;
  std::chrono::steady_clock::time_point start_, next_;
};

/// "m:ss" or "h:mm:ss".
std::string duration_text(double seconds);

} // namespace spritesim
