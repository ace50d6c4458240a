// The full-migration steps with costs from models/costs (see migration.hpp and docs/cost-model.md).
#include "sim/migration.hpp"

#include "sim/process.hpp"

namespace spritesim {

std::optional<MigrationRecord> migrate_process(Cluster& cluster, const SimProcess& proc, int source, int target,
                                               MigrationKind kind, const std::function<bool()>& target_ok)
{
  // The source starts every step, at its profile; the target's own CPU is at the target's (docs/cost-model.md).
  const int server = cluster.file_server_of(proc.home());
  const CostModel& c = cluster.costs(source, server);
  const ProcessFootprint& fp = proc.footprint();
  ActiveMigrationCost m = c.active_migration(fp.dirty_pages, fp.dirty_blocks, fp.open_files);
  std::unique_lock out(*cluster.outgoing_migrations(source));
  if (target_ok && !target_ok())
    return std::nullopt; // the target's owner came back while this migration waited for its turn
  double t0 = sg4::Engine::get_clock();
  Steps steps;
  steps.rpc(source, target, m.handshake);    // is the target up, available, same migration version? get a token
  steps.rpc(source, server, m.dirty_pages);  // VM: dirty pages to the backing files (usually the server's memory)
  steps.rpc(source, server, m.dirty_blocks); // files: dirty blocks of writable files
  steps.cpu(source, m.source_cpu_s);         // trap, per-module encapsulation, clean-up
  for (int64_t f = 0; f < m.open_files; ++f) {
    steps.rpc(source, target, c.open_file_rpc()); // source -> target: the file's state
    steps.rpc(target, server, c.open_file_rpc()); // target -> server: register the new reference
    steps.rpc(server, source, c.open_file_rpc()); // server -> source: release it, fetch offset and usage
    steps.cpu(source, c.open_file_home_cpu_s());
  }
  steps.rpc(source, target, m.state_transfer); // the process control block in one RPC
  steps.cpu(target, cluster.costs(target, server)
                         .active_migration(fp.dirty_pages, fp.dirty_blocks, fp.open_files)
                         .target_cpu_s); // de-encapsulate and resume
  cluster.run(steps);
  MigrationRecord r;
  r.time_s = t0;
  r.job_id = proc.name();
  r.kind = kind;
  r.from_host = cluster.name(source);
  r.to_host = cluster.name(target);
  r.duration_s = sg4::Engine::get_clock() - t0;
  out.unlock();
  r.bytes = static_cast<int64_t>(steps.wire_bytes());
  return r;
}

void page_in(Cluster& cluster, const SimProcess& proc, int target)
{
  // The target starts with no resident pages. Assumption (no source gives the reuse share): every page that was
  // dirty is touched again, so each crosses the network twice (SPE91 p.8).
  const int server = cluster.file_server_of(proc.home());
  cluster.rpc(target, server, cluster.costs(target, server).vm_pages(proc.footprint().dirty_pages));
}

} // namespace spritesim
