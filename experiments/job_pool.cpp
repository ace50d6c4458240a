// The job pool (see job_pool.hpp). SIGCHLD, SIGINT and SIGTERM are blocked and waited for with sigtimedwait; the
// children start with the caller's own mask.
#include "experiments/job_pool.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <map>
#include <stdexcept>
#include <thread>

#include <sys/wait.h>

#include <fmt/format.h>

#include "core/results.hpp"

namespace spritesim {

namespace {

using Clock = std::chrono::steady_clock;

struct Live {
  size_t job;
  Clock::time_point start;
};

// SIGTERM to every child's process group, a few seconds' grace, then SIGKILL; reaps them all.
void stop_all(std::map<pid_t, Live>& live)
{
  for (const auto& [pid, l] : live)
    kill(-pid, SIGTERM);
  for (int tries = 0; tries < 50 && !live.empty(); ++tries) {
    pid_t pid = waitpid(-1, nullptr, WNOHANG);
    if (pid > 0)
      live.erase(pid);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const auto& [pid, l] : live) {
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  live.clear();
}

} // namespace

int JobPool::run(std::vector<PoolJob> todo, const std::function<void(size_t)>& tick)
{
  if (stopped_)
    return stopped_;
  sigset_t waited, old_mask;
  sigemptyset(&waited);
  for (int sig : {SIGCHLD, SIGINT, SIGTERM})
    sigaddset(&waited, sig);
  sigprocmask(SIG_BLOCK, &waited, &old_mask);
  std::map<pid_t, Live> live;
  size_t next = 0;
  try {
    while ((next < todo.size() || !live.empty()) && !stopped_) {
      while (next < todo.size() && live.size() < static_cast<size_t>(jobs_)) {
        if (todo[next].before)
          todo[next].before();
        ChildSpec child = todo[next].child;
        child.own_group = true;
        child.mask = old_mask;
        live[start_child(child)] = {next++, Clock::now()};
        running_ = live.size();
      }
      if (tick)
        tick(live.size());
      int status = 0;
      pid_t pid = waitpid(-1, &status, WNOHANG); // whichever child ended first
      if (pid < 0 && errno != EINTR && errno != ECHILD)
        throw std::runtime_error(fmt::format("waitpid failed: {}", std::strerror(errno)));
      if (pid <= 0) {
        timespec timeout = {0, 250 * 1000 * 1000};
        int sig = sigtimedwait(&waited, nullptr, &timeout);
        if (sig == SIGINT || sig == SIGTERM)
          stopped_ = sig;
        continue;
      }
      auto it = live.find(pid);
      if (it == live.end())
        continue;
      Live l = it->second;
      live.erase(it);
      running_ = live.size();
      if (todo[l.job].done)
        todo[l.job].done(exit_code(status), std::chrono::duration<double>(Clock::now() - l.start).count());
    }
  } catch (...) {
    stop_all(live);
    running_ = 0;
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    throw;
  }
  if (stopped_)
    stop_all(live);
  running_ = 0;
  // A stop request still pending is taken before unblocking: a late one still stops the work.
  timespec zero = {0, 0};
  for (int sig; (sig = sigtimedwait(&waited, nullptr, &zero)) > 0;)
    if (sig != SIGCHLD && !stopped_)
      stopped_ = sig;
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  return stopped_;
}

std::string exit_status_text(int code)
{
  std::string meaning = exit_status_meaning(code);
  return meaning.empty() ? fmt::format("exit {}", code) : fmt::format("exit {}: {}", code, meaning);
}

} // namespace spritesim
