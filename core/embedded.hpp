// Data files compiled into the binary (configs/ and models/profiles/), so `spritesim reproduce` needs no files on
// disk. Names are repository-relative, e.g. "configs/reproduction/kernel-speedup.json".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spritesim {

struct EmbeddedFile {
  std::string_view name;
  std::string_view content;
};

/// Every embedded file, sorted by name.
const std::vector<EmbeddedFile>& embedded_files();

/// The content of one embedded file, if present.
std::optional<std::string_view> embedded_file(std::string_view name);

/// Names of the embedded files under a folder prefix such as "configs/reproduction/".
std::vector<std::string> embedded_names(std::string_view prefix);

} // namespace spritesim
