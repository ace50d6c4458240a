// The bounded process runner of the idleness probes that run a command (idle_probe.hpp run_probe_command):
// posix_spawn, not fork, because the agent is multithreaded; stdout and stderr captured, the group killed on timeout.
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/child_process.hpp"
#include "real/idle_probe.hpp"
#include "real/net.hpp"

extern char** environ;

namespace spritesim::real {

CommandRun run_probe_command(const std::vector<std::string>& argv, double timeout_s)
{
  CommandRun r;
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    return r.error = std::string("pipe: ") + std::strerror(errno), r;
  if (::pipe2(err, O_CLOEXEC) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    ::close(out[0]), ::close(out[1]);
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The agent blocks its stop signals in every thread and ignores SIGPIPE: neither may reach the probe's command.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGHUP, SIGTERM})
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> args = c_strings(argv);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]), ::close(err[0]);
    r.error = fmt::format("cannot run {}: {}", argv[0], std::strerror(rc));
    return r;
  }
  double deadline = monotonic_s() + timeout_s;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    double left = deadline - monotonic_s();
    if (left <= 0) {
      ::kill(-pid, SIGKILL);
      r.error = fmt::format("{} did not answer within {} s: killed", argv[0], timeout_s);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left * 1000) + 1) < 0 && errno != EINTR)
      break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !fds[i].revents)
        continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0 && sinks[i]->size() < 65536)
        sinks[i]->append(buf, static_cast<size_t>(n));
      else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
        fds[i].fd = -1;
    }
  }
  ::close(out[0]), ::close(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status))
    r.status = WEXITSTATUS(status);
  else if (r.error.empty())
    r.error = fmt::format("{} was killed by signal {}", argv[0], WTERMSIG(status));
  return r;
}

} // namespace spritesim::real
