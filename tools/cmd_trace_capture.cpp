// `spritesim trace capture --out T.json -- make [ARGS]`: runs a real GNU make with SHELL pointing at a wrapper that
// execs this executable in its hidden `--shell-shim` mode, which runs the real shell for each recipe line, times it,
// takes its rusage and appends one record to a per-build log; the records become a build trace (workloads/capture).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/output_files.hpp"
#include "real/net.hpp"
#include "real/rexec.hpp"
#include "core/child_process.hpp"
#include "tools/commands.hpp"
#include "workloads/capture.hpp"

extern char** environ;

namespace spritesim {

namespace {

namespace fs = std::filesystem;

constexpr const char* ENV_LOG = "SPRITESIM_CAPTURE_LOG";       // the per-build record log
constexpr const char* ENV_SHELL = "SPRITESIM_CAPTURE_SHELL";   // the real shell recipes run in
constexpr const char* ENV_PARENT = "SPRITESIM_CAPTURE_PARENT"; // record id of the recipe that runs a sub-make
constexpr const char* ENV_TARGET = "SPRITESIM_CAPTURE_TARGET";   // $@ of the recipe (a make variable, exported)
constexpr const char* ENV_PREREQS = "SPRITESIM_CAPTURE_PREREQS"; // its $^ $| (first MAX_PREREQS of them)
constexpr const char* ENV_MIGD = "SPRITESIM_CAPTURE_MIGD";     // real mode: the coordinator recipes go through
constexpr const char* ENV_SECRET = "SPRITESIM_CAPTURE_SECRET"; // and its secret file
constexpr const char* ENV_HOME = "SPRITESIM_CAPTURE_HOME";     // and this machine's name for it
constexpr int MAX_PREREQS = 2000; // keeps the variable under Linux's 128 KiB limit for one environment string

double clock_s(clockid_t clock)
{
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double tv_s(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6; }

// utime+stime and cutime+cstime of a process from /proc/PID/stat (fields 14-17, clock ticks); false if unreadable.
bool proc_cpu(pid_t pid, double& self_s, double& children_s)
{
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')'); // the command name may hold spaces and parentheses
  if (close == std::string::npos)
    return false;
  std::istringstream rest(text.substr(close + 1));
  std::string field;
  double ticks[4] = {0, 0, 0, 0};
  for (int i = 3; i <= 17 && rest >> field; ++i)
    if (i >= 14)
      ticks[i - 14] = std::strtod(field.c_str(), nullptr);
  double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  self_s = (ticks[0] + ticks[1]) / hz;
  children_s = (ticks[2] + ticks[3]) / hz;
  return true;
}

// The environment for a child, with `name` set to `value` (replaced if present).
std::vector<std::string> env_with(const std::string& name, const std::string& value)
{
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, name.c_str(), name.size()) != 0 || (*e)[name.size()] != '=')
      env.emplace_back(*e);
  env.push_back(name + "=" + value);
  return env;
}

// Starts a program with default SIGINT/SIGQUIT handling in the child (the caller ignores them while it waits, like
// system(): a ^C reaches the whole process group and the child decides what it means).
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

struct IgnoreInterrupts {
  struct sigaction old_int {}, old_quit {};
  IgnoreInterrupts()
  {
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
  }
  ~IgnoreInterrupts()
  {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGQUIT, &old_quit, nullptr);
  }
};

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

// The words of a space-separated list (make's $^ holds no other separators).
std::vector<std::string> words_of(const char* text)
{
  std::vector<std::string> out;
  std::istringstream in(text ? text : "");
  std::string w;
  while (in >> w)
    out.push_back(w);
  return out;
}

// The hidden mode. make runs `WRAPPER FLAGS LINE` (`WRAPPER 'FLAGS' SCRIPT` under .ONESHELL), the wrapper execs
// `SELF trace capture --shell-shim FLAGS LINE`, and the target and prerequisites arrive in the environment.
int run_shell_shim(const Args& args)
{
  ShellRecord rec;
  const char* target = std::getenv(ENV_TARGET);
  rec.target = target ? target : "";
  rec.prereqs = words_of(std::getenv(ENV_PREREQS));
  const char* shell = std::getenv(ENV_SHELL);
  const char* log = std::getenv(ENV_LOG);
  rec.argv.push_back(shell && *shell ? shell : "/bin/sh");
  rec.argv.insert(rec.argv.end(), args.begin() + 1, args.end());

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
    real::RexecReport report;
    int code = real::rexec(ro, &report);
    status = code > 128 && code < 128 + NSIG ? (code - 128) & 0x7f : (code & 0xff) << 8; // as a wait status
    rec.end_s = clock_s(CLOCK_MONOTONIC);
    rec.cpu_s = report.cpu_s;
  } else {
    rusage ru{};
    {
      IgnoreInterrupts quiet;
      pid_t pid = spawn(rec.argv, env, false);
      while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR)
          throw std::runtime_error(fmt::format("wait4 failed: {}", std::strerror(errno)));
    }
    rec.end_s = clock_s(CLOCK_MONOTONIC);
    rec.cpu_s = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
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
  rec.shim_cpu_s = tv_s(self.ru_utime) + tv_s(self.ru_stime);

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

const char* const CAPTURE_USAGE =
    "usage: spritesim trace capture --out T.json|T.jsonl [--profile P] [--name N] [--shell PATH] [--records LOG] "
    "[--quiet] [--migd HOST:PORT --secret FILE [--home NAME]] -- make [ARGS]";

struct CaptureOptions {
  std::string out;
  std::string profile = "host";
  std::string name;
  std::string shell = "/bin/sh";
  std::string records;
  std::string migd, secret, home; ///< real mode: every recipe through this coordinator (docs/real-mode.md)
  bool quiet = false;
  Args make_argv;
};

CaptureOptions parse_options(const Args& args)
{
  CaptureOptions o;
  size_t i = 0;
  auto value = [&](const std::string& opt) {
    if (i + 1 >= args.size())
      throw UsageError(opt + " needs a value");
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      o.make_argv.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a == "--out")
      o.out = value(a);
    else if (a == "--profile")
      o.profile = value(a);
    else if (a == "--name")
      o.name = value(a);
    else if (a == "--shell")
      o.shell = value(a);
    else if (a == "--records")
      o.records = value(a);
    else if (a == "--quiet")
      o.quiet = true;
    else if (a == "--migd")
      o.migd = value(a);
    else if (a == "--secret")
      o.secret = value(a);
    else if (a == "--home")
      o.home = value(a);
    else
      throw UsageError(fmt::format("unknown option \"{}\" ({})", a, CAPTURE_USAGE));
  }
  if (o.out.empty())
    throw UsageError("--out T.json (or T.jsonl) is required");
  if (!o.migd.empty() && o.secret.empty())
    throw UsageError("--migd needs --secret FILE (the real-mode shared secret)");
  if (!o.migd.empty())
    (void)real::parse_endpoint(o.migd, "--migd"); // a bad address is an error now, not in every recipe
  if (o.make_argv.empty())
    throw UsageError("give the build command after --, e.g. spritesim trace capture --out T.json -- make -j2");
  return o;
}

std::string join_words(const Args& argv)
{
  std::string out;
  for (const auto& a : argv)
    out += (out.empty() ? "" : " ") + a;
  return out;
}

} // namespace

int cmd_trace_capture(const Args& all_args)
{
  Args args = all_args;
  if (!args.empty() && args[0] == "capture")
    args.erase(args.begin());
  if (!args.empty() && args[0] == "--shell-shim")
    return run_shell_shim(args);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    fmt::print("{}\n\nRuns GNU make with SHELL pointing at a recording shim and writes every recipe it ran (argv, cwd, "
               "target, times, CPU, exit status, dependencies) as a build trace. Details: docs/capture.md.\n",
               CAPTURE_USAGE);
    return 0;
  }
  CaptureOptions o = parse_options(args);

  std::string self = self_exe();
  std::string tmpl = (fs::temp_directory_path() / "spritesim-capture-XXXXXX").string();
  if (!mkdtemp(tmpl.data()))
    throw std::runtime_error(fmt::format("cannot create a temporary directory: {}", std::strerror(errno)));
  fs::path tmp(tmpl);
  std::string log = (tmp / "records.jsonl").string();
  std::string wrapper = (tmp / "sh").string();
  if (wrapper.find_first_of(" \t\n\"'\\$") != std::string::npos || self.find('\'') != std::string::npos)
    throw UsageError(fmt::format("the temporary directory ({}) or this executable's path ({}) holds a character "
                                 "make would split or expand in SHELL; set TMPDIR to a plain path", wrapper, self));
  // SHELL must be one word: under .ONESHELL make takes it as a program path. The target and prerequisites reach
  // the shim as command-line variables, which make exports to each recipe expanded for that recipe's target, and
  // which reach recursive makes through MAKEFLAGS.
  write_file_atomic(wrapper, fmt::format("#!/bin/sh\n# spritesim trace capture: the SHELL make runs\n"
                                         "exec '{}' trace capture --shell-shim \"$@\"\n", self));
  fs::permissions(wrapper, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  Args make_argv = o.make_argv;
  make_argv.insert(make_argv.begin() + 1,
                   {"SHELL=" + wrapper, std::string(ENV_TARGET) + "=$@",
                    fmt::format("{}=$(wordlist 1,{},$^ $|)", ENV_PREREQS, MAX_PREREQS)});
  // The top make has no enclosing recipe, even when this capture itself runs inside a captured build.
  std::vector<std::string> env;
  for (auto& e : env_with(ENV_LOG, log))
    if (e.rfind(std::string(ENV_SHELL) + "=", 0) != 0 && e.rfind(std::string(ENV_PARENT) + "=", 0) != 0)
      env.push_back(e);
  env.push_back(std::string(ENV_SHELL) + "=" + o.shell);
  if (!o.migd.empty()) {
    char host[256] = "localhost";
    ::gethostname(host, sizeof host - 1);
    env.push_back(std::string(ENV_MIGD) + "=" + o.migd);
    env.push_back(std::string(ENV_SECRET) + "=" + fs::absolute(o.secret).string());
    env.push_back(std::string(ENV_HOME) + "=" + (o.home.empty() ? std::string(host) : o.home));
  }

  MakeRun run;
  run.argv = o.make_argv;
  run.cwd = fs::current_path().string();
  run.reference_profile = o.profile;
  run.name = o.name.empty() ? fs::path(run.cwd).filename().string() : o.name;
  int status = 0;
  {
    IgnoreInterrupts quiet;
    run.start_s = clock_s(CLOCK_MONOTONIC);
    pid_t pid = spawn(make_argv, env, true);
    siginfo_t info{};
    // Wait without reaping first: make's own CPU (children excluded) is still in /proc/PID/stat.
    while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    run.end_s = clock_s(CLOCK_MONOTONIC);
    double children = 0;
    if (!proc_cpu(pid, run.self_cpu_s, children))
      run.self_cpu_s = -1;
    while (waitpid(pid, &status, 0) < 0)
      if (errno != EINTR)
        throw std::runtime_error(fmt::format("waitpid failed: {}", std::strerror(errno)));
  }
  run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

  int result = run.exit_status;
  try {
    std::string text = fs::exists(log) ? read_text_file(log) : std::string();
    auto records = parse_capture_log(text, log);
    BuildTrace trace = assemble_trace(records, run, log);
    // sequential_s stays 0 (unknown): the captured build's wall time includes the shim's own start-up per line.
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    trace.source = fmt::format("spritesim trace capture on {} in {}: `{}` (exit status {}, {:.3f} s wall, {} shell "
                               "invocations recorded, make's own CPU {:.3f} s)",
                               host, run.cwd, join_words(o.make_argv), run.exit_status, run.end_s - run.start_s,
                               records.size(), run.self_cpu_s);
    save_trace_file(trace, o.out);
    if (!o.records.empty())
      write_file_atomic(o.records, text);
    if (!o.quiet) {
      size_t compiles = 0, links = 0;
      for (const auto& j : trace.jobs)
        compiles += j.kind == "compile", links += j.kind == "link";
      fmt::print(stderr, "spritesim trace capture: {} jobs ({} compiles, {} links), make exit status {}, {:.2f} s; "
                         "trace written to {}\n",
                 trace.jobs.size(), compiles, links, run.exit_status, run.end_s - run.start_s, o.out);
    }
  } catch (const InputError& e) {
    fmt::print(stderr, "spritesim trace capture: error: {}; no trace written\n", e.what());
    if (result == 0)
      result = 2;
  }
  std::error_code ignored;
  fs::remove_all(tmp, ignored);
  return result;
}

} // namespace spritesim
