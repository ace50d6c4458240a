// Independent processes (see background.hpp).
#include "sim/background.hpp"

#include <fmt/format.h>

#include "sim/remote_exec.hpp"

namespace spritesim {

namespace {

void run_process(Cluster& cl, GlobalMigd& migd, const BackgroundProcess& bp, double ref_mips, JobRecord& rec)
{
  std::string name = fmt::format("p{:06d}", bp.id);
  SimProcess& proc = migd.create_process(name, -1, bp.home, {bp.dirty_pages, bp.dirty_blocks, bp.open_files});
  rec.id = name;
  rec.kind = "process";
  rec.home_host = cl.name(bp.home);
  rec.ready_s = sg4::Engine::get_clock();
  int where = migd.place(proc);
  rec.start_s = sg4::Engine::get_clock();
  rec.remote = where != bp.home;
  while (true) {
    try {
      if (where != bp.home) {
        ExecRequest req{name, bp.home, where, 0, 0, bp.open_files};
        migd.record_migration(remote_exec(cl, req));
      } else {
        local_exec_start(cl, where);
      }
      proc.start_on(where);
      proc.compute(bp.cpu_s, ref_mips);
      break;
    } catch (const ProcessRestarted&) {
      where = bp.home; // killed where it ran; started again from scratch at home
    }
  }
  exec_finish(cl, bp.home, proc.host());
  rec.exec_host = cl.name(proc.host());
  rec.cpu_s = proc.cpu_used_s();
  rec.end_s = sg4::Engine::get_clock();
  migd.exited(proc, bp.cpu_s * ref_mips * 1e6);
}

} // namespace

void start_background(Cluster& cluster, GlobalMigd& migd, const std::vector<BackgroundProcess>& procs,
                      double ref_mips, std::vector<JobRecord>& out)
{
  out.assign(procs.size(), JobRecord{});
  if (procs.empty())
    return;
  sg4::Actor::create("arrivals", cluster.host(cluster.file_server()), [&cluster, &migd, &procs, ref_mips, &out] {
    TaskGroup running(cluster.actors());
    for (size_t i = 0; i < procs.size(); ++i) {
      sg4::this_actor::sleep_until(procs[i].arrival_s);
      const BackgroundProcess& bp = procs[i];
      running.start(fmt::format("p{:06d}", bp.id), cluster.host(bp.home),
                    [&cluster, &migd, &bp, ref_mips, &rec = out[i]] { run_process(cluster, migd, bp, ref_mips, rec); });
    }
    running.wait();
  });
}

} // namespace spritesim
