// Sprite's idle rule (see idle_rule.hpp): the decision migd.c takes on every load sample, and its strict JSON form.
#include "models/idle_rule.hpp"

#include <fmt/format.h>

#include "core/json_reader.hpp"

namespace spritesim {

bool IdleRule::next_available(bool was_available, double input_idle_s, const std::array<double, 3>& loads,
                              const std::array<double, 3>& loads_no_foreign) const
{
  // Recent console input always wins: the owner is back.
  if (input_idle_s < input_threshold_s)
    return false;
  if (was_available) {
    // An accepting host stops only when a load without its low-priority foreign processes is too high, so the
    // foreign work it was given cannot push it out by itself.
    for (size_t i = 0; i < 3; ++i)
      if (loads_no_foreign[i] > high[i])
        return false;
    return true;
  }
  // A refusing host starts accepting only when every average, foreign work included, is low.
  for (size_t i = 0; i < 3; ++i)
    if (loads[i] > low[i])
      return false;
  return true;
}

namespace {

std::array<double, 3> read_triple(const JsonReader& r, const char* key, const std::array<double, 3>& def)
{
  auto member = r.optional_member(key);
  if (!member)
    return def;
  if (!member->node().is_array() || member->node().size() != 3)
    member->fail(fmt::format("expected an array of three numbers (1-, 5- and 15-minute averages), got {}",
                             member->node().is_array() ? fmt::format("{} elements", member->node().size())
                                                       : json_type_name(member->node())));
  std::array<double, 3> out{};
  auto elements = member->elements();
  for (size_t i = 0; i < 3; ++i)
    out[i] = elements[i].as_number(0, 1e6);
  return out;
}

} // namespace

IdleRule parse_idle_rule(const nlohmann::json& j, const std::string& file, const std::string& path)
{
  JsonReader r(j, file, path);
  IdleRule rule;
  rule.input_threshold_s = r.number("input_threshold_s", rule.input_threshold_s, 0, 1e9);
  rule.low = read_triple(r, "low", rule.low);
  rule.high = read_triple(r, "high", rule.high);
  for (size_t i = 0; i < 3; ++i)
    if (rule.low[i] > rule.high[i])
      r.member("low").fail(fmt::format("low[{}] = {} is above high[{}] = {}: a host would stop accepting before it "
                                       "could start", i, rule.low[i], i, rule.high[i]));
  r.finish();
  return rule;
}

nlohmann::json to_json(const IdleRule& rule)
{
  return {{"input_threshold_s", rule.input_threshold_s},
          {"low", {rule.low[0], rule.low[1], rule.low[2]}},
          {"high", {rule.high[0], rule.high[1], rule.high[2]}}};
}

} // namespace spritesim
