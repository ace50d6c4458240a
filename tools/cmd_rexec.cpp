// `spritesim rexec [--migd HOST:PORT] [--secret FILE] [--home NAME] [--require-remote] -- CMD...`: run a command
// where the real-mode coordinator says, as if here (real/rexec.hpp; docs/real-mode.md). Exits with the command's
// status.
#include <cstdlib>

#include <fmt/format.h>
#include <unistd.h>

#include "real/build_state.hpp"
#include "real/rexec.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

namespace spritesim {

namespace {
const char* REXEC_USAGE =
    "usage: spritesim rexec [--migd HOST:PORT] [--secret FILE] [--home NAME] [--no-stdin] [--quiet] [--migd-wait S]\n"
    "                       [--require-remote] -- CMD [ARGS...]\n"
    "       (defaults from $SPRITESIM_MIGD, $SPRITESIM_SECRET, $SPRITESIM_HOME, $SPRITESIM_MIGD_WAIT,\n"
    "       $SPRITESIM_REQUIRE_REMOTE=1)\n"
    "  --require-remote  when migd is unreachable (after --migd-wait S, 10 by default) or refuses this client, exit\n"
    "                    125 without running CMD instead of running it here, unrecorded";

} // namespace

int cmd_rexec(const Args& args)
{
  real::RexecOptions o;
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  o.migd = env_or("SPRITESIM_MIGD", "");
  o.secret_file = env_or("SPRITESIM_SECRET", "");
  o.home = env_or("SPRITESIM_HOME", host);
  if (std::string wait = env_or("SPRITESIM_MIGD_WAIT", ""); !wait.empty())
    o.migd_wait_s = parse_seconds(wait, "$SPRITESIM_MIGD_WAIT");
  o.require_remote = env_or("SPRITESIM_REQUIRE_REMOTE", "0") != "0";
  o.build_dir = env_or(real::BUILD_DIR_ENV, ""); // set by spritesim make for its recipes

  size_t i = 0;
  for (; i < args.size() && args[i] != "--"; ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      fmt::print("{}\nSee docs/real-mode.md.\n", REXEC_USAGE);
      return 0;
    }
    auto value = [&]() -> const std::string& { return option_value(args, i, "spritesim rexec"); };
    if (a == "--migd")
      o.migd = value();
    else if (a == "--secret")
      o.secret_file = value();
    else if (a == "--home")
      o.home = value();
    else if (a == "--no-stdin")
      o.forward_stdin = false;
    else if (a == "--quiet")
      o.quiet = true;
    else if (a == "--migd-wait")
      o.migd_wait_s = parse_seconds(value(), a);
    else if (a == "--require-remote")
      o.require_remote = true;
    else
      reject_argument("spritesim rexec", a, "the command goes after --");
  }
  o.argv.assign(args.begin() + static_cast<long>(std::min(i + 1, args.size())), args.end());
  if (o.argv.empty())
    throw UsageError(fmt::format("no command after --\n{}", REXEC_USAGE));
  if (!o.migd.empty() && o.secret_file.empty())
    throw UsageError("--migd needs --secret FILE (or $SPRITESIM_SECRET)");
  if (o.require_remote && o.migd.empty())
    throw UsageError("--require-remote needs a coordinator: give --migd HOST:PORT (or set $SPRITESIM_MIGD)");
  return real::rexec(o);
}

} // namespace spritesim
