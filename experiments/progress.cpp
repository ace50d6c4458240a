// The progress bar of sweeps (see progress.hpp).
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

} // namespace spritesim
