// `spritesim reproduce`: every paper figure, the month-long run and the policy studies (experiments/reproduce.hpp).
#include <fmt/format.h>

#include "experiments/reproduce.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

namespace spritesim {

namespace {

const char* const REPRODUCE_USAGE =
    "usage: spritesim reproduce [--out DIR] [--jobs N]\n"
    "  run every paper figure in configs/reproduction/ (embedded), the month-long run and the policy studies,\n"
    "  N runs at a time (default 2), and write report.md, speedup.csv, points.csv and the figures into DIR\n"
    "  (default reproduction). ^C stops every run; finished runs are kept.";

} // namespace

int cmd_reproduce(const Args& args)
{
  if (asked_for_help(args, REPRODUCE_USAGE))
    return 0;
  std::string out = "reproduction";
  int jobs = 2;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--out" && i + 1 < args.size())
      out = args[++i];
    else if (args[i] == "--jobs" && i + 1 < args.size()) {
      std::string v = args[++i];
      if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) < 1 ||
          std::stoi(v) > 256)
        throw UsageError(fmt::format("--jobs expects an integer in [1, 256], got \"{}\"", v));
      jobs = std::stoi(v);
    } else
      reject_argument("spritesim reproduce", args[i]);
  }
  return reproduce(out, jobs);
}

} // namespace spritesim
