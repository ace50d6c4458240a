// The hidden `spritesim columns` verb: every CSV a run writes with its columns, one file a line ("jobs.csv:
// job_id,kind,..."), straight from the records' field tables (core/results.hpp), so that tests/docs_outputs.py can
// hold docs/outputs.md to the same columns in the same order.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/results.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

namespace spritesim {

int cmd_columns(const Args& args)
{
  if (asked_for_help(args, "usage: spritesim columns\n"
                           "  each CSV a run writes with its columns, one file a line (docs/outputs.md is checked "
                           "against it)"))
    return 0;
  if (!args.empty())
    reject_argument("spritesim columns", args[0]);
  for (const auto& [file, columns] : csv_files())
    fmt::print("{}: {}\n", file, fmt::join(columns, ","));
  return 0;
}

} // namespace spritesim
