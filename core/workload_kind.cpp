// Look-ups in the workload kind table (see workload_kind.hpp).
#include "core/workload_kind.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace spritesim {

const WorkloadKindInfo& workload_kind_info(WorkloadKind kind)
{
  for (const auto& k : workload_kinds())
    if (k.kind == kind)
      return k;
  throw std::logic_error(fmt::format("workload kind {} has no row in core/workload_kind.hpp", static_cast<int>(kind)));
}

std::string workload_kind_name(WorkloadKind kind) { return std::string(workload_kind_info(kind).name); }

std::optional<WorkloadKind> find_workload_kind(std::string_view name)
{
  for (const auto& k : workload_kinds())
    if (k.name == name)
      return k.kind;
  return std::nullopt;
}

std::vector<std::string> workload_kind_names()
{
  std::vector<std::string> names;
  for (const auto& k : workload_kinds())
    names.emplace_back(k.name);
  return names;
}

std::vector<std::string_view> workload_kind_keys()
{
  std::vector<std::string_view> keys;
  for (const auto& k : workload_kinds())
    for (std::string_view key : k.keys)
      if (std::find(keys.begin(), keys.end(), key) == keys.end())
        keys.push_back(key);
  return keys;
}

std::string quoted_alternatives(const std::vector<std::string_view>& names)
{
  std::string text;
  for (size_t i = 0; i < names.size(); ++i)
    text += fmt::format("{}\"{}\"", i == 0 ? "" : i + 1 == names.size() ? " or " : ", ", names[i]);
  return text;
}

std::string kinds_reading(std::string_view key)
{
  std::vector<std::string_view> names;
  for (const auto& k : workload_kinds())
    if (std::find(k.keys.begin(), k.keys.end(), key) != k.keys.end())
      names.push_back(k.name);
  return "a " + quoted_alternatives(names);
}

} // namespace spritesim
