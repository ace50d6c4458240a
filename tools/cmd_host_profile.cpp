// `spritesim host-profile`: placeholder until the verb lands (it is being written now).
#include "tools/commands.hpp"

namespace spritesim {

int cmd_host_profile(const Args&)
{
  throw UsageError("`host-profile` is not available in this build yet");
}

} // namespace spritesim
