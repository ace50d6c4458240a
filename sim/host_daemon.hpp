// Each workstation's daemon: plays its owner's console periods (input, and the owner's own CPU load), keeps
// migd's load averages and re-evaluates Sprite's idle rule exactly when it can change (console input, the input
// threshold running out, a load average crossing a threshold), so a month costs a few events per host-hour
// instead of one every 5 s (SRC migd.c samples every 5 s; LoadAverages replays those samples in closed form).
#pragma once

#include "sim/migd.hpp"

namespace spritesim {

/// Starts the daemons of every workstation, all in one actor (daemonized: it ends with the simulation).
void start_host_daemons(Cluster& cluster, GlobalMigd& migd);

} // namespace spritesim
