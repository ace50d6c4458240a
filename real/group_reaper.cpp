// The agent's reaper (see group_reaper.hpp). The child runs only async-signal-safe calls (read, kill, _exit): it is
// forked from a process that may already have threads.
#include "real/group_reaper.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace spritesim::real {

namespace {

constexpr int MAX_GROUPS = 1 << 14; ///< groups alive at once (the agent runs far fewer)

[[noreturn]] void reap(int fd)
{
  // Out of the agent's process group and deaf to the terminal's signals: a ^C that stops the agent must not stop
  // the reaper before it has done its work.
  ::setpgid(0, 0);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE})
    ::signal(sig, SIG_IGN);
  static pid_t groups[MAX_GROUPS]; // 0 = free slot
  int32_t value = 0;
  for (;;) {
    ssize_t r = ::read(fd, &value, sizeof value);
    if (r < 0 && errno == EINTR)
      continue;
    if (r != static_cast<ssize_t>(sizeof value))
      break; // the agent is gone (end of file) or the pipe broke: kill what it left running
    pid_t pgid = value > 0 ? value : -value;
    for (pid_t& g : groups) {
      if (value > 0 && g == 0) {
        g = pgid;
        break;
      }
      if (value < 0 && g == pgid) {
        g = 0;
        break;
      }
    }
  }
  for (pid_t g : groups)
    if (g > 0)
      ::kill(-g, SIGKILL);
  ::_exit(0);
}

} // namespace

GroupReaper::GroupReaper()
{
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("reaper pipe: ") + std::strerror(errno));
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error(std::string("cannot fork the reaper: ") + std::strerror(errno));
  if (pid_ == 0) {
    ::close(p[1]);
    // Nothing else of the agent's stays open here (sockets, devices), and in particular no write end of the pipe.
    if (p[0] != 3) {
      ::dup2(p[0], 3);
      ::close(p[0]);
    }
    if (::syscall(SYS_close_range, 4U, ~0U, 0U) != 0)
      for (int fd = 4; fd < 4096; ++fd)
        ::close(fd);
    reap(3);
  }
  ::close(p[0]);
  fd_ = p[1]; // close-on-exec: commands must not hold it open, or the reaper would never see the agent die
}

void GroupReaper::started(pid_t pgid)
{
  int32_t v = static_cast<int32_t>(pgid);
  (void)!::write(fd_, &v, sizeof v);
}

void GroupReaper::ended(pid_t pgid)
{
  int32_t v = -static_cast<int32_t>(pgid);
  (void)!::write(fd_, &v, sizeof v);
}

} // namespace spritesim::real
