// Hardware profiles: the calibrated numbers of one machine (a workstation or a file server), loaded from JSON
// where every parameter carries its value and the source it comes from (a siglum of docs/references.md, or a
// derivation).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace spritesim {

struct ProfileParam {
  double value = 0;
  std::string source; ///< where the number comes from; never empty
};

/// A machine's calibrated parameters. Roles fix the parameter set: see workstation_params() / server_params().
struct HardwareProfile {
  std::string name;
  std::string role; ///< "workstation" or "file_server"
  std::string description;
  std::map<std::string, ProfileParam> params;

  /// The value of a parameter; throws std::logic_error for a name the role does not define.
  double get(const std::string& param) const;
};

/// Parameter names every workstation profile defines.
const std::vector<std::string>& workstation_params();
/// Parameter names every file-server profile defines.
const std::vector<std::string>& server_params();

/// Parses a profile document; errors name the file and JSON path. `expected_role` is checked when non-empty.
HardwareProfile parse_profile(const nlohmann::json& doc, const std::string& file, const std::string& expected_role);

/// Loads a profile by name (embedded models/profiles/NAME.json) or by path to a JSON file.
HardwareProfile load_profile(const std::string& name_or_path, const std::string& expected_role);

/// Names of the embedded profiles.
std::vector<std::string> builtin_profiles();

/// Replaces one parameter's value (a config's "costs" override, at JSON path `where` of `file`), after the same
/// range check as a profile file's; the source records the override.
void override_param(HardwareProfile& profile, const std::string& param, double value, const std::string& file,
                    const std::string& where);

} // namespace spritesim
