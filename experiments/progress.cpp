// The progress bar of sweeps and the progress line of one run (see progress.hpp).
#include "experiments/progress.hpp"

#include <cstdio>

#include <unistd.h>

#include <fmt/format.h>

namespace spritesim {

std::string duration_text(double s)
{
  long t = static_cast<long>(s + 0.5);
  if (t >= 3600)
    return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
  return fmt::format("{}:{:02}", t / 60, t % 60);
}

Progress::Progress(size_t total) : total_(total), tty_(isatty(2)), start_(std::chrono::steady_clock::now()) {}

void Progress::finished(const std::string& name, bool ok, double seconds, size_t running)
{
  ++(ok ? done_ : failed_);
  running_ = running;
  if (ok && !tty_)
    fmt::print(stderr, "[{}/{}] {} ok in {:.1f} s, ETA {}\n", done_ + failed_, total_, name, seconds, eta());
  draw();
}

void Progress::say(const std::string& line)
{
  clear();
  fmt::print(stderr, "{}\n", line);
  draw();
}

void Progress::draw(size_t running)
{
  if (running != SIZE_MAX)
    running_ = running;
  if (!tty_)
    return;
  size_t n = done_ + failed_, width = 30, fill = total_ ? n * width / total_ : width;
  fmt::print(stderr, "\r\x1b[K[{}{}] {}/{} runs, {} running, {} failed, {} elapsed, ETA {}", std::string(fill, '#'),
             std::string(width - fill, '.'), n, total_, running_, failed_, duration_text(elapsed()), eta());
  std::fflush(stderr);
}

void Progress::clear()
{
  if (tty_)
    fmt::print(stderr, "\r\x1b[K");
}

double Progress::elapsed() const
{
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progress::eta() const
{
  size_t n = done_ + failed_;
  return n ? duration_text(elapsed() / static_cast<double>(n) * static_cast<double>(total_ - n)) : "--";
}

RunProgress::RunProgress(double end_s)
    : end_s_(end_s), start_(std::chrono::steady_clock::now()), next_(start_ + std::chrono::seconds(2))
{
}

RunProgress::~RunProgress()
{
  if (drawn_) {
    fmt::print(stderr, "\r\x1b[K");
    std::fflush(stderr);
  }
}

std::function<void(double)> RunProgress::watcher()
{
  if (!isatty(2))
    return {};
  return [this](double now_s) { advanced(now_s); };
}

void RunProgress::advanced(double now_s)
{
  // The clock is read every 256 steps of simulated time only: a step costs this counter, not a system call.
  if (++calls_ % 256 != 0)
    return;
  auto now = std::chrono::steady_clock::now();
  if (now < next_)
    return;
  next_ = now + std::chrono::milliseconds(250);
  double wall = std::chrono::duration<double>(now - start_).count();
  std::string of = end_s_ > 0 ? fmt::format(" of {} ({:.0f}%)", duration_text(end_s_), 100 * now_s / end_s_) : "";
  fmt::print(stderr, "\r\x1b[Ksimulated {}{}, {} elapsed", duration_text(now_s), of, duration_text(wall));
  std::fflush(stderr);
  drawn_ = true;
}

} // namespace spritesim
