// spritesim-sim: the simulating verbs of spritesim (run, sweep, reproduce, calibrate, validate), in the one
// executable linked to SimGrid. `spritesim` becomes this program for those verbs (tools/spritesim.cpp), so the
// real-mode verbs and trace tools start without loading SimGrid and its ns-3 libraries (about 50 ms a start).
#include <cstdio>
#include <map>
#include <string>

#include <fmt/format.h>

#include "core/child_process.hpp"
#include "sim/simulation.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

using namespace spritesim;

static int dispatch(const Args& args)
{
  if (args.size() == 1 && (args[0] == "--version" || args[0] == "-V")) {
    std::puts(version_line("spritesim-sim", "with " + simgrid_version()).c_str());
    return 0;
  }
  std::string verb = args.empty() ? "" : args[0];
  Args rest(args.begin() + (args.empty() ? 0 : 1), args.end());
  return run_verb("spritesim " + verb, [&] {
    static const std::map<std::string, int (*)(const Args&)> verbs = {
        {"run", cmd_run},           {"baseline", cmd_baseline}, {"reproduce", cmd_reproduce},
        {"calibrate", cmd_calibrate}, {"sweep", cmd_sweep},       {"validate", cmd_validate},
    };
    if (auto it = verbs.find(verb); it != verbs.end())
      return it->second(rest);
    throw UsageError(fmt::format("spritesim-sim runs spritesim's simulating verbs (run, sweep, reproduce, "
                                 "calibrate, validate), not \"{}\": use spritesim",
                                 verb));
  });
}

int main(int argc, char** argv)
{
  // Simulations this process starts (reproduce, sweep) run their verb in the forked child: no second exec.
  set_self_runner(dispatch);
  return dispatch(Args(argv + 1, argv + argc));
}
