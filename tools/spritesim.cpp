// spritesim: the command-line entry point. Dispatches to the verbs in tools/cmd_*.cpp and turns every kind of
// failure into one clear message and its exit status (core/results.hpp; never a crash or a core dump). The
// simulating verbs run in spritesim-sim, which this program becomes (exec) for them: only that one loads SimGrid.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/child_process.hpp"
#include "core/results.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

using namespace spritesim;

static const char* USAGE = R"(usage: spritesim VERB [ARGS]   (spritesim VERB --help: a verb's own usage)
       spritesim --version

  run CONFIG.json [--out DIR] [--seed N] [--set json.path=value]... [--timeline FILE]
                           simulate one experiment; writes results.json, jobs.csv, migrations.csv, hosts.csv,
                           evictions.csv, decisions.csv, owners.csv, config.resolved.json into DIR (default
                           results/NAME);
                           --timeline writes a Chrome/Perfetto trace of the run
  reproduce [--out DIR] [--jobs N]
                           run every paper figure in configs/reproduction/ (embedded) and write the report
                           (report.md), speedup.csv and the figures into DIR (default reproduction)
  policies                 list the policies with their parameters and defaults
  calibrate --profile P [--out DIR]
                           micro-benchmarks of the migration path in the simulator beside SPE91 Table 1
  sweep SWEEP.json [--out DIR] [--jobs N] [--shard I/N] [--merge DIR...]
                           a matrix of runs over config paths and seeds; sweep.csv and a summary with 95% CIs
  trace SUBVERB ...        build traces: capture, info, generate, import-ninja (spritesim trace --help)
  validate [--kind config|sweep|trace] FILE...
                           check experiment configs, sweeps and traces (and the files a config names) without
                           running anything, with the loaders `run` and `sweep` use
  host-profile [--out FILE]
                           measure this machine (CPU speed, process start cost) as a workstation profile

Real mode (docs/real-mode.md; each verb has --help):
  agent --port P --secret FILE (--idle-probe SPEC | --owner-control FILE)
                           one per workstation: reports load and console idleness, runs foreign commands
  migd --port P --secret FILE --agents HOST:PORT,... [--state FILE]
                           the coordinator: the same policies as the simulator, on real hosts (--state and its
                           journal are created mode 0600: they hold the job-token key)
      agent and migd also take --handshake-timeout S (a peer's whole handshake, 5 s by default) and
      --max-unauthenticated N (peers in their handshake at once, 64 by default; one more drops the oldest)
  rexec [--migd HOST:PORT] [--secret FILE] [--require-remote] -- CMD...
                           run a command where migd says, as if it ran here (also as spritesim-rexec)
  make [--migd HOST:PORT] [--secret FILE] [--shell-flags F] [--require-remote] [--] MAKE-ARGS...
                           GNU make with every recipe sent through rexec (SHELL=spritesim-rexec), as pmake did;
                           migd unreachable or refusing is said once and the recipes run here, unless
                           --require-remote (then it fails)
  status [--migd HOST:PORT] [--secret FILE] [--watch S] [--json]
                           the coordinator's hosts (state, idleness, load, jobs; why one takes no foreign work)
                           and jobs (where, for how long), like condor_status and icemon

Docs: README.md, docs/ (configs, outputs, cost model, owners, policies, sweeps, studies, trace format, capture,
real mode, the month-long run).

Exit status (docs/outputs.md); rexec and make exit with their command's status instead:
)";

// The usage, then each exit status with its meaning (core/results.hpp), so that the two cannot disagree.
static std::string usage_text()
{
  std::string text = USAGE;
  for (int code : {0, EXIT_RUN_FAILED, EXIT_USAGE, EXIT_INVALID_RUN, EXIT_BAD_INPUT, EXIT_INTERNAL_ERROR})
    text += fmt::format("  {}  {}\n", code, exit_status_meaning(code));
  return text + "  128+N  killed by signal N\n";
}

static std::string simgrid_text()
{
#ifdef SPRITESIM_SIM_PROGRAM
  return "with SimGrid " SPRITESIM_SIMGRID_VERSION;
#else
  return "without SimGrid";
#endif
}

// The verbs spritesim-sim runs (tools/spritesim_sim.cpp); validate too, as it checks a config with the simulator's
// own loaders when there is a simulator.
static const char* const SIMULATING_VERBS[] = {"run", "baseline", "reproduce", "calibrate", "sweep", "validate"};

static bool is_simulating(const std::string& verb)
{
  for (const char* v : SIMULATING_VERBS)
    if (verb == v)
      return true;
  return false;
}

#ifdef SPRITESIM_SIM_PROGRAM
// Becomes spritesim-sim with the same arguments.
[[noreturn]] static void exec_simulator(const Args& args)
{
  std::vector<std::string> argv{companion_executable(SPRITESIM_SIM_PROGRAM)};
  argv.insert(argv.end(), args.begin(), args.end());
  exec_in_place(std::move(argv));
}
#endif

static int dispatch(const Args& args)
{
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(usage_text().c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? EXIT_USAGE : 0;
  }
  if (args[0] == "--version" || args[0] == "-V") {
    fmt::print("{}\n", version_line("spritesim", simgrid_text()));
    return 0;
  }
  std::string verb = args[0];
  Args rest(args.begin() + 1, args.end());
  return run_verb("spritesim " + verb, [&] {
#ifdef SPRITESIM_SIM_PROGRAM
    if (is_simulating(verb))
      exec_simulator(args);
#endif
    static const std::map<std::string, int (*)(const Args&)> verbs = {
        {"policies", cmd_policies},
        {"columns", cmd_columns},
        {"trace", cmd_trace},
        {"host-profile", cmd_host_profile},
        {"agent", cmd_agent},
        {"migd", cmd_coordinator},
        {"rexec", cmd_rexec},
        {"make", cmd_make},
        {"status", cmd_status},
#ifndef SPRITESIM_SIM_PROGRAM
        {"validate", cmd_validate},
#endif
    };
    if (auto it = verbs.find(verb); it != verbs.end())
      return it->second(rest);
    if (is_simulating(verb))
      throw UsageError(fmt::format("\"{}\" simulates, and this spritesim was built without SimGrid "
                                   "(meson -Dsim=disabled); rebuild with libsimgrid-dev installed",
                                   verb));
    std::vector<std::string> names;
    for (const auto& [name, fn] : verbs)
      names.push_back(name);
#ifdef SPRITESIM_SIM_PROGRAM
    for (const char* v : SIMULATING_VERBS)
      if (std::string(v) != "baseline")
        names.push_back(v);
    std::sort(names.begin(), names.end());
#endif
    throw UsageError(fmt::format("unknown verb \"{}\" ({}; see spritesim --help)", verb, fmt::join(names, ", ")));
  });
}

int main(int argc, char** argv) { return dispatch(Args(argv + 1, argv + argc)); }
