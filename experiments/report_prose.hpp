// The prose of report sections kept out of the code: an embedded markdown file (configs/studies/report.md,
// configs/owners/report.md) of blocks, each from its "@@ NAME" line to the next, with {name} fields (fmt syntax)
// that the section's code fills in. The code only chooses among the blocks and computes the numbers.
#pragma once

#include <map>
#include <string>

#include <fmt/args.h>
#include <fmt/format.h>

namespace spritesim {

/// The blocks of embedded prose file `file` by name (trailing blank lines dropped); read once. A file that is not
/// embedded is a logic_error.
const std::map<std::string, std::string>& prose_blocks(const std::string& file);

/// Block `name` of `file` as written; a missing block is a logic_error.
const std::string& prose_block(const std::string& file, const std::string& name);

/// Block `name` of `file` with its {names} filled in from fmt::arg(...) arguments.
template <typename... Named>
std::string prose(const std::string& file, const std::string& name, const Named&... args)
{
  fmt::dynamic_format_arg_store<fmt::format_context> store;
  (store.push_back(args), ...);
  return fmt::vformat(prose_block(file, name), store);
}

} // namespace spritesim
