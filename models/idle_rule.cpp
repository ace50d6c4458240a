// Sprite's idle rule (see idle_rule.hpp): the decision migd.c takes on every load sample, and its strict JSON form.
#include "models/idle_rule.hpp"

#include <fmt/format.h>

#include "core/json_reader.hpp"

namespace spritesim {

int IdleRule::failing(bool was_available, double input_idle_s, const std::array<double, 3>& loads,
                      const std::array<double, 3>& loads_no_foreign) const
{
  // Recent console input always wins: the owner is back.
  if (input_idle_s < input_threshold_s)
    return 0;
  if (was_available) {
    // An accepting host stops only when a load without its low-priority foreign processes is too high, so the
    // foreign work it was given cannot push it out by itself.
    for (size_t i = 0; i < 3; ++i)
      if (loads_no_foreign[i] > high[i])
        return 1 + static_cast<int>(i);
    return -1;
  }
  // A refusing host starts accepting only when every average, foreign work included, is low.
  for (size_t i = 0; i < 3; ++i)
    if (loads[i] > low[i])
      return 4 + static_cast<int>(i);
  return -1;
}

bool IdleRule::next_available(bool was_available, double input_idle_s, const std::array<double, 3>& loads,
                              const std::array<double, 3>& loads_no_foreign) const
{
  return failing(was_available, input_idle_s, loads, loads_no_foreign) < 0;
}

std::string IdleRule::refusal(bool was_available, double input_idle_s, const std::array<double, 3>& loads,
                              const std::array<double, 3>& loads_no_foreign) const
{
  static constexpr const char* AVERAGE[] = {"1-minute", "5-minute", "15-minute"};
  int f = failing(was_available, input_idle_s, loads, loads_no_foreign);
  if (f < 0)
    return "";
  if (f == 0)
    return fmt::format("console input {:.0f} s ago (the rule wants {:g} s without)", input_idle_s,
                       input_threshold_s);
  if (f <= 3)
    return fmt::format("{} load {:.2f} without foreign work, above the high threshold {:g}", AVERAGE[f - 1],
                       loads_no_foreign[static_cast<size_t>(f - 1)], high[static_cast<size_t>(f - 1)]);
  return fmt::format("{} load {:.2f}, above the low threshold {:g}", AVERAGE[f - 4], loads[static_cast<size_t>(f - 4)],
                     low[static_cast<size_t>(f - 4)]);
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
