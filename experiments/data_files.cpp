// Lookups in the embedded configs and scripts (see data_files.hpp), and experiment configs read from disk or from
// them.
#include "experiments/data_files.hpp"

#include <filesystem>

#include "core/json_reader.hpp"

namespace spritesim {

std::optional<std::string_view> embedded_file(std::string_view name)
{
  return find_embedded(experiment_data_files(), name);
}

std::vector<std::string> embedded_names(std::string_view prefix)
{
  return embedded_names_under(experiment_data_files(), prefix);
}

bool exists_quietly(const std::string& path)
{
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

std::string config_text(const std::string& path)
{
  auto embedded = exists_quietly(path) ? std::nullopt : embedded_file(path);
  return embedded ? std::string(*embedded) : read_text_file(path);
}

ExperimentSpec load_experiment(const std::string& path, const std::vector<std::string>& set_overrides)
{
  return parse_experiment_text(config_text(path), path, set_overrides);
}

} // namespace spritesim
