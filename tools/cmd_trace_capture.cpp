// `spritesim trace capture --out T.json -- make [ARGS]`: runs a real GNU make with SHELL pointing at the lean
// `spritesim-capture-shim` (tools/capture_shim.hpp), which runs the real shell for each recipe line, times it, takes
// its rusage and appends one record to a per-build log; the records become a build trace (workloads/capture).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/child_process.hpp"
#include "core/input_error.hpp"
#include "core/output_files.hpp"
#include "core/results.hpp"
#include "real/net.hpp"
#include "tools/capture_shim.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"
#include "workloads/capture.hpp"

namespace spritesim {

namespace {

namespace fs = std::filesystem;
using namespace capture;

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
  auto value = [&]() -> const std::string& { return option_value(args, i, "spritesim trace capture"); };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      o.make_argv.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a == "--out")
      o.out = value();
    else if (a == "--profile")
      o.profile = value();
    else if (a == "--name")
      o.name = value();
    else if (a == "--shell")
      o.shell = value();
    else if (a == "--records")
      o.records = value();
    else if (a == "--quiet")
      o.quiet = true;
    else if (a == "--migd")
      o.migd = value();
    else if (a == "--secret")
      o.secret = value();
    else if (a == "--home")
      o.home = value();
    else
      reject_argument("spritesim trace capture", a, "the build command goes after --");
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

// The one-word SHELL make runs: a link in `tmp` to the lean shim next to this executable (no SimGrid to load: a
// few milliseconds per recipe line). Under .ONESHELL make takes SHELL as a program path, so it cannot carry
// arguments, and its path must not hold what make would split or expand.
std::string write_wrapper(const fs::path& tmp)
{
  const fs::path shim = companion_executable(SHIM_EXECUTABLE);
  if (::access(shim.c_str(), X_OK) != 0)
    throw std::runtime_error(fmt::format("{} is missing beside this executable (it is built and installed with it)",
                                         shim.string()));
  std::string wrapper = (tmp / "sh").string();
  if (wrapper.find_first_of(" \t\n\"'\\$") != std::string::npos)
    throw UsageError(fmt::format("the temporary directory ({}) holds a character make would split or expand in "
                                 "SHELL; set TMPDIR to a plain path", wrapper));
  fs::create_symlink(shim, wrapper);
  return wrapper;
}

// make's environment: the record log and the real shell for the shim, and real mode's coordinator. The top make
// has no enclosing recipe, even when this capture itself runs inside a captured build.
std::vector<std::string> make_environment(const CaptureOptions& o, const std::string& log)
{
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
  return env;
}

// Runs make to its end: its wall time, its own CPU (children excluded) and its exit status into `run`.
void run_make(const Args& make_argv, const std::vector<std::string>& env, MakeRun& run)
{
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
}

// The records of the log become the trace file (and the raw log, when asked for).
void write_capture(const CaptureOptions& o, const MakeRun& run, const std::string& log)
{
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
    // What capturing cost, beyond the build: each shim's own CPU (its record says) and this command's.
    double shims_s = 0;
    for (const auto& r : records)
      shims_s += r.shim_cpu_s;
    rusage self{};
    getrusage(RUSAGE_SELF, &self);
    const double lines = static_cast<double>(std::max<size_t>(records.size(), 1));
    fmt::print(stderr, "spritesim trace capture: {} jobs ({} compiles, {} links), make exit status {}, {:.2f} s; "
                       "trace written to {}; capturing cost {:.2f} ms of CPU per recipe line (the shims {:.2f}, "
                       "this command {:.2f})\n",
               trace.jobs.size(), compiles, links, run.exit_status, run.end_s - run.start_s, o.out,
               (shims_s + cpu_seconds(self)) / lines * 1e3, shims_s / lines * 1e3, cpu_seconds(self) / lines * 1e3);
  }
}

} // namespace

int cmd_trace_capture(const Args& all_args)
{
  Args args = all_args;
  if (!args.empty() && args[0] == "capture")
    args.erase(args.begin());
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    fmt::print("{}\n\nRuns GNU make with SHELL pointing at a recording shim and writes every recipe it ran (argv, cwd, "
               "target, times, CPU, exit status, dependencies) as a build trace. Details: docs/capture.md.\n",
               CAPTURE_USAGE);
    return 0;
  }
  CaptureOptions o = parse_options(args);
  std::string tmpl = (fs::temp_directory_path() / "spritesim-capture-XXXXXX").string();
  if (!mkdtemp(tmpl.data()))
    throw std::runtime_error(fmt::format("cannot create a temporary directory: {}", std::strerror(errno)));
  fs::path tmp(tmpl);
  std::string log = (tmp / "records.jsonl").string();
  // The target and prerequisites reach the shim as command-line variables, which make exports to each recipe
  // expanded for that recipe's target, and which reach recursive makes through MAKEFLAGS.
  Args make_argv = o.make_argv;
  make_argv.insert(make_argv.begin() + 1,
                   {"SHELL=" + write_wrapper(tmp), std::string(ENV_TARGET) + "=$@",
                    fmt::format("{}=$(wordlist 1,{},$^ $|)", ENV_PREREQS, MAX_PREREQS)});
  MakeRun run;
  run.argv = o.make_argv;
  run.cwd = fs::current_path().string();
  run.reference_profile = o.profile;
  run.name = o.name.empty() ? fs::path(run.cwd).filename().string() : o.name;
  run_make(make_argv, make_environment(o, log), run);
  int result = run.exit_status;
  try {
    write_capture(o, run, log);
  } catch (const InputError& e) {
    fmt::print(stderr, "spritesim trace capture: error: {}; no trace written\n", e.what());
    if (result == 0)
      result = EXIT_BAD_INPUT;
  }
  std::error_code ignored;
  fs::remove_all(tmp, ignored);
  return result;
}

} // namespace spritesim
