// Sprite's migd host selection (TH90 6.2.1; SRC src/daemons/migd/global.c): available hosts are handed out
// longest-idle first; a request that finds none reclaims one host from the client holding the most, if that
// client holds at least `fairness_margin` more than the requester.
#pragma once

#include "policy/policy.hpp"

namespace spritesim {

PolicyInfo sprite_longest_idle_info();

} // namespace spritesim
