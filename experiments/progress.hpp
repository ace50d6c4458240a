// The progress of a batch of runs on stderr: a bar redrawn in place on a terminal, one line per finished run
// otherwise (a log file, a CI job).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
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

/// "m:ss" or "h:mm:ss".
std::string duration_text(double seconds);

} // namespace spritesim
