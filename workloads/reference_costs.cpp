// The papers' reference machines as sequential costs (see reference_costs.hpp), from the built-in profiles.
#include "workloads/reference_costs.hpp"

namespace spritesim {

SequentialCosts reference_costs(const std::string& workstation, const std::string& server)
{
  auto costs_of = [](const std::string& ws, const std::string& fs) {
    return sequential_costs(CostModel(load_profile(ws, "workstation"), load_profile(fs, "file_server"), Network{}));
  };
  auto [kernel, kernel_mips] = costs_of("ss1", "sun4-280");
  if (workstation == "ss1" && server == "sun4-280")
    return kernel;
  auto [sc, mips] = costs_of(workstation, server);
  sc.kernel_lookup_s = kernel.lookup_s;
  sc.cpu_scale = kernel_mips / mips;
  return sc;
}

std::pair<SequentialCosts, double> sequential_costs(const CostModel& ref)
{
  SequentialCosts sc;
  sc.lookup_s = unloaded_seconds(ref.lookup(), ref.network());
  InvocationCost inv = ref.local_invocation();
  sc.invocation_s = inv.parent_cpu_s + inv.child_cpu_s;
  sc.small_rpc_s = unloaded_seconds(ref.small_rpc(), ref.network());
  sc.fs_bytes_per_s = ref.workstation().get("rpc_fs_bandwidth_KBps") * 1024;
  sc.reference_profile = ref.workstation().name;
  sc.cpu_scale = 1;
  return {sc, ref.workstation().get("cpu_mips")};
}

} // namespace spritesim
