// `spritesim run CONFIG`: one experiment (experiments/run_experiment.hpp); and the hidden `baseline` verb a run or a
// sweep starts to simulate a sequential baseline in a process of its own.
#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "experiments/run_experiment.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

namespace spritesim {

namespace {

const char* const RUN_USAGE =
    "usage: spritesim run CONFIG.json [--out DIR] [--seed N] [--set json.path=value]... [--timeline FILE]\n"
    "  simulate one experiment; writes results.json, jobs.csv, migrations.csv, hosts.csv, evictions.csv,\n"
    "  decisions.csv, owners.csv, config.resolved.json into DIR (default results/NAME). CONFIG may be a sweep or\n"
    "  figure file: then one cell of its matrix runs, at the sweep's first seed\n"
    "  --cell N          which cell of a sweep or figure file (1-based, in the sweep's order; default 1)\n"
    "  --seed N          the run's seed, in [0, 2147483647] (default: the config's)\n"
    "  --set PATH=VALUE  override one config value (a JSON value; repeatable)\n"
    "  --timeline FILE   also write a Chrome/Perfetto trace of the run\n"
    "  --baseline-file F read the sequential baseline from F, a sweep's cache file, instead of simulating it\n"
    "Configs: docs/configs.md; outputs: docs/outputs.md.";

const char* const BASELINE_USAGE =
    "usage: spritesim baseline CONFIG.json --to FILE [--seed N] [--set json.path=value]...\n"
    "  simulate the sequential baseline of an experiment (one host, no migration) and write its makespan into\n"
    "  FILE; `run` and `sweep` start it themselves";

// An integer option's value in [lo, hi].
long long integer_option(const char* flag, const std::string& v, long long lo, long long hi)
{
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end || errno || n < lo || n > hi)
    throw UsageError(fmt::format("{} expects an integer in [{}, {}], got \"{}\"", flag, lo, hi, v));
  return n;
}

// run's and baseline's arguments: the experiment, and the options each takes.
RunRequest parse_run(const Args& args, bool baseline, std::string& to)
{
  RunRequest req;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      return option_value(args, i, baseline ? "spritesim baseline" : "spritesim run");
    };
    if (a == "--set")
      req.sets.push_back(value());
    else if (a == "--seed")
      req.seed = static_cast<uint64_t>(integer_option("--seed", value(), 0, 2147483647));
    else if (!baseline && a == "--cell")
      req.cell = integer_option("--cell", value(), 1, 1000000000);
    else if (!baseline && a == "--out")
      req.out = value();
    else if (!baseline && a == "--timeline")
      req.timeline = value();
    else if (!baseline && a == "--baseline-file")
      req.baseline_file = value();
    else if (baseline && a == "--to")
      to = value();
    else if (req.config.empty() && !(a.size() > 1 && a[0] == '-'))
      req.config = a;
    else
      reject_argument(baseline ? "spritesim baseline" : "spritesim run", a, req.config.empty() ? "" : (baseline ? "baseline" : "run") + std::string(" takes one CONFIG"));
  }
  if (req.config.empty())
    throw UsageError(fmt::format("{} needs a CONFIG.json", baseline ? "baseline" : "run"));
  if (baseline && to.empty())
    throw UsageError("baseline needs --to FILE");
  return req;
}

} // namespace

int cmd_run(const Args& args)
{
  if (asked_for_help(args, RUN_USAGE))
    return 0;
  std::string unused;
  return run_experiment(parse_run(args, false, unused));
}

int cmd_baseline(const Args& args)
{
  if (asked_for_help(args, BASELINE_USAGE))
    return 0;
  std::string to;
  RunRequest req = parse_run(args, true, to);
  return run_baseline(req, to);
}

} // namespace spritesim
