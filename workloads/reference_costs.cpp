// The papers' reference machines as sequential costs (see reference_costs.hpp), from the built-in profiles.
#include "workloads/reference_costs.hpp"

#include "models/costs.hpp"

namespace spritesim {

SequentialCosts reference_costs()
{
  CostModel ref(load_profile("ss1", "workstation"), load_profile("sun4-280", "file_server"), Network{});
  SequentialCosts sc;
  sc.lookup_s = unloaded_seconds(ref.lookup(), ref.network());
  InvocationCost inv = ref.local_invocation();
  sc.invocation_s = inv.parent_cpu_s + inv.child_cpu_s;
  sc.small_rpc_s = unloaded_seconds(ref.small_rpc(), ref.network());
  sc.fs_bytes_per_s = ref.workstation().get("rpc_fs_bandwidth_KBps") * 1024;
  sc.reference_profile = "ss1";
  return sc;
}

} // namespace spritesim
