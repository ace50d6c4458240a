// `spritesim calibrate`: placeholder until the verb lands (it is being written now).
#include "tools/commands.hpp"

namespace spritesim {

int cmd_calibrate(const Args&)
{
  throw UsageError("`calibrate` is not available in this build yet");
}

} // namespace spritesim
