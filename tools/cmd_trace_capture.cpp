// `spritesim trace capture`: placeholder until the verb lands (it is being written now).
#include "tools/commands.hpp"

namespace spritesim {

int cmd_trace_capture(const Args&)
{
  throw UsageError("`trace capture` is not available in this build yet");
}

} // namespace spritesim
