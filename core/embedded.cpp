// Lookup over a generated table of embedded files (see embedded.hpp and tools/embed_files.py).
#include "core/embedded.hpp"

namespace spritesim {

std::optional<std::string_view> find_embedded(const std::vector<EmbeddedFile>& files, std::string_view name)
{
  for (const auto& f : files)
    if (f.name == name)
      return f.content;
  return std::nullopt;
}

std::vector<std::string> embedded_names_under(const std::vector<EmbeddedFile>& files, std::string_view prefix)
{
  std::vector<std::string> out;
  for (const auto& f : files)
    if (f.name.substr(0, prefix.size()) == prefix)
      out.emplace_back(f.name);
  return out;
}

} // namespace spritesim
