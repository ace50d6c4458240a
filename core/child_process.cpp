// The one way spritesim starts a child process (see child_process.hpp). A child that needs nothing but its
// environment, its log, its mask and default signal dispositions starts with posix_spawn (no copy of this process's
// page tables: about 2 ms less per child on a VM, which a recipe line under capture pays). Otherwise: fork, set up
// the child with async-signal-safe calls only, exec; a close-on-exec pipe carries exec's errno back. Either way
// "cannot run" is an error here, not exit 127. A child of this executable may instead run its verb in the forked
// process (set_self_runner).
#include "core/child_process.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

extern char** environ;

namespace spritesim {

namespace {

// Everything this process has buffered for stdout and stderr, written now (before a fork, before _exit). The C++
// streams are synchronised with stdio (the default), so their output sits in stdio's buffers. Not including
// <iostream> here keeps its start-up work out of the lean executables make starts per recipe line.
void flush_output()
{
  fflush(nullptr);
}

std::function<int(const std::vector<std::string>&)>& self_runner()
{
  static std::function<int(const std::vector<std::string>&)> runner;
  return runner;
}

// A child of this executable runs its verb here, as exec would have it: its own environment, handlers back to their
// defaults (exec resets them), no close-on-exec descriptor left open, its output flushed before it exits.
[[noreturn]] void run_self(const std::vector<std::string>& args, char** envp, int report)
{
  close(report); // the parent's read sees the start succeed
  environ = envp;
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) == 0 && !(old.sa_flags & SA_SIGINFO) && old.sa_handler != SIG_DFL &&
        old.sa_handler != SIG_IGN)
      signal(sig, SIG_DFL);
  }
  int code = 1;
  try {
    code = self_runner()(std::vector<std::string>(args.begin() + 1, args.end()));
  } catch (...) {
    code = 2;
  }
  flush_output();
  _exit(code);
}

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void become(const ChildSpec& spec, pid_t parent, char* const* argv, char** envp, int report)
{
  for (const auto& [sig, action] : spec.signals)
    sigaction(sig, &action, nullptr);
  if (spec.own_group) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) // the parent died before prctl: nobody would stop this child
      _exit(127);
  }
  if (spec.mask)
    sigprocmask(SIG_SETMASK, &*spec.mask, nullptr);
  if (!spec.log_file.empty()) {
    int fd = ::open(spec.log_file.c_str(), O_WRONLY | O_CREAT | (spec.append_log ? O_APPEND : O_TRUNC), 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
  }
  if (spec.stdin_fd >= 0)
    dup2(spec.stdin_fd, 0);
  if (spec.stdout_fd >= 0)
    dup2(spec.stdout_fd, 1);
  if (spec.self && self_runner())
    run_self(spec.argv, envp, report);
  if (spec.search_path)
    execvpe(argv[0], argv, envp);
  else
    execve(argv[0], argv, envp);
  int err = errno;
  (void)!write(report, &err, sizeof err);
  _exit(127);
}

// posix_spawn when the spec asks for nothing it cannot do (a process group with a parent-death signal, a disposition
// other than the default, running this executable's verb without exec); -1 when it cannot.
pid_t spawn_child(const ChildSpec& spec, char* const* argv, char* const* envp)
{
  if (spec.own_group || (spec.self && self_runner()))
    return -1;
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const auto& [sig, action] : spec.signals) {
    if ((action.sa_flags & SA_SIGINFO) || action.sa_handler != SIG_DFL)
      return -1;
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t files;
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_init(&files);
  short flags = POSIX_SPAWN_SETSIGDEF;
  posix_spawnattr_setsigdefault(&attr, &defaults);
  if (spec.mask) {
    flags |= POSIX_SPAWN_SETSIGMASK;
    posix_spawnattr_setsigmask(&attr, &*spec.mask);
  }
  posix_spawnattr_setflags(&attr, flags);
  // The log is opened here (a log that cannot be opened leaves the output inherited, as on the fork path).
  int log = -1;
  if (!spec.log_file.empty())
    log = ::open(spec.log_file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (spec.append_log ? O_APPEND : O_TRUNC),
                 0644);
  if (log >= 0) {
    posix_spawn_file_actions_adddup2(&files, log, 1);
    posix_spawn_file_actions_adddup2(&files, log, 2);
  }
  if (spec.stdin_fd >= 0)
    posix_spawn_file_actions_adddup2(&files, spec.stdin_fd, 0);
  if (spec.stdout_fd >= 0)
    posix_spawn_file_actions_adddup2(&files, spec.stdout_fd, 1);
  pid_t pid = -1;
  int err = spec.search_path ? posix_spawnp(&pid, argv[0], &files, &attr, argv, envp)
                             : posix_spawn(&pid, argv[0], &files, &attr, argv, envp);
  if (log >= 0)
    ::close(log);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (err != 0)
    throw ChildStartError(fmt::format("cannot run {}: {}", spec.argv[0], std::strerror(err)), err);
  return pid;
}

} // namespace

pid_t start_child(const ChildSpec& spec)
{
  if (spec.argv.empty())
    throw std::invalid_argument("start_child: no program");
  std::vector<std::string> args = spec.argv, env;
  if (spec.env)
    env = *spec.env;
  else
    for (char** e = environ; *e; ++e)
      env.emplace_back(*e);
  auto argv = c_strings(args);
  auto envp = c_strings(env);
  if (pid_t pid = spawn_child(spec, argv.data(), envp.data()); pid > 0)
    return pid;
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0)
    throw std::runtime_error(fmt::format("pipe failed: {}", std::strerror(errno)));
  pid_t parent = getpid();
  if (spec.self && self_runner())
    flush_output(); // the child must not write what the parent had buffered
  pid_t pid = fork();
  if (pid == 0) {
    close(report[0]);
    become(spec, parent, argv.data(), envp.data(), report[1]);
  }
  int fork_errno = errno;
  close(report[1]);
  if (pid < 0) {
    close(report[0]);
    throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(fork_errno)));
  }
  if (spec.own_group)
    setpgid(pid, pid); // also here, so the group exists before anyone signals it
  int err = 0;
  ssize_t got;
  while ((got = read(report[0], &err, sizeof err)) < 0 && errno == EINTR) {
  }
  close(report[0]);
  if (got == static_cast<ssize_t>(sizeof err)) {
    wait_child_status(pid);
    throw ChildStartError(fmt::format("cannot run {}: {}", spec.argv[0], std::strerror(err)), err);
  }
  return pid;
}

int wait_child_status(pid_t pid)
{
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw std::runtime_error(fmt::format("waitpid failed: {}", std::strerror(errno)));
  return status;
}

int exit_code(int wait_status)
{
  return WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status) : WEXITSTATUS(wait_status);
}

double cpu_seconds(const struct rusage& u)
{
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

int run_child(const ChildSpec& spec) { return exit_code(wait_child_status(start_child(spec))); }

std::string self_exe()
{
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    throw std::runtime_error("cannot find this executable (/proc/self/exe)");
  return std::string(buf, static_cast<size_t>(n));
}

std::string companion_executable(const std::string& name)
{
  return (std::filesystem::path(self_exe()).parent_path() / name).string();
}

std::vector<char*> c_strings(const std::vector<std::string>& v)
{
  std::vector<char*> out;
  for (const auto& s : v)
    out.push_back(const_cast<char*>(s.c_str())); // exec and posix_spawn read them only
  out.push_back(nullptr);
  return out;
}

void exec_in_place(std::vector<std::string> argv)
{
  std::vector<char*> args = c_strings(argv);
  flush_output();
  ::execv(args[0], args.data());
  const int err = errno;
  throw ChildStartError("cannot start " + argv[0] + ": " + std::strerror(err), err);
}

void set_self_runner(std::function<int(const std::vector<std::string>&)> runner)
{
  self_runner() = std::move(runner);
}

// The script of a POSIX shell's `-c` line (sh, bash or dash, -c, the script: nothing else), or nullptr.
static const std::string* shell_script(const std::vector<std::string>& argv)
{
  if (argv.size() != 3 || argv[1] != "-c")
    return nullptr;
  const std::string shell = argv[0].substr(argv[0].rfind('/') + 1);
  return shell == "sh" || shell == "bash" || shell == "dash" ? &argv[2] : nullptr;
}

std::optional<std::vector<std::string>> simple_command(const std::vector<std::string>& argv)
{
  const std::string* script = shell_script(argv);
  if (!script)
    return std::nullopt;
  // Letters, digits and the few punctuation marks no POSIX shell (nor bash) expands, quotes or splits on; words
  // separated by blanks. Anything else (quotes, $, globs, ~, redirections, separators, #, !, braces, backslashes,
  // newlines) leaves the line to the shell.
  auto plain = [](unsigned char c) {
    return c != 0 && (std::isalnum(c) || std::strchr("_-./=+,:@", c) != nullptr);
  };
  std::vector<std::string> words;
  const std::string& line = *script;
  for (size_t i = 0; i < line.size();) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == ' ' || c == '\t') {
      ++i;
      continue;
    }
    if (!plain(c))
      return std::nullopt;
    size_t start = i;
    while (i < line.size() && plain(static_cast<unsigned char>(line[i])))
      ++i;
    words.push_back(line.substr(start, i - start));
  }
  // The shell's own commands (which may differ from the programs of the same name, or act on the shell itself), its
  // reserved words, and a leading assignment (VAR=value cmd) stay with the shell.
  static const std::set<std::string> shells_own = {
      ".",     ":",       "[",      "alias",  "bg",     "break", "case", "cd",     "command", "continue",
      "echo",  "eval",    "exec",   "exit",   "export", "false", "fc",   "fg",     "for",     "getopts",
      "hash",  "if",      "jobs",   "kill",   "local",  "printf", "pwd", "read",   "readonly", "return",
      "set",   "shift",   "source", "test",   "times",  "trap",  "true", "type",   "ulimit",  "umask",
      "unalias", "unset", "until",  "wait",   "while"};
  if (words.empty() || shells_own.count(words[0]) || words[0].find('=') != std::string::npos)
    return std::nullopt;
  return words;
}

bool prints_only(const std::vector<std::string>& argv)
{
  const std::string* script = shell_script(argv);
  if (!script)
    return false;
  const std::string& line = *script;
  if (line.find_first_of(";&|<>`\n") != std::string::npos || line.find("$(") != std::string::npos)
    return false;
  size_t start = line.find_first_not_of(" \t");
  if (start == std::string::npos)
    return false;
  size_t end = line.find_first_of(" \t", start);
  static const std::set<std::string> printing = {"echo", "printf", "true", "false", ":"};
  return printing.count(line.substr(start, end == std::string::npos ? std::string::npos : end - start)) > 0;
}

ChildSpec self_child(const std::vector<std::string>& args, const std::string& log_file)
{
  ChildSpec c;
  c.self = true;
  c.argv = {self_exe()};
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  c.log_file = log_file;
  return c;
}

ChildSpec python_child(const std::vector<std::string>& args, const std::string& log_file)
{
  ChildSpec c;
  bool debian = access("/usr/bin/python3", X_OK) == 0;
  c.argv = {debian ? "/usr/bin/python3" : "python3"};
  c.search_path = !debian;
  c.argv.insert(c.argv.end(), args.begin(), args.end());
  c.log_file = log_file;
  return c;
}

} // namespace spritesim
