// `spritesim run CONFIG`: one experiment. The config is checked completely before anything is written; the
// sequential baseline (for the speedup) is simulated in a forked child, since SimGrid runs once per process.
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/experiment.hpp"
#include "core/output_files.hpp"
#include "core/results.hpp"
#include "core/timeline.hpp"
#include "sim/simulation.hpp"
#include "tools/commands.hpp"

namespace spritesim {

namespace {

// The build on one idle host without migration, as TH90 measured the sequential time: no owner (an owner trace
// naming other workstations would not even apply to one host).
ExperimentSpec sequential_variant(ExperimentSpec s)
{
  s.platform.workstations = 1;
  s.owners.model = "none";
  s.owners.trace.clear();
  s.workload.migrate = false;
  s.workload.max_jobs = 1;
  s.workload.max_local = 1;
  return s;
}

bool is_sequential(const ExperimentSpec& s)
{
  return s.platform.workstations == 1 || !s.workload.migrate || s.workload.max_jobs == 1;
}

double simulate_in_child(const ExperimentSpec& spec)
{
  int fds[2];
  if (pipe(fds) != 0)
    throw std::runtime_error(fmt::format("pipe failed: {}", std::strerror(errno)));
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    close(fds[0]);
    std::string msg;
    try {
      msg = fmt::format("ok {:.17g}", run_simulation(spec, prepare_simulation(spec)).makespan_s);
    } catch (const InvariantViolation& e) {
      msg = std::string("invalid ") + e.what();
    } catch (const std::exception& e) {
      msg = std::string("error ") + e.what();
    }
    ssize_t ignored = write(fds[1], msg.data(), msg.size());
    (void)ignored;
    _exit(0);
  }
  close(fds[1]);
  std::string got;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      break;
    got.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got.rfind("ok ", 0) == 0)
    return std::stod(got.substr(3));
  if (got.rfind("invalid ", 0) == 0)
    throw InvariantViolation("the sequential baseline (one host, no migration): " + got.substr(8));
  if (got.rfind("error ", 0) == 0)
    throw std::runtime_error("the sequential baseline (one host, no migration) failed: " + got.substr(6));
  throw std::runtime_error(
      WIFSIGNALED(status)
          ? fmt::format("the sequential baseline's simulation was killed by signal {} ({}): a bug, please report it "
                        "with this config",
                        WTERMSIG(status), strsignal(WTERMSIG(status)))
          : fmt::format("the sequential baseline's simulation exited with status {} without a result",
                        WEXITSTATUS(status)));
}

} // namespace

int cmd_run(const Args& args)
{
  std::string config, out, timeline;
  std::vector<std::string> sets;
  long long seed = -1;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* flag) {
      if (i + 1 >= args.size())
        throw UsageError(fmt::format("{} needs a value", flag));
      return args[++i];
    };
    if (a == "--out")
      out = value("--out");
    else if (a == "--set")
      sets.push_back(value("--set"));
    else if (a == "--timeline")
      timeline = value("--timeline");
    else if (a == "--seed") {
      std::string v = value("--seed");
      char* end = nullptr;
      errno = 0;
      seed = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || errno || seed < 0 || seed > 2147483647)
        throw UsageError(fmt::format("--seed expects an integer in [0, 2147483647], got \"{}\"", v));
    } else if (!a.empty() && a[0] == '-')
      throw UsageError(fmt::format("unknown option {} (see spritesim --help)", a));
    else if (config.empty())
      config = a;
    else
      throw UsageError(fmt::format("unexpected argument \"{}\": run takes one CONFIG", a));
  }
  if (config.empty())
    throw UsageError("run needs a CONFIG.json");
  ExperimentSpec spec = load_experiment(config, sets);
  if (seed >= 0)
    spec.seed = static_cast<uint64_t>(seed);
  if (out.empty())
    out = "results/" + spec.name;
  // A bad profile, trace or policy fails here, before any simulation; blamed on the --set that wrote it, if any.
  SimInputs inputs = [&] {
    try {
      return prepare_simulation(spec);
    } catch (const InputError& e) {
      throw blame_set_override(e, spec.file, sets);
    }
  }();
  prepare_output_dir(out, "--out " + out);       // and so do paths the results could not be written to
  if (!timeline.empty())
    check_output_file(timeline, "--timeline " + timeline);

  double baseline = 0;
  bool with_baseline = spec.workload.baseline == "sequential" && spec.workload.kind == "pmake";
  if (with_baseline)
    baseline = is_sequential(spec) ? 0 : simulate_in_child(sequential_variant(spec));
  RunResult r = run_simulation(spec, std::move(inputs));
  r.baseline_makespan_s = with_baseline ? (baseline > 0 ? baseline : r.makespan_s) : 0;
  if (!timeline.empty())
    write_timeline(timeline, r); // Chrome/Perfetto trace events (docs/sweeps.md); before results.json, which ends a run
  write_run_outputs(out, r, to_json(spec), spec.seed, SPRITESIM_VERSION);
  fmt::print("{}: makespan {:.1f} s", spec.name, r.makespan_s);
  if (r.baseline_makespan_s > 0)
    fmt::print(", speedup {:.2f} over {:.1f} s sequential", r.baseline_makespan_s / r.makespan_s,
               r.baseline_makespan_s);
  fmt::print(" -> {}/results.json\n", out);
  return 0;
}

} // namespace spritesim
