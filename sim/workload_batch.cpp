// The "batch" workload: `batch_jobs` processes of `batch_cpu_s` each submitted at time 0 from workstation 0,
// placed by the policy; the makespan is the last one's end.
#include <algorithm>

#include "core/json_reader.hpp"
#include "sim/background.hpp"
#include "sim/sim_workload.hpp"

namespace spritesim {

namespace {

class BatchWorkload : public SimWorkload {
public:
  explicit BatchWorkload(std::vector<BackgroundProcess> procs) : procs_(std::move(procs)) {}
  void start(Cluster& cluster, GlobalMigd& migd) override
  {
    start_background(cluster, migd, procs_, cluster.costs().workstation().get("cpu_mips"), records_);
  }
  void audit(RunAudit& audit, const std::map<std::string, std::string>& live) const override
  {
    audit.check_jobs("the batch", records_, procs_.size(), live);
  }
  void collect(RunResult& r) const override
  {
    r.jobs = records_;
    for (const auto& j : records_)
      r.makespan_s = std::max(r.makespan_s, j.end_s);
  }
  void summarize(RunResult& r, const RunView&) const override { r.extra["batch_jobs"] = procs_.size(); }

private:
  std::vector<BackgroundProcess> procs_;
  std::vector<JobRecord> records_;
};

} // namespace

std::unique_ptr<SimWorkload> prepare_batch_workload(const ExperimentSpec& spec, const OwnerPeriods&)
{
  const nlohmann::json& o = spec.workload.options;
  nlohmann::json n = o.value("batch_jobs", nlohmann::json(4)), cpu = o.value("batch_cpu_s", nlohmann::json(60));
  auto jobs = JsonReader(n, spec.file, "$.workload.batch_jobs").as_integer(1, 100000);
  double cpu_s = JsonReader(cpu, spec.file, "$.workload.batch_cpu_s").as_number(0, 1e6);
  std::vector<BackgroundProcess> procs(static_cast<size_t>(jobs));
  for (size_t i = 0; i < procs.size(); ++i) {
    procs[i].id = static_cast<int64_t>(i);
    procs[i].cpu_s = cpu_s;
  }
  return std::make_unique<BatchWorkload>(std::move(procs));
}

} // namespace spritesim
