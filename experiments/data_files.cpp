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

ExperimentSpec load_experiment(const std::string& path, const std::vector<std::string>& set_overrides)
{
  std::error_code ec; // a name too long to look up is not a file, rather than a filesystem_error
  auto embedded = std::filesystem::exists(path, ec) ? std::nullopt : embedded_file(path);
  std::string text = embedded ? std::string(*embedded) : read_text_file(path);
  return parse_experiment_text(text, path, set_overrides);
}

} // namespace spritesim
