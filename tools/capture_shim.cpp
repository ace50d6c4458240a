// The recording shim of `spritesim trace capture` and the process helpers it shares with the verb (see
// capture_shim.hpp).
#include "tools/capture_shim.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/child_process.hpp"
#include "real/idle_probe.hpp"
#include "real/rexec.hpp"
#include "workloads/capture.hpp"

extern char** environ;

namespace spritesim::capture {

namespace {

namespace fs = std::filesystem;


// Exits the way the child did: same status, or killed by the same signal (make reports the two differently).
int exit_like(int status)
{
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    std::signal(sig, SIG_DFL);
    std::fflush(nullptr);
    kill(getpid(), sig);
    return 128 + sig;
  }
  return WEXITSTATUS(status);
}

} // namespace

double clock_s(clockid_t clock)
{
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}


// Fields 14-17 of /proc/PID/stat, in clock ticks. Plain reads, no streams: this runs once per recipe line, and
// the C++ streams' locale set-up costs more than the rest of the shim's own work.
bool proc_cpu(pid_t pid, double& self_s, double& children_s)
{
  int fd = ::open(fmt::format("/proc/{}/stat", pid).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0)
    return false;
  buf[n] = 0;
  const char* close = std::strrchr(buf, ')'); // the command name may hold spaces and parentheses
  if (!close)
    return false;
  std::vector<std::string> fields = real::split_words(close + 1); // field 3 (the state) onwards
  double ticks[4] = {0, 0, 0, 0};
  for (int i = 14; i <= 17 && static_cast<size_t>(i - 3) < fields.size(); ++i)
    ticks[i - 14] = std::strtod(fields[static_cast<size_t>(i - 3)].c_str(), nullptr);
  double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  self_s = (ticks[0] + ticks[1]) / hz;
  children_s = (ticks[2] + ticks[3]) / hz;
  return true;
}

std::vector<std::string> env_with(const std::string& name, const std::string& value)
{
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, name.c_str(), name.size()) != 0 || (*e)[name.size()] != '=')
      env.emplace_back(*e);
  env.push_back(name + "=" + value);
  return env;
}

pid_t spawn(std::vector<std::string> argv, std::vector<std::string> env, bool search)
{
  std::string program = argv.at(0);
  ChildSpec child;
  child.argv = std::move(argv);
  child.search_path = search;
  child.env = std::move(env);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  child.signals = {{SIGINT, dfl}, {SIGQUIT, dfl}};
  try {
    return start_child(child);
  } catch (const ChildStartError& e) {
    throw std::runtime_error(fmt::format("cannot start {}: {}", program, std::strerror(e.error)));
  }
}

IgnoreInterrupts::IgnoreInterrupts()
{
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ign, &old_int);
  sigaction(SIGQUIT, &ign, &old_quit);
}

IgnoreInterrupts::~IgnoreInterrupts()
{
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);
}


int run_shell_shim(const Args& args)
{
  ShellRecord rec;
  const char* target = std::getenv(ENV_TARGET);
  rec.target = target ? target : "";
  const char* prereqs = std::getenv(ENV_PREREQS); // make's $^ $|: space-separated
  rec.prereqs = real::split_words(prereqs ? prereqs : "");
  const char* shell = std::getenv(ENV_SHELL);
  const char* log = std::getenv(ENV_LOG);
  rec.argv.push_back(shell && *shell ? shell : "/bin/sh");
  rec.argv.insert(rec.argv.end(), args.begin(), args.end());

  rec.start_s = clock_s(CLOCK_MONOTONIC);
  double start_real = clock_s(CLOCK_REALTIME);
  rec.id = fmt::format("{}.{}", getpid(), static_cast<int64_t>(rec.start_s * 1e9));
  const char* parent = std::getenv(ENV_PARENT);
  rec.parent = parent ? parent : "";
  const char* level = std::getenv("MAKELEVEL");
  rec.make_level = level && *level ? std::atoll(level) - 1 : -1; // make exports its own level + 1 to recipes
  std::error_code ec;
  rec.cwd = fs::current_path(ec).string();
  if (!proc_cpu(getppid(), rec.make_cpu_s, rec.make_children_cpu_s))
    rec.make_cpu_s = rec.make_children_cpu_s = -1;
  for (char** e = environ; *e; ++e)
    rec.env_bytes += static_cast<int64_t>(std::strlen(*e) + 1);

  int status = 0;
  // The recipe sees the environment plain make would give it, plus the id of this record for nested makes.
  std::vector<std::string> env;
  for (auto& e : env_with(ENV_PARENT, rec.id))
    if (e.rfind(std::string(ENV_TARGET) + "=", 0) != 0 && e.rfind(std::string(ENV_PREREQS) + "=", 0) != 0)
      env.push_back(e);
  const char* migd = std::getenv(ENV_MIGD);
  if (migd && *migd) {
    // Real mode: the line runs where the coordinator says (real/rexec.hpp), and its CPU is the finished attempt's,
    // measured where it ran. rexec ships this process's environment, so it becomes the recipe's first.
    real::RexecOptions ro;
    ro.migd = migd;
    ro.secret_file = std::getenv(ENV_SECRET) ? std::getenv(ENV_SECRET) : "";
    ro.home = std::getenv(ENV_HOME) ? std::getenv(ENV_HOME) : "";
    ro.argv = rec.argv;
    ro.forward_stdin = false;
    ro.quiet = true;
    if (log && *log) // the capture's own directory: migd found unreachable is said once, not waited for per line
      ro.build_dir = fs::path(log).parent_path().string();
    ::clearenv();
    for (const auto& e : env)
      ::putenv(const_cast<char*>(e.c_str()));
    if (!rec.target.empty()) // the job is named after its target, as under spritesim make
      ::setenv(real::TARGET_ENV, rec.target.c_str(), 1);
    real::RexecReport report;
    int code = real::rexec(ro, &report);
    status = code > 128 && code < 128 + NSIG ? (code - 128) & 0x7f : (code & 0xff) << 8; // as a wait status
    rec.end_s = clock_s(CLOCK_MONOTONIC);
    rec.cpu_s = report.cpu_s;
  } else {
    rusage ru{};
    {
      IgnoreInterrupts quiet;
      // A simple command starts without the shell, as make would start it (the record still says the shell ran
      // it); one that cannot be started is left to the shell, which says why.
      pid_t pid = -1;
      if (auto direct = simple_command(rec.argv)) {
        try {
          pid = spawn(*direct, env, true);
        } catch (const std::runtime_error&) {
          pid = -1;
        }
      }
      if (pid < 0)
        pid = spawn(rec.argv, env, false);
      while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR)
          throw std::runtime_error(fmt::format("wait4 failed: {}", std::strerror(errno)));
    }
    rec.end_s = clock_s(CLOCK_MONOTONIC);
    rec.cpu_s = cpu_seconds(ru);
  }
  rec.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
  rec.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  struct stat st {};
  // File timestamps come from a coarse clock that may lag the precise one by a tick: allow 10 ms.
  if (!rec.target.empty() && stat(rec.target.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) * 1e-9 >= start_real - 0.01)
    rec.output_bytes = st.st_size;
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  rec.shim_cpu_s = cpu_seconds(self);

  if (log && *log) {
    // One write per record on an O_APPEND descriptor: records of parallel jobs never interleave.
    std::string line = to_json(rec).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    int fd = ::open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      std::fprintf(stderr, "spritesim trace capture: cannot append to %s: %s\n", log, std::strerror(errno));
    if (fd >= 0)
      ::close(fd);
  }
  return exit_like(status);
}

} // namespace spritesim::capture
