// `spritesim policies`: the policy registry with each parameter's type, default, range and meaning.
#include <fmt/format.h>

#include "policy/policy.hpp"
#include "tools/commands.hpp"

namespace spritesim {

int cmd_policies(const Args& args)
{
  if (!args.empty())
    throw UsageError("policies takes no arguments");
  for (const auto& p : policy_registry()) {
    fmt::print("{}\n    {}\n    source: {}\n", p.name, p.summary, p.source);
    for (const auto& prm : p.params)
      fmt::print("    {} ({}, default {}, range [{}, {}]): {}\n", prm.name, prm.type, prm.default_value, prm.min,
                 prm.max, prm.doc);
  }
  return 0;
}

} // namespace spritesim
