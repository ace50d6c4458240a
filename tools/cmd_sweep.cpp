// `spritesim sweep`: placeholder until the verb lands (it is being written now).
#include "tools/commands.hpp"

namespace spritesim {

int cmd_sweep(const Args&)
{
  throw UsageError("`sweep` is not available in this build yet");
}

} // namespace spritesim
