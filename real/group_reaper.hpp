// The agent's reaper: a small process forked when the agent starts, which outlives it. The agent tells it the
// process group of each command as it starts and ends; if the agent dies (SIGKILL, a crash), the reaper sees its
// pipe close and kills the groups still running, so that no part of a command (the compiler under a recipe's shell
// included) runs on unseen beside its rerun at home.
#pragma once

#include <sys/types.h>

namespace spritesim::real {

class GroupReaper {
public:
  /// Forks the reaper (throws std::runtime_error when it cannot). Safe in a multi-threaded process: the child only
  /// reads its pipe and kills.
  GroupReaper();
  GroupReaper(const GroupReaper&) = delete;
  GroupReaper& operator=(const GroupReaper&) = delete;

  /// A command's group began / ended (one atomic write to the pipe each).
  void started(pid_t pgid);
  void ended(pid_t pgid);

  /// The reaper's pid (for tests and logs).
  pid_t pid() const { return pid_; }

private:
  int fd_ = -1;
  pid_t pid_ = -1;
};

} // namespace spritesim::real
