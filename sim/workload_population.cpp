// The "processes" and "mixed" workloads: a population over workload.duration_s of independent processes (generated
// and scripted) and, in a mixed one, build sessions (a pmake each, started at its time from its home). The run
// lasts at least duration_s, and it reports the cluster's usage as TH90 chapter 8 does.
#include <algorithm>
#include <deque>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "core/limits.hpp"
#include "sim/background.hpp"
#include "sim/pmake.hpp"
#include "sim/sim_workload.hpp"
#include "sim/simulation.hpp"
#include "sim/usage_summary.hpp"
#include "workloads/build_options.hpp"

namespace spritesim {

namespace {

// What a population is made of, read and generated before SimGrid starts.
struct Population {
  std::vector<BackgroundProcess> processes;
  std::vector<BuildSession> sessions;
};

class PopulationWorkload : public SimWorkload {
public:
  PopulationWorkload(const ExperimentSpec& spec, Population in)
      : spec_(spec.workload), seed_(spec.seed), week_start_(spec.owners.params.value("start_of_week_s", 0.0)),
        in_(std::move(in))
  {
  }
  void start(Cluster& cluster, GlobalMigd& migd) override;
  void audit(RunAudit& audit, const std::map<std::string, std::string>& live) const override;
  void collect(RunResult& r) override;
  void summarize(RunResult& r, const RunView& view) const override;

private:
  WorkloadSpec spec_;
  uint64_t seed_;
  double week_start_;
  Population in_;
  std::vector<JobRecord> background_;
  std::deque<ReplayTrace> traces_; // deques: the pmakes started hold references to their elements
  std::deque<WorkloadSpec> session_specs_;
  std::deque<PmakeResult> session_results_;
};

void PopulationWorkload::start(Cluster& cluster, GlobalMigd& migd)
{
  start_background(cluster, migd, in_.processes, cluster.costs(0).workstation().get("cpu_mips"), background_);
  if (in_.sessions.empty())
    return;
  // A pmake per session, asking for as many hosts as it has compiles (client ids after pmake's 0).
  sg4::Actor::create("sessions", cluster.host(cluster.file_server()), [this, &cluster, &migd] {
    TaskGroup builds(cluster.actors());
    for (const auto& s : in_.sessions) {
      sg4::this_actor::sleep_until(s.start_s);
      traces_.emplace_back(session_trace(s, seed_), "session trace");
      WorkloadSpec ws = spec_;
      ws.max_jobs = s.request;
      ws.max_local = 1;
      ws.migrate = true;
      session_specs_.push_back(ws);
      session_results_.emplace_back();
      builds.start("pmake", cluster.host(s.home),
                   pmake_driver(cluster, migd, traces_.back(), session_specs_.back(), s.home,
                                static_cast<int>(s.id) + 1, session_results_.back()));
    }
    builds.wait();
  });
}

void PopulationWorkload::audit(RunAudit& audit, const std::map<std::string, std::string>& live) const
{
  for (size_t i = 0; i < session_results_.size(); ++i) {
    audit.check_jobs(fmt::format("build session {}", in_.sessions[i].id), session_results_[i].jobs,
                     traces_[i].jobs.size(), live);
    if (!session_results_[i].ended)
      audit.violation(fmt::format("build session {}'s pmake never ended", in_.sessions[i].id));
  }
  if (session_results_.size() != in_.sessions.size())
    audit.violation(fmt::format("{} of {} build sessions never started", in_.sessions.size() - session_results_.size(),
                                in_.sessions.size()));
  audit.check_jobs("the processes", background_, in_.processes.size(), live);
}

void PopulationWorkload::collect(RunResult& r)
{
  r.makespan_s = spec_.duration_s;
  for (const auto& j : background_)
    r.makespan_s = std::max(r.makespan_s, j.end_s);
  for (const auto& res : session_results_) {
    r.jobs.insert(r.jobs.end(), res.jobs.begin(), res.jobs.end());
    r.makespan_s = std::max(r.makespan_s, res.end_s);
  }
  r.jobs.insert(r.jobs.end(), std::make_move_iterator(background_.begin()),
                std::make_move_iterator(background_.end()));
  background_.clear();
}

void PopulationWorkload::summarize(RunResult& r, const RunView& view) const
{
  r.extra["usage"] = usage_summary(view.cluster, view.migd, r, view.owners, spec_.duration_s, week_start_);
  // Per build, as TH90 8.5.2 counts per process: did it ever hold every host it wanted at once?
  int64_t all = 0, none = 0, n = 0, wanted = 0, obtained = 0;
  for (size_t i = 0; i < session_results_.size(); ++i) {
    const PmakeResult& res = session_results_[i];
    const BuildSession& s = in_.sessions[i];
    r.builds.push_back({static_cast<int64_t>(s.id) + 1, view.cluster.name(s.home), res.start_s, res.end_s,
                        static_cast<int64_t>(res.jobs.size()), res.hosts_wanted, res.hosts_obtained});
    if (res.hosts_wanted <= 0)
      continue;
    ++n;
    all += res.hosts_obtained >= res.hosts_wanted;
    none += res.hosts_obtained == 0;
    wanted += res.hosts_wanted;
    obtained += res.hosts_obtained;
  }
  if (n > 0) {
    auto share = [n](int64_t k) { return rounded(static_cast<double>(k) / static_cast<double>(n)); };
    r.extra["usage"]["builds_fully_satisfied_share"] = share(all);
    r.extra["usage"]["builds_no_host_share"] = share(none);
    r.extra["usage"]["builds_hosts_wanted_mean"] = share(wanted);
    r.extra["usage"]["builds_hosts_obtained_mean"] = share(obtained);
  }
  r.extra["build_sessions"] = in_.sessions.size();
  r.extra["processes"] = in_.processes.size();
}

// Scripted processes (workload.script), checked against the run's duration and hosts.
void read_script(const ExperimentSpec& spec, std::vector<BackgroundProcess>& out)
{
  const WorkloadSpec& w = spec.workload;
  JsonReader list(w.script, spec.file, "$.workload.script");
  for (const JsonReader& e : list.elements()) {
    BackgroundProcess p;
    p.arrival_s = e.required_number("arrival_s", 0, w.duration_s);
    p.home = static_cast<int>(e.required_integer("home", 0, spec.platform.workstations - 1));
    p.cpu_s = e.required_number("cpu_s", 0, MAX_SIM_SECONDS);
    p.dirty_pages = e.integer("dirty_pages", TYPICAL_DIRTY_PAGES, 0, 1 << 30);
    p.dirty_blocks = e.integer("dirty_blocks", TYPICAL_DIRTY_BLOCKS, 0, 1 << 30);
    p.open_files = e.integer("open_files", 4, 0, 100000);
    e.finish();
    out.push_back(p);
  }
  // Scripted and generated processes in arrival order, numbered in that order.
  std::stable_sort(out.begin(), out.end(),
                   [](const BackgroundProcess& a, const BackgroundProcess& b) { return a.arrival_s < b.arrival_s; });
  for (size_t i = 0; i < out.size(); ++i)
    out[i].id = static_cast<int64_t>(i);
}

} // namespace

std::unique_ptr<SimWorkload> prepare_population_workload(const ExperimentSpec& spec, const OwnerPeriods& owners)
{
  const auto& w = spec.workload;
  auto hosts = static_cast<int>(spec.platform.workstations);
  // Arrival rates times hosts times duration bound the run's size; refuse what would not fit in memory or time.
  auto check_expected = [&](double per_host_hour, const char* path, const char* what) {
    double expected = per_host_hour * hosts * w.duration_s / 3600.0;
    if (expected > MAX_GENERATED_JOBS)
      throw InputError(spec.file, path,
                       fmt::format("{} {}/host-hour on {} hosts over {} s is about {:.3g} {}; at most {:.0e} can be "
                                   "simulated in one run",
                                   per_host_hour, what, hosts, w.duration_s, expected, what, MAX_GENERATED_JOBS));
  };
  Population in;
  if (!w.processes.is_null()) {
    ProcessWorkload pw = parse_process_workload(w.processes, spec.file, "$.workload.processes");
    check_expected(pw.arrivals_per_host_hour, "$.workload.processes.arrivals_per_host_hour", "processes");
    in.processes = generate_processes(pw, spec.seed, hosts, w.duration_s);
  }
  if (!w.script.is_null())
    read_script(spec, in.processes);
  if (!w.builds.is_null()) {
    BuildSessions b = parse_build_sessions(w.builds, spec.file, "$.workload.builds");
    check_expected(b.sessions_per_host_hour, "$.workload.builds.sessions_per_host_hour", "build sessions");
    auto active = [&](int h, double t) {
      const auto& periods = owners[static_cast<size_t>(h)];
      auto it = std::upper_bound(periods.begin(), periods.end(), t,
                                 [](double v, const OwnerPeriod& p) { return v < p.start_s; });
      return it != periods.begin() && t < std::prev(it)->end_s;
    };
    in.sessions = generate_build_sessions(b, spec.seed, hosts, w.duration_s, active);
  }
  // A run without a job measures nothing; say so rather than report zeros.
  if (in.processes.empty() && in.sessions.empty())
    throw InputError(spec.file, "$.workload",
                     fmt::format("the \"{}\" workload generates no job over its {} s (seed {}): raise "
                                 "processes.arrivals_per_host_hour, builds.sessions_per_host_hour or duration_s, or "
                                 "give a script",
                                 workload_kind_name(w.kind), w.duration_s, spec.seed));
  return std::make_unique<PopulationWorkload>(spec, std::move(in));
}

} // namespace spritesim
