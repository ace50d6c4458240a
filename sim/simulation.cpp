// Wiring of one simulation run (see simulation.hpp).
#include "sim/simulation.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "core/limits.hpp"
#include "core/output_files.hpp"
#include "core/random.hpp"
#include "policy/policy.hpp"
#include "sim/background.hpp"
#include "sim/host_daemon.hpp"
#include "sim/pmake.hpp"
#include "workloads/build_options.hpp"
#include "workloads/paper_builds.hpp"
#include "workloads/reference_costs.hpp"

namespace spritesim {

CostModel make_cost_model(const ExperimentSpec& spec)
{
  HardwareProfile ws = referenced(spec, "$.platform.profile",
                                  [&] { return load_profile(spec.platform.profile, "workstation"); });
  HardwareProfile fs = referenced(spec, "$.platform.file_server.profile",
                                  [&] { return load_profile(spec.platform.file_server_profile, "file_server"); });
  for (const auto& o : spec.costs)
    override_param(o.target == "workstation" ? ws : fs, o.param, o.value, spec.file,
                   json_path_join(json_path_join("$.costs", o.target), o.param));
  Network net{spec.platform.network.bandwidth_Mbps * 1e6 / 8, spec.platform.network.latency_us * 1e-6};
  return CostModel(ws, fs, net);
}

namespace {

// How long owner behaviour is generated for a run without a fixed duration (a build finishes well before).
constexpr double OPEN_ENDED_HORIZON_S = 7 * 24 * 3600.0;

} // namespace

SimInputs prepare_simulation(const ExperimentSpec& spec)
{
  SimInputs in{make_cost_model(spec), BuildTrace{},
               make_policy(spec.policy.name, spec.policy.params, spec.file, "$.policy"),
               parse_idle_rule(spec.owners.idle_rule, spec.file, "$.owners.idle_rule"), {}, {}, {}};
  const auto& w = spec.workload;
  if (w.kind == "pmake")
    in.trace = resolve_trace(spec);
  auto hosts = static_cast<int>(spec.platform.workstations);
  double horizon = w.duration_s > 0 ? w.duration_s : OPEN_ENDED_HORIZON_S;
  in.owners.assign(static_cast<size_t>(hosts), {});
  if (spec.owners.model == "stochastic") {
    OwnerModel m = parse_owner_model(spec.owners.params, spec.file, "$.owners.params");
    for (int h = 0; h < hosts; ++h)
      in.owners[static_cast<size_t>(h)] = generate_owner_periods(m, spec.seed, h, horizon);
  } else if (spec.owners.model == "trace") {
    std::vector<std::string> names;
    for (int h = 0; h < hosts; ++h)
      names.push_back(fmt::format("ws{:02d}", h));
    in.owners = referenced(spec, "$.owners.trace", [&] {
      return owner_periods_by_host(load_owner_trace(spec.owners.trace), names, spec.owners.trace);
    });
  }
  // Arrival rates times hosts times duration bound the run's size; refuse what would not fit in memory or time.
  auto check_expected = [&](double per_host_hour, const char* path, const char* what) {
    double expected = per_host_hour * hosts * w.duration_s / 3600.0;
    if (expected > MAX_GENERATED_JOBS)
      throw InputError(spec.file, path,
                       fmt::format("{} {}/host-hour on {} hosts over {} s is about {:.3g} {}; at most {:.0e} can be "
                                   "simulated in one run",
                                   per_host_hour, what, hosts, w.duration_s, expected, what, MAX_GENERATED_JOBS));
  };
  if (!w.processes.is_null()) {
    ProcessWorkload pw = parse_process_workload(w.processes, spec.file, "$.workload.processes");
    check_expected(pw.arrivals_per_host_hour, "$.workload.processes.arrivals_per_host_hour", "processes");
    in.processes = generate_processes(pw, spec.seed, hosts, w.duration_s);
  }
  if (!w.script.is_null()) {
    JsonReader list(w.script, spec.file, "$.workload.script");
    for (const JsonReader& e : list.elements()) {
      BackgroundProcess p;
      p.arrival_s = e.required_number("arrival_s", 0, w.duration_s);
      p.home = static_cast<int>(e.required_integer("home", 0, hosts - 1));
      p.cpu_s = e.required_number("cpu_s", 0, MAX_SIM_SECONDS);
      p.dirty_pages = e.integer("dirty_pages", TYPICAL_DIRTY_PAGES, 0, 1 << 30);
      p.dirty_blocks = e.integer("dirty_blocks", TYPICAL_DIRTY_BLOCKS, 0, 1 << 30);
      p.open_files = e.integer("open_files", 4, 0, 100000);
      e.finish();
      in.processes.push_back(p);
    }
    // Scripted and generated processes in arrival order, numbered in that order.
    std::stable_sort(in.processes.begin(), in.processes.end(),
                     [](const BackgroundProcess& a, const BackgroundProcess& b) { return a.arrival_s < b.arrival_s; });
    for (size_t i = 0; i < in.processes.size(); ++i)
      in.processes[i].id = static_cast<int64_t>(i);
  }
  if (!w.builds.is_null()) {
    BuildSessions b = parse_build_sessions(w.builds, spec.file, "$.workload.builds");
    check_expected(b.sessions_per_host_hour, "$.workload.builds.sessions_per_host_hour", "build sessions");
    auto active = [&](int h, double t) {
      const auto& periods = in.owners[static_cast<size_t>(h)];
      auto it = std::upper_bound(periods.begin(), periods.end(), t,
                                 [](double v, const OwnerPeriod& p) { return v < p.start_s; });
      return it != periods.begin() && t < std::prev(it)->end_s;
    };
    in.sessions = generate_build_sessions(b, spec.seed, hosts, w.duration_s, active);
  }
  // A run without a job measures nothing; say so rather than report zeros.
  if (w.kind != "pmake" && in.processes.empty() && in.sessions.empty())
    throw InputError(spec.file, "$.workload",
                     fmt::format("the \"{}\" workload generates no job over its {} s (seed {}): raise "
                                 "processes.arrivals_per_host_hour, builds.sessions_per_host_hour or duration_s, or "
                                 "give a script",
                                 w.kind, w.duration_s, spec.seed));
  return in;
}

namespace {

// Utilization and per-host records over the run's length.
void host_records(const Cluster& cluster, RunResult& r, const std::string& pmake_host)
{
  std::map<std::string, int64_t> jobs_on;
  for (const auto& j : r.jobs)
    ++jobs_on[j.exec_host];
  for (int h = 0; h <= cluster.workstations(); ++h) {
    HostRecord hr;
    hr.host = cluster.name(h);
    hr.role = h == cluster.file_server() ? "file_server" : hr.host == pmake_host ? "pmake" : "workstation";
    hr.busy_s = cluster.busy_s(h);
    hr.utilization = r.makespan_s > 0 ? hr.busy_s / r.makespan_s : 0;
    hr.jobs = jobs_on[hr.host];
    r.hosts.push_back(hr);
  }
  HostRecord net{"ethernet", "network", cluster.wire_bytes() / cluster.network_bytes_per_s(), 0, 0};
  net.utilization = r.makespan_s > 0 ? net.busy_s / r.makespan_s : 0;
  r.hosts.push_back(net);
}

double rounded(double v, int digits = 4) { return std::stod(fixed(v, digits)); }

// What TH90 Tables 8.2, 8.5 and 8.6 report, from this run's records (docs/outputs.md "usage").
nlohmann::json usage_summary(const Cluster& cluster, const GlobalMigd& migd, const RunResult& r,
                             const std::vector<std::vector<OwnerPeriod>>& owners, double duration_s, double week_start)
{
  double host_hours = duration_s / 3600.0 * cluster.workstations();
  std::map<MigrationKind, int64_t> kinds;
  for (const auto& m : r.migrations)
    ++kinds[m.kind];
  nlohmann::json per_hour = nlohmann::json::object();
  for (const auto& [k, n] : kinds)
    per_hour[to_string(k)] = rounded(static_cast<double>(n) / host_hours);
  double cpu = 0;
  for (int h = 0; h < cluster.workstations(); ++h)
    cpu += cluster.busy_s(h);
  const auto& st = migd.stats();
  OwnerStats os = owner_stats(owners, duration_s, week_start);
  int64_t owner_evictions = 0, fairness = 0;
  double evict_s = 0;
  for (const auto& e : r.evictions) {
    (e.reason == EvictionReason::FAIRNESS ? fairness : owner_evictions) += 1;
    evict_s += e.duration_s;
  }
  return {
      {"host_hours", rounded(host_hours, 1)},
      {"migrations_per_host_hour", per_hour},
      {"evictions_per_host_hour", rounded(static_cast<double>(kinds[MigrationKind::EVICT]) / host_hours)},
      {"remote_cpu_share", cpu > 0 ? rounded(migd.remote_cpu_s() / cpu) : 0.0},
      // Over the run's length: processes may run past duration_s, and the CPU counted is the whole run's.
      {"cluster_cpu_utilization", rounded(cpu / (std::max(duration_s, r.makespan_s) * cluster.workstations()))},
      {"host_requests", st.requests},
      {"requests_fully_satisfied_share",
       st.requests ? rounded(static_cast<double>(st.requests_satisfied) / static_cast<double>(st.requests)) : 0.0},
      {"requests_none_share",
       st.requests ? rounded(static_cast<double>(st.requests - st.requests_satisfied - st.requests_partial) /
                             static_cast<double>(st.requests))
                   : 0.0},
      {"hold_time_mean_s", st.holds ? rounded(st.hold_s_total / static_cast<double>(st.holds), 2) : 0.0},
      {"revoked_owner", st.revoked_owner},
      {"revoked_fairness", st.revoked_fairness},
      {"host_evictions_owner", owner_evictions},
      {"host_evictions_fairness", fairness},
      {"host_eviction_mean_s", r.evictions.empty() ? 0.0 : rounded(evict_s / static_cast<double>(r.evictions.size()))},
      {"idle_share_weekday", rounded(os.weekday_idle_share)},
      {"idle_share_offhours", rounded(os.offhours_idle_share)},
      {"idle_share_total", rounded(os.total_idle_share)},
      {"idle_to_active_per_host_hour", rounded(os.idle_to_active_per_hour)},
      {"rejected_decisions", st.rejected}};
}

} // namespace

RunResult run_simulation(const ExperimentSpec& spec, SimInputs inputs)
{
  auto engine = create_engine();

  Cluster cluster(spec, std::move(inputs.costs));
  MigdOptions opt{inputs.idle_rule, spec.migration.direct_remote_moves, spec.migration.demand_paging,
                  spec.migration.processes_migratable};
  GlobalMigd migd(cluster, std::move(inputs.policy), opt);
  for (int h = 0; h < cluster.workstations(); ++h) {
    HostState& s = migd.host(h);
    s.owner = inputs.owners[static_cast<size_t>(h)];
    // An owner at the console from time 0 is there before any actor runs: no placement at 0 may pick the host.
    if (!s.owner.empty() && s.owner.front().start_s <= 0 && s.owner.front().end_s > 0) {
      migd.book(h).owner_active = true;
      migd.book(h).available = false;
    }
  }
  start_host_daemons(cluster, migd);
  start_writeback_daemons(cluster);
  const auto& w = spec.workload;
  double ws_mips = cluster.costs().workstation().get("cpu_mips");

  PmakeResult pm;
  if (w.kind == "pmake")
    start_pmake(cluster, migd, inputs.trace, w, 0, 0, pm);
  std::vector<JobRecord> background;
  start_background(cluster, migd, inputs.processes, ws_mips, background);
  // Build sessions: a pmake per session, started at its time from its home, asking for as many hosts as it has
  // compiles (client ids after pmake's 0).
  std::deque<BuildTrace> traces;
  std::deque<WorkloadSpec> session_specs;
  std::deque<PmakeResult> session_results;
  if (!inputs.sessions.empty()) {
    sg4::Actor::create("sessions", cluster.host(cluster.file_server()), [&] {
      for (const auto& s : inputs.sessions) {
        sg4::this_actor::sleep_until(s.start_s);
        traces.push_back(session_trace(s, spec.seed));
        WorkloadSpec ws = w;
        ws.max_jobs = s.request;
        ws.max_local = 1;
        ws.migrate = true;
        session_specs.push_back(ws);
        session_results.emplace_back();
        start_pmake(cluster, migd, traces.back(), session_specs.back(), s.home, static_cast<int>(s.id) + 1,
                    session_results.back());
      }
    });
  }
  // SimGrid reports a deadlock on stderr and returns; the run is invalid, and the blocked actors say where.
  std::vector<std::string> blocked;
  bool deadlocked = false;
  sg4::Engine::on_deadlock_cb([&] {
    deadlocked = true;
    for (const auto& a : engine->get_all_actors())
      if (!a->is_daemon())
        blocked.push_back(fmt::format("{} on {}", a->get_name(), a->get_host()->get_name()));
  });
  engine->run();

  RunAudit& audit = migd.audit();
  if (deadlocked)
    audit.deadlock(blocked);
  auto live = migd.live_processes();
  if (w.kind == "pmake") {
    audit.check_jobs("the build", pm.jobs, inputs.trace.jobs.size(), live);
    if (!pm.ended)
      audit.violation("the build's pmake never ended");
  }
  for (size_t i = 0; i < session_results.size(); ++i) {
    audit.check_jobs(fmt::format("build session {}", inputs.sessions[i].id), session_results[i].jobs,
                     traces[i].jobs.size(), live);
    if (!session_results[i].ended)
      audit.violation(fmt::format("build session {}'s pmake never ended", inputs.sessions[i].id));
  }
  if (session_results.size() != inputs.sessions.size())
    audit.violation(fmt::format("{} of {} build sessions never started", inputs.sessions.size() - session_results.size(),
                                inputs.sessions.size()));
  audit.check_jobs("the processes", background, inputs.processes.size(), live);
  audit.check_no_live_processes(live);
  audit.raise_if_violated();

  RunResult r;
  if (w.kind == "pmake") {
    r.makespan_s = pm.end_s - pm.start_s;
    r.jobs = pm.jobs;
  } else {
    r.makespan_s = w.duration_s;
    for (const auto& j : background)
      r.makespan_s = std::max(r.makespan_s, j.end_s);
    for (const auto& res : session_results) {
      r.jobs.insert(r.jobs.end(), res.jobs.begin(), res.jobs.end());
      r.makespan_s = std::max(r.makespan_s, res.end_s);
    }
    r.jobs.insert(r.jobs.end(), background.begin(), background.end());
  }
  for (int h = 0; h < cluster.workstations(); ++h)
    for (const OwnerPeriod& p : inputs.owners[static_cast<size_t>(h)])
      if (p.start_s < r.makespan_s)
        r.owners.push_back({cluster.name(h), p.start_s, p.end_s, p.cpu_share});
  r.migrations = migd.migrations();
  std::stable_sort(r.migrations.begin(), r.migrations.end(),
                   [](const MigrationRecord& a, const MigrationRecord& b) { return a.time_s < b.time_s; });
  r.evictions = migd.evictions();
  r.decisions = migd.decisions();
  host_records(cluster, r, w.kind == "pmake" ? cluster.name(0) : "");
  if (w.kind == "pmake") {
    double compile_busy = 0;
    for (int h = 1; h < cluster.workstations(); ++h)
      compile_busy += cluster.busy_s(h);
    int compile_hosts = std::max(1, cluster.workstations() - 1);
    auto util = [&](double busy) { return r.makespan_s > 0 ? rounded(busy / r.makespan_s) : 0.0; };
    r.extra["utilization"] = {{"pmake_host", util(cluster.busy_s(0))},
                              {"file_server", util(cluster.busy_s(cluster.file_server()))},
                              {"network", util(cluster.wire_bytes() / cluster.network_bytes_per_s())},
                              {"compile_hosts_mean", util(compile_busy / compile_hosts)}};
    r.extra["trace"] = inputs.trace.name;
    r.extra["scan_s"] = rounded(pm.scan_end_s - pm.start_s, 6);
  } else {
    double week_start = spec.owners.params.value("start_of_week_s", 0.0);
    r.extra["usage"] = usage_summary(cluster, migd, r, inputs.owners, w.duration_s, week_start);
    // Per build, as TH90 8.5.2 counts per process: did it ever hold every host it wanted at once?
    int64_t all = 0, none = 0, n = 0, wanted = 0, obtained = 0;
    for (const auto& res : session_results) {
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
    r.extra["build_sessions"] = inputs.sessions.size();
    r.extra["processes"] = inputs.processes.size();
  }
  r.extra["migd_requests"] = migd.requests();
  r.extra["policy_decisions"] = migd.policy().decisions();
  return r;
}

} // namespace spritesim
