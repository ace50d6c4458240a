// spritesim-capture-shim: the recording shim of `spritesim trace capture` (tools/capture_shim.hpp) as an executable
// of its own that links no SimGrid and no ns-3, so that starting it is cheap: make starts it once per recipe line.
#include "tools/capture_shim.hpp"
#include "tools/verb_main.hpp"

int main(int argc, char** argv)
{
  spritesim::Args args(argv + 1, argv + argc);
  return spritesim::run_verb("spritesim-capture-shim", [&] { return spritesim::capture::run_shell_shim(args); });
}
