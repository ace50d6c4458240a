// Local and exec-time remote invocation with costs from models/ (see remote_exec.hpp, docs/cost-model.md).
#include "sim/remote_exec.hpp"

namespace spritesim {

// The local invocation is split in two: fork in the parent and exec in the child at start, exit in the child and
// wait in the parent at the end (each half of the measured parent and child parts).
void local_exec_start(Cluster& cluster, int host)
{
  InvocationCost inv = cluster.costs().local_invocation();
  cluster.cpu(host, inv.parent_cpu_s / 2);
  cluster.cpu(host, inv.child_cpu_s / 2);
}

void exec_finish(Cluster& cluster, int home, int ran_on)
{
  InvocationCost inv = cluster.costs().local_invocation();
  cluster.cpu(ran_on, inv.child_cpu_s / 2);
  cluster.cpu(home, inv.parent_cpu_s / 2);
}

MigrationRecord remote_exec(Cluster& cluster, const ExecRequest& req)
{
  const CostModel& c = cluster.costs();
  const int home = req.home, target = req.target, server = cluster.file_server();
  double t0 = sg4::Engine::get_clock();
  double bytes = 0; // the migration's own traffic (the cluster-wide counter also sees concurrent jobs)
  auto rpc = [&](int from, int to, const RpcCost& cost) {
    bytes += cost.wire_bytes;
    cluster.rpc(from, to, cost);
  };
  InvocationCost inv = c.local_invocation();
  cluster.cpu(home, inv.parent_cpu_s / 2); // fork
  // Dirty blocks of open files are flushed to the server before their state moves (SPE91 pp.9-10).
  rpc(home, server, c.fs_blocks(c.blocks_for(req.dirty_script_bytes)));
  ExecMigrationCost m = c.exec_migration();
  rpc(home, target, m.handshake);
  cluster.cpu(home, m.home_cpu_s);
  for (int64_t f = 0; f < req.open_files; ++f) {
    rpc(home, target, c.open_file_rpc());   // source -> target: the file's state
    rpc(target, server, c.open_file_rpc()); // target -> server: register the new reference
    rpc(server, home, c.open_file_rpc());   // server -> source: release it, fetch the offset
    cluster.cpu(home, c.open_file_home_cpu_s());
  }
  rpc(home, target, m.state_transfer);
  rpc(home, target, c.fs_blocks(c.blocks_for(req.exec_arg_bytes))); // exec arguments and environment
  cluster.cpu(target, m.target_cpu_s);
  cluster.cpu(target, inv.child_cpu_s / 2); // the exec itself, now on the target
  MigrationRecord r;
  r.time_s = t0;
  r.job_id = req.job_id;
  r.kind = MigrationKind::EXEC;
  r.from_host = cluster.name(home);
  r.to_host = cluster.name(target);
  r.duration_s = sg4::Engine::get_clock() - t0;
  r.bytes = static_cast<int64_t>(bytes);
  return r;
}

} // namespace spritesim
