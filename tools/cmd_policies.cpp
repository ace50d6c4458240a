// `spritesim policies [--json]`: the policy registry with each policy's summary and source and each parameter's
// type, default, range and meaning, as text for people or as JSON for scripts.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "policy/policy.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

namespace spritesim {

namespace {

// Booleans and integers go out as JSON booleans and integers, numbers as numbers.
nlohmann::ordered_json param_value(const PolicyParam& p, double v)
{
  if (p.type == "boolean")
    return v != 0;
  if (p.type == "integer")
    return static_cast<int64_t>(v);
  return v;
}

nlohmann::ordered_json registry_json()
{
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& info : policy_registry()) {
    nlohmann::ordered_json params = nlohmann::ordered_json::array();
    for (const auto& p : info.params) {
      nlohmann::ordered_json j = {{"name", p.name}, {"type", p.type}, {"default", param_value(p, p.default_value)}};
      if (p.type != "boolean") {
        j["min"] = param_value(p, p.min);
        j["max"] = param_value(p, p.max);
      }
      j["doc"] = p.doc;
      params.push_back(std::move(j));
    }
    out.push_back({{"name", info.name}, {"summary", info.summary}, {"source", info.source}, {"params", params}});
  }
  return out;
}

} // namespace

int cmd_policies(const Args& args)
{
  if (asked_for_help(args, "usage: spritesim policies [--json]\n"
                           "  list the policies with their parameters, types and defaults (--json: as JSON).\n"
                           "  See docs/policies.md."))
    return 0;
  bool json = false;
  for (const auto& a : args) {
    if (a == "--json")
      json = true;
    else
      throw UsageError(fmt::format("policies: unknown argument \"{}\" (usage: spritesim policies [--json])", a));
  }
  if (json) {
    fmt::print("{}\n", registry_json().dump(2));
    return 0;
  }
  for (const auto& info : policy_registry()) {
    fmt::print("{}\n    {}\n    source: {}\n", info.name, info.summary, info.source);
    for (const auto& p : info.params) {
      if (p.type == "boolean")
        fmt::print("    {} (boolean, default {}): {}\n", p.name, p.default_value != 0, p.doc);
      else
        fmt::print("    {} ({}, default {}, range [{}, {}]): {}\n", p.name, p.type, p.default_value, p.min, p.max,
                   p.doc);
    }
  }
  return 0;
}

} // namespace spritesim
