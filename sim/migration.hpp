// Full migration of a running process, step by step as TH90 4.2.5 lists them: check the target, flush dirty VM
// pages to backing files on the file server, flush dirty file blocks, move each open file's state through the
// server (3 RPCs), ship the process control block in one RPC, resume on the target, which then demand-pages what it
// touches back from the server. Each step contends for the CPUs, the Ethernet and the server it uses.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/results.hpp"
#include "sim/cluster.hpp"

namespace spritesim {

class SimProcess;

/// Moves `proc` from `source` to `target` (blocking, in the process's actor); `kind` names the migration in the
/// records (evict, to-home, from-home, remote). Migrations away from one host are serialised. `target_ok`, when
/// given, is the target's answer to the first step (once this migration's turn has come): false refuses the move,
/// which then costs nothing and returns no record.
std::optional<MigrationRecord> migrate_process(Cluster& cluster, const SimProcess& proc, int source, int target,
                                               MigrationKind kind, const std::function<bool()>& target_ok = {});

/// Demand paging after a move: the process, running on `target`, reads its flushed dirty pages back from the file
/// server. It delays the process, not the move (which has ended: the source is free, MIGRATION_DONE is sent).
void page_in(Cluster& cluster, const SimProcess& proc, int target);

} // namespace spritesim
