// Wiring of one simulation run (see simulation.hpp).
#include "sim/simulation.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/output_files.hpp"
#include "policy/policy.hpp"
#include "sim/pmake.hpp"
#include "workloads/paper_builds.hpp"

namespace spritesim {

// Errors about a referenced file also name the config and the key that referenced it.
template <class F> static auto referenced(const ExperimentSpec& spec, const char* path, F&& load)
{
  try {
    return load();
  } catch (const InputError& e) {
    throw InputError(spec.file, path, e.what());
  }
}

CostModel make_cost_model(const ExperimentSpec& spec)
{
  HardwareProfile ws = referenced(spec, "$.platform.profile",
                                  [&] { return load_profile(spec.platform.profile, "workstation"); });
  HardwareProfile fs = referenced(spec, "$.platform.file_server.profile",
                                  [&] { return load_profile(spec.platform.file_server_profile, "file_server"); });
  for (const auto& o : spec.costs)
    override_param(o.target == "workstation" ? ws : fs, o.param, o.value,
                   fmt::format("{} $.costs.{}.{}", spec.file, o.target, o.param));
  Network net{spec.platform.network.bandwidth_Mbps * 1e6 / 8, spec.platform.network.latency_us * 1e-6};
  return CostModel(ws, fs, net);
}

BuildTrace resolve_trace(const ExperimentSpec& spec)
{
  const std::string& t = spec.workload.trace;
  if (t.rfind("builtin:", 0) != 0)
    return referenced(spec, "$.workload.trace", [&] { return load_trace_file(t); });
  std::string name = t.substr(8);
  auto desc = paper_build(name);
  if (!desc)
    throw InputError(spec.file, "$.workload.trace",
                     fmt::format("unknown built-in trace \"{}\" (known: {})", name,
                                 fmt::join(paper_build_names(), ", ")));
  // The published times were measured on SS1s with the Sun-4/280 server: derive CPU seconds with those costs,
  // whatever machines this experiment simulates.
  CostModel ref(load_profile("ss1", "workstation"), load_profile("sun4-280", "file_server"), Network{});
  SequentialCosts sc;
  sc.lookup_s = unloaded_seconds(ref.lookup(), ref.network());
  InvocationCost inv = ref.local_invocation();
  sc.invocation_s = inv.parent_cpu_s + inv.child_cpu_s;
  sc.small_rpc_s = unloaded_seconds(ref.small_rpc(), ref.network());
  sc.fs_bytes_per_s = ref.workstation().get("rpc_fs_bandwidth_KBps") * 1024;
  sc.reference_profile = "ss1";
  GeneratorOptions opt;
  opt.seed = spec.seed;
  return generate_paper_build(*desc, sc, opt);
}

SimInputs prepare_simulation(const ExperimentSpec& spec)
{
  return {make_cost_model(spec), resolve_trace(spec),
          make_policy(spec.policy.name, spec.policy.params, spec.file, "$.policy")};
}

RunResult run_simulation(const ExperimentSpec& spec, SimInputs inputs)
{
  const BuildTrace& trace = inputs.trace;

  std::vector<std::string> args = {"spritesim", "--cfg=network/model:CM02", "--cfg=network/crosstraffic:0",
                                   "--log=root.thres:critical"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  sg4::Engine engine(&argc, argv.data());

  Cluster cluster(spec, std::move(inputs.costs));
  GlobalMigd migd(cluster, std::move(inputs.policy));
  PmakeResult pm;
  start_writeback_daemons(cluster);
  start_pmake(cluster, migd, trace, spec.workload, 0, 0, pm);
  engine.run();

  RunResult r;
  r.makespan_s = pm.end_s - pm.start_s;
  r.jobs = pm.jobs;
  r.migrations = pm.migrations;
  std::vector<int64_t> jobs_on(static_cast<size_t>(cluster.workstations()) + 1, 0);
  for (const auto& j : pm.jobs)
    for (int h = 0; h < cluster.workstations(); ++h)
      if (cluster.name(h) == j.exec_host)
        ++jobs_on[static_cast<size_t>(h)];
  for (int h = 0; h <= cluster.workstations(); ++h) {
    HostRecord hr;
    hr.host = cluster.name(h);
    hr.role = h == cluster.file_server() ? "file_server" : h == 0 ? "pmake" : "workstation";
    hr.busy_s = cluster.busy_s(h);
    hr.utilization = r.makespan_s > 0 ? hr.busy_s / r.makespan_s : 0;
    hr.jobs = jobs_on[static_cast<size_t>(h)];
    r.hosts.push_back(hr);
  }
  HostRecord net{"ethernet", "network", cluster.wire_bytes() / cluster.network_bytes_per_s(), 0, 0};
  net.utilization = r.makespan_s > 0 ? net.busy_s / r.makespan_s : 0;
  r.hosts.push_back(net);
  double compile_busy = 0;
  for (int h = 1; h < cluster.workstations(); ++h)
    compile_busy += cluster.busy_s(h);
  int compile_hosts = std::max(1, cluster.workstations() - 1);
  auto util = [&](double busy) { return r.makespan_s > 0 ? std::stod(fixed(busy / r.makespan_s, 4)) : 0.0; };
  r.extra["utilization"] = {{"pmake_host", util(cluster.busy_s(0))},
                            {"file_server", util(cluster.busy_s(cluster.file_server()))},
                            {"network", util(net.busy_s)},
                            {"compile_hosts_mean", util(compile_busy / compile_hosts)}};
  r.extra["trace"] = trace.name;
  r.extra["scan_s"] = std::stod(fixed(pm.scan_end_s - pm.start_s));
  r.extra["migd_requests"] = migd.requests();
  return r;
}

} // namespace spritesim
