// Running this executable as a child process: one simulation per process, since SimGrid cannot be reset.
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/results.hpp"
#include "tools/commands.hpp"

namespace spritesim {

std::string self_exe()
{
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    throw std::runtime_error("cannot find this executable (/proc/self/exe)");
  return std::string(buf, static_cast<size_t>(n));
}

int spawn_self(const Args& args, const std::string& log_file)
{
  std::string exe = self_exe();
  std::vector<char*> argv;
  argv.push_back(exe.data());
  Args copy = args;
  for (auto& a : copy)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int wait_child(int pid)
{
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw std::runtime_error(fmt::format("waitpid failed: {}", std::strerror(errno)));
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

std::string exit_status_text(int code)
{
  if (code == EXIT_INVALID_RUN)
    return fmt::format("exit {}: the simulation broke its invariants, its numbers would be wrong", code);
  if (code == 2)
    return "exit 2: bad input or usage";
  if (code > 128)
    return fmt::format("exit {}: killed by signal {} ({})", code, code - 128, strsignal(code - 128));
  return fmt::format("exit {}", code);
}

int run_self(const Args& args, const std::string& log_file) { return wait_child(spawn_self(args, log_file)); }

} // namespace spritesim
