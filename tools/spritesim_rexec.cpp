// spritesim-rexec: `spritesim rexec` as an executable of its own that links only real/, policy/, models/ and core/
// (no SimGrid, no ns-3), so that starting it is cheap: `spritesim make` makes it GNU make's SHELL, which starts it
// once per recipe. Same code (cmd_rexec), same options, same exit statuses as `spritesim rexec`.
#include <cstdio>

#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

int main(int argc, char** argv)
{
  spritesim::Args args(argv + 1, argv + argc);
  if (args.size() == 1 && args[0] == "--version") {
    std::puts(spritesim::version_line("spritesim-rexec", "without SimGrid").c_str());
    return 0;
  }
  return spritesim::run_verb("spritesim-rexec", [&] { return spritesim::cmd_rexec(args); });
}
