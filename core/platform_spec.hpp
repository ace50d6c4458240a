// A config's platform section: read inline or from a platform file (configs/platforms/), with heterogeneous
// platforms' platform.groups (workstations by profile and architecture) and platform.file_servers read strictly and
// cross-checked, and the effective groups and servers of any platform (one of each when the config gives neither).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/experiment.hpp"
#include "core/json_reader.hpp"

namespace spritesim {

/// Reads `platform`: an object, or the path of a platform file holding one (relative to `config_file`; its errors
/// name that file, and profile files it names are relative to it).
PlatformSpec parse_platform_member(const JsonReader& r, const std::string& config_file);

/// The platform as the resolved config writes it (groups and servers only when the config gave them).
nlohmann::json to_json(const PlatformSpec& p);

/// Makes a relative path relative to the config's folder, and absolute, so that the resolved config written next to
/// the results runs again from anywhere.
void beside_config(std::string& path, const std::string& config_file);

} // namespace spritesim
