// spritesim: the command-line entry point. Dispatches to the verbs in tools/cmd_*.cpp and turns every kind of bad
// input into one clear message and a non-zero exit status (never a crash or a core dump).
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "tools/commands.hpp"

using namespace spritesim;

static const char* USAGE = R"(usage: spritesim VERB [ARGS]

  run CONFIG.json [--out DIR] [--seed N] [--set json.path=value]...
                           simulate one experiment; writes results.json, jobs.csv, migrations.csv, hosts.csv,
                           config.resolved.json into DIR (default results/NAME)
  reproduce [--out DIR] [--jobs N]
                           run every paper figure in configs/reproduction/ (embedded) and write the report
                           (report.md), speedup.csv and the figures into DIR (default reproduction)
  policies                 list the policies with their parameters and defaults

Docs: README.md, docs/ (configs, trace format, outputs, cost model).
)";

int main(int argc, char** argv)
{
  Args args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(USAGE, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  std::string verb = args[0];
  Args rest(args.begin() + 1, args.end());
  try {
    if (verb == "run")
      return cmd_run(rest);
    if (verb == "reproduce")
      return cmd_reproduce(rest);
    if (verb == "policies")
      return cmd_policies(rest);
    throw UsageError(fmt::format("unknown verb \"{}\" (run, reproduce, policies; see spritesim --help)", verb));
  } catch (const InputError& e) {
    fmt::print(stderr, "spritesim {}: error: {}\n", verb, e.what());
  } catch (const UsageError& e) {
    fmt::print(stderr, "spritesim {}: usage error: {}\n", verb, e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "spritesim {}: error: {}\n", verb, e.what());
  }
  return 2;
}
