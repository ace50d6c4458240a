// The policy registry: every policy by name with its documented parameters, and make_policy, which checks a
// config's parameters against them (or starts the external policy, external_policy.cpp). Adding a policy = its own
// .cpp, its line in policy/meson.build (which generates the list) and docs/policies.md.
#include <algorithm>

#include <fmt/format.h>

#include "core/experiment.hpp"
#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "policy/external_policy.hpp"
#include "policy/policy.hpp"

namespace spritesim {

// Every policy's description, from the list of policy files in policy/meson.build (the generated policy_list.cpp).
std::vector<PolicyInfo> listed_policies();

const std::vector<PolicyInfo>& policy_registry()
{
  static const std::vector<PolicyInfo> registry = [] {
    std::vector<PolicyInfo> r = listed_policies();
    std::sort(r.begin(), r.end(), [](const PolicyInfo& a, const PolicyInfo& b) { return a.name < b.name; });
    return r;
  }();
  return registry;
}

std::unique_ptr<Policy> make_policy(const std::string& name, const nlohmann::json& params, const std::string& file,
                                    const std::string& path)
{
  PolicySpec spec;
  spec.name = name;
  spec.params = params;
  return make_policy(spec, file, path);
}

std::unique_ptr<Policy> make_policy(const PolicySpec& spec, const std::string& file, const std::string& path)
{
  const std::string& name = spec.name;
  const nlohmann::json& params = spec.params;
  if (name == EXTERNAL_POLICY)
    return make_external_policy(spec, file, path);
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
                   fmt::format("unknown policy \"{}\" (known: {}; or \"{}\", a policy process of your own: "
                               "docs/external-policies.md)",
                               name, fmt::join(names, ", "), EXTERNAL_POLICY));
}

} // namespace spritesim
