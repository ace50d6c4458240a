// Sprite's idle rule as a pure function: a workstation accepts foreign processes only after 30 s without console
// input and while its load averages are low, with separate thresholds to start and to stop accepting (hysteresis).
// Defaults are migd's (SRC src/daemons/migd/migd.c; docs/references.md).
#pragma once

#include <array>
#include <string>

#include <nlohmann/json.hpp>

namespace spritesim {

/// INPUT_THRESHOLD of migd.c: seconds without console input before a host may take foreign work (SRC migd.c).
constexpr double SPRITE_INPUT_THRESHOLD_S = 30;

/// migd's availability rule, evaluated on every 5 s sample. Comparisons follow migd.c: a host refuses when input is
/// more recent than the threshold (idle >= threshold is enough) and when an average is strictly above a threshold
/// (an average equal to its threshold does not block).
struct IdleRule {
  double input_threshold_s = SPRITE_INPUT_THRESHOLD_S; ///< no console input for this long
  std::array<double, 3> low = {0.75, 1.0, 1.5};  ///< become available when all averages are below these
  std::array<double, 3> high = {2.5, 2.75, 3.0}; ///< stop accepting when any exceeds these
  /// Next availability given the previous one, seconds since console input, and the averages; `loads_no_foreign`
  /// are the averages without low-priority foreign processes, compared with the high thresholds as migd does.
  bool next_available(bool was_available, double input_idle_s, const std::array<double, 3>& loads,
                      const std::array<double, 3>& loads_no_foreign) const;
  /// Why next_available is false, in words ("" when it is true): the first condition of the rule that fails.
  std::string refusal(bool was_available, double input_idle_s, const std::array<double, 3>& loads,
                      const std::array<double, 3>& loads_no_foreign) const;

private:
  /// The first condition that fails: -1 none, 0 console input, 1 + i average i above its high threshold (an
  /// accepting host), 4 + i above its low one (a refusing host).
  int failing(bool was_available, double input_idle_s, const std::array<double, 3>& loads,
              const std::array<double, 3>& loads_no_foreign) const;
};

/// Reads an IdleRule object at JSON path `path` of `file`: keys input_threshold_s, low, high (arrays of three
/// numbers); missing keys keep migd's defaults; unknown keys, wrong types or low above high are InputErrors.
IdleRule parse_idle_rule(const nlohmann::json& j, const std::string& file, const std::string& path);

/// Every field, so a resolved config shows the values used.
nlohmann::json to_json(const IdleRule& rule);

} // namespace spritesim
