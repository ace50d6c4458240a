// Local and exec-time remote invocation with costs from models/ (see remote_exec.hpp, docs/cost-model.md).
#include "sim/remote_exec.hpp"

namespace spritesim {

// The local invocation is split in two: fork in the parent and exec in the child at start, exit in the child and
// wait in the parent at the end (each half of the measured parent and child parts).
void local_exec_start(Cluster& cluster, int host)
{
  InvocationCost inv = cluster.costs(host).local_invocation();
  cluster.run(Steps().cpu(host, inv.parent_cpu_s / 2).cpu(host, inv.child_cpu_s / 2));
}

void exec_finish(Cluster& cluster, int home, int ran_on)
{
  cluster.run(Steps()
                  .cpu(ran_on, cluster.costs(ran_on).local_invocation().child_cpu_s / 2)
                  .cpu(home, cluster.costs(home).local_invocation().parent_cpu_s / 2));
}

MigrationRecord remote_exec(Cluster& cluster, const ExecRequest& req)
{
  // The home starts every step, at its profile; the target's own CPU is at the target's (docs/cost-model.md).
  const int home = req.home, target = req.target, server = cluster.file_server_of(home);
  const CostModel& c = cluster.costs(home, server);
  const CostModel& on_target = cluster.costs(target, server);
  double t0 = sg4::Engine::get_clock();
  InvocationCost inv = c.local_invocation();
  ExecMigrationCost m = c.exec_migration();
  Steps steps;
  steps.cpu(home, inv.parent_cpu_s / 2); // fork
  // Dirty blocks of open files are flushed to the server before their state moves (SPE91 pp.9-10).
  steps.rpc(home, server, c.fs_blocks(c.blocks_for(req.dirty_script_bytes)));
  steps.rpc(home, target, m.handshake);
  steps.cpu(home, m.home_cpu_s);
  for (int64_t f = 0; f < req.open_files; ++f) {
    steps.rpc(home, target, c.open_file_rpc());   // source -> target: the file's state
    steps.rpc(target, server, c.open_file_rpc()); // target -> server: register the new reference
    steps.rpc(server, home, c.open_file_rpc());   // server -> source: release it, fetch the offset
    steps.cpu(home, c.open_file_home_cpu_s());
  }
  steps.rpc(home, target, m.state_transfer);
  steps.rpc(home, target, c.fs_blocks(c.blocks_for(req.exec_arg_bytes))); // exec arguments and environment
  steps.cpu(target, on_target.exec_migration().target_cpu_s);
  steps.cpu(target, on_target.local_invocation().child_cpu_s / 2); // the exec itself, now on the target
  cluster.run(steps);
  MigrationRecord r;
  r.time_s = t0;
  r.job_id = req.job_id;
  r.kind = MigrationKind::EXEC;
  r.from_host = cluster.name(home);
  r.to_host = cluster.name(target);
  r.duration_s = sg4::Engine::get_clock() - t0;
  r.bytes = static_cast<int64_t>(steps.wire_bytes());
  return r;
}

} // namespace spritesim
