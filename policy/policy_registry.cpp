// The policy registry: every policy by name with its documented parameters, and make_policy, which checks a
// config's parameters against them. Adding a policy = its own .cpp + one declaration and one entry below.
#include <algorithm>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "policy/policy.hpp"

namespace spritesim {

// One line per policy: the function in its file that describes it.
PolicyInfo condor_desktop_info();     // policy/eviction/condor_desktop.cpp
PolicyInfo least_loaded_info();       // policy/placement/least_loaded.cpp
PolicyInfo lifetime_migration_info(); // policy/balancing/lifetime_migration.cpp
PolicyInfo mosix_gossip_info();       // policy/balancing/mosix_gossip.cpp
PolicyInfo random_placement_info();   // policy/placement/random_placement.cpp
PolicyInfo remote_exec_only_info();   // policy/eviction/remote_exec_only.cpp
PolicyInfo sprite_longest_idle_info(); // policy/placement/sprite_longest_idle.cpp

const std::vector<PolicyInfo>& policy_registry()
{
  static const std::vector<PolicyInfo> registry = [] {
    std::vector<PolicyInfo> r = {
        condor_desktop_info(),
        least_loaded_info(),
        lifetime_migration_info(),
        mosix_gossip_info(),
        random_placement_info(),
        remote_exec_only_info(),
        sprite_longest_idle_info(),
    };
    std::sort(r.begin(), r.end(), [](const PolicyInfo& a, const PolicyInfo& b) { return a.name < b.name; });
    return r;
  }();
  return registry;
}

std::unique_ptr<Policy> make_policy(const std::string& name, const nlohmann::json& params, const std::string& file,
                                    const std::string& path)
{
  for (const auto& info : policy_registry()) {
    if (info.name != name)
      continue;
    static const nlohmann::json no_params = nlohmann::json::object();
    JsonReader r(params.is_null() ? no_params : params, file, path + ".params");
    PolicyParams values;
    for (const auto& p : info.params) {
      if (p.type == "boolean")
        values[p.name] = r.boolean(p.name, p.default_value != 0) ? 1 : 0;
      else if (p.type == "integer")
        values[p.name] = static_cast<double>(r.integer(p.name, static_cast<int64_t>(p.default_value),
                                                       static_cast<int64_t>(p.min), static_cast<int64_t>(p.max)));
      else
        values[p.name] = r.number(p.name, p.default_value, p.min, p.max);
    }
    r.finish();
    return info.make(values);
  }
  std::vector<std::string> names;
  for (const auto& info : policy_registry())
    names.push_back(info.name);
  throw InputError(file, path + ".name",
                   fmt::format("unknown policy \"{}\" (known: {})", name, fmt::join(names, ", ")));
}

} // namespace spritesim
