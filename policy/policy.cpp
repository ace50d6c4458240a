// The non-virtual policy runner and the registry (see policy.hpp).
#include "policy/policy.hpp"

#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "policy/placement/sprite_longest_idle.hpp"

namespace spritesim {

std::vector<Decision> Policy::decide(const ClusterView& view, const std::vector<PolicyEvent>& events)
{
  ++calls_;
  std::vector<Decision> out = do_decide(view, events);
  std::set<int> granted;
  for (const auto& d : out) {
    if (d.host < 0 || d.host >= static_cast<int>(view.hosts.size()))
      throw std::logic_error(fmt::format("policy decided on unknown host {}", d.host));
    const HostView& h = view.hosts[static_cast<size_t>(d.host)];
    if (d.kind == DecisionKind::GRANT_HOST) {
      if (!h.available || h.holder >= 0 || h.is_file_server || !granted.insert(d.host).second)
        throw std::logic_error(fmt::format("policy granted host {} which is not free", h.name));
      for (const auto& ev : events)
        if (ev.kind == EventKind::HOST_REQUEST && ev.client == d.client && ev.home == d.host)
          throw std::logic_error(fmt::format("policy granted client {} its own home {}", d.client, h.name));
    } else if (d.kind == DecisionKind::REVOKE_HOST && h.holder != d.client) {
      throw std::logic_error(fmt::format("policy revoked host {} from client {}, which does not hold it", h.name,
                                         d.client));
    }
  }
  decisions_ += out.size();
  return out;
}

const std::vector<PolicyInfo>& policy_registry()
{
  static const std::vector<PolicyInfo> registry = {sprite_longest_idle_info()};
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
  throw InputError(file, path + ".name", fmt::format("unknown policy \"{}\" (known: {})", name, fmt::join(names, ", ")));
}

} // namespace spritesim
