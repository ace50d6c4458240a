// `spritesim trace`: placeholder until the verb lands (it is being written now).
#include "tools/commands.hpp"

namespace spritesim {

int cmd_trace(const Args&)
{
  throw UsageError("`trace` is not available in this build yet");
}

} // namespace spritesim
