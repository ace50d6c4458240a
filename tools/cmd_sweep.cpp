// `spritesim sweep SWEEP.json`: a matrix of runs (experiments/sweep_runner.hpp). Manual: docs/sweeps.md.
#include <fmt/format.h>

#include "experiments/sweep_runner.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

namespace spritesim {

namespace {

const char* const SWEEP_USAGE =
    "usage: spritesim sweep SWEEP.json [--out DIR] [--jobs N] [--shard I/N] [--merge DIR...]\n"
    "  run a matrix of experiments over config paths and seeds, N at a time (default 2), into DIR (default\n"
    "  sweeps/NAME): one folder per run, sweep.csv and sweep-summary.csv with 95% CIs. Finished runs are kept:\n"
    "  rerun the same command to resume after a failure or ^C.\n"
    "  --shard I/N       run only the runs of shard I of N (index % N == I - 1), e.g. one per cluster job\n"
    "  --merge DIR...    copy the finished runs of other folders of the same sweep in, then write the tables\n"
    "Manual: docs/sweeps.md.";

int64_t parse_int(const std::string& v, int64_t lo, int64_t hi, const std::string& what)
{
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos || std::stoll(v) < lo ||
      std::stoll(v) > hi)
    throw UsageError(fmt::format("{} expects an integer in [{}, {}], got \"{}\"", what, lo, hi, v));
  return std::stoll(v);
}

SweepRequest parse_options(const Args& args)
{
  SweepRequest o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& { return option_value(args, i, "spritesim sweep"); };
    if (a == "--out")
      o.out = value();
    else if (a == "--jobs")
      o.jobs = static_cast<int>(parse_int(value(), 1, 256, "--jobs"));
    else if (a == "--shard") {
      std::string v = value();
      auto slash = v.find('/');
      if (slash == std::string::npos)
        throw UsageError(fmt::format("--shard expects I/N (e.g. 1/4), got \"{}\"", v));
      o.shards = parse_int(v.substr(slash + 1), 1, 1000000, "--shard's N");
      o.shard = parse_int(v.substr(0, slash), 1, o.shards, "--shard's I");
    } else if (a == "--merge") {
      o.merging = true;
      while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0)
        o.merge.push_back(args[++i]);
      if (o.merge.empty())
        throw UsageError("--merge needs one or more sweep folders");
    } else if (o.sweep_file.empty() && !(a.size() > 1 && a[0] == '-'))
      o.sweep_file = a;
    else
      reject_argument("spritesim sweep", a, o.sweep_file.empty() ? "" : "sweep takes one SWEEP.json");
  }
  if (o.sweep_file.empty())
    throw UsageError("sweep needs a SWEEP.json (see docs/sweeps.md)");
  if (o.merging && o.shards > 1)
    throw UsageError("--merge collects every run; it does not take --shard");
  return o;
}

} // namespace

int cmd_sweep(const Args& args)
{
  if (asked_for_help(args, SWEEP_USAGE))
    return 0;
  return run_sweep(parse_options(args));
}

} // namespace spritesim
