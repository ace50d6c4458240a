// The pmake workload: one build replayed from its trace by pmake on workstation 0; its makespan is the build's,
// and it reports how busy pmake's host, the compile hosts, the file server and the wire were.
#include <algorithm>

#include "sim/pmake.hpp"
#include "sim/sim_workload.hpp"
#include "sim/simulation.hpp"

namespace spritesim {

namespace {

class BuildWorkload : public SimWorkload {
public:
  BuildWorkload(WorkloadSpec spec, ReplayTrace trace) : spec_(std::move(spec)), trace_(std::move(trace)) {}

  void start(Cluster& cluster, GlobalMigd& migd) override { start_pmake(cluster, migd, trace_, spec_, 0, 0, pm_); }

  void audit(RunAudit& audit, const std::map<std::string, std::string>& live) const override
  {
    audit.check_jobs("the build", pm_.jobs, trace_.jobs.size(), live);
    if (!pm_.ended)
      audit.violation("the build's pmake never ended");
  }

  void collect(RunResult& r) override
  {
    r.makespan_s = pm_.end_s - pm_.start_s;
    r.jobs = std::move(pm_.jobs);
  }

  void summarize(RunResult& r, const RunView& view) const override;

private:
  WorkloadSpec spec_;
  ReplayTrace trace_;
  PmakeResult pm_;
};

void BuildWorkload::summarize(RunResult& r, const RunView& view) const
{
  const Cluster& cluster = view.cluster;
  for (HostRecord& h : r.hosts)
    if (h.host == cluster.name(0))
      h.role = "pmake";
  double compile_busy = 0;
  for (int h = 1; h < cluster.workstations(); ++h)
    compile_busy += cluster.busy_s(h);
  int compile_hosts = std::max(1, cluster.workstations() - 1);
  auto util = [&](double busy) { return r.makespan_s > 0 ? rounded(busy / r.makespan_s) : 0.0; };
  r.extra["utilization"] = {{"pmake_host", util(cluster.busy_s(0))},
                            {"file_server", util(cluster.busy_s(cluster.file_server()))},
                            {"network", util(cluster.wire_bytes() / cluster.network_bytes_per_s())},
                            {"compile_hosts_mean", util(compile_busy / compile_hosts)}};
  r.extra["trace"] = trace_.name;
  r.extra["scan_s"] = rounded(pm_.scan_end_s - pm_.start_s, 6);
}

} // namespace

std::unique_ptr<SimWorkload> prepare_build_workload(const ExperimentSpec& spec, const OwnerPeriods&)
{
  // Only what the replay reads is kept: a million-job trace's command lines alone are 120 MB.
  return std::make_unique<BuildWorkload>(spec.workload, ReplayTrace(resolve_trace(spec), spec.workload.trace));
}

} // namespace spritesim
