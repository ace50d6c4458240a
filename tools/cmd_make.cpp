// `spritesim make [--migd HOST:PORT] [--secret FILE] [--home NAME] [--shell SH] [--shell-flags F] [--make PROG]
// [--] MAKE-ARGS...`: GNU make with every recipe sent through real mode, as pmake did in Sprite. It execs make with
// SHELL=spritesim-rexec (the lean executable next to this one) and .SHELLFLAGS="--no-stdin --quiet -- SH F"; the
// coordinator, secret and home travel in the environment, so that no path can break make's split of .SHELLFLAGS.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "real/auth.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

namespace spritesim {

namespace {
const char* MAKE_USAGE =
    "usage: spritesim make [--migd HOST:PORT] [--secret FILE] [--home NAME] [--shell SH] [--shell-flags F]\n"
    "                      [--migd-wait S] [--make PROG] [--] MAKE-ARGS...\n"
    "       (defaults from $SPRITESIM_MIGD, $SPRITESIM_SECRET, $SPRITESIM_HOME, $SPRITESIM_MIGD_WAIT; SH is /bin/sh,\n"
    "       F is -c (give the makefile's .SHELLFLAGS here, e.g. -ec), PROG is make)";

bool has_space(const std::string& s)
{
  return s.find_first_of(" \t\n") != std::string::npos;
}
} // namespace

int cmd_make(const Args& args)
{
  std::string migd = env_or("SPRITESIM_MIGD", "");
  std::string secret = env_or("SPRITESIM_SECRET", "");
  std::string home = env_or("SPRITESIM_HOME", "");
  std::string shell = "/bin/sh";
  std::string shell_flags = "-c";
  std::string migd_wait = env_or("SPRITESIM_MIGD_WAIT", "");
  std::string make = "make";
  size_t i = 0;
  // Our options come first; the first argument that is not one of them (or the one after "--") is make's.
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "-h" || a == "--help") {
      fmt::print("{}\nSee docs/real-mode.md.\n", MAKE_USAGE);
      return 0;
    }
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size())
        throw UsageError(fmt::format("{} needs a value\n{}", a, MAKE_USAGE));
      return args[++i];
    };
    if (a == "--migd")
      migd = value();
    else if (a == "--secret")
      secret = value();
    else if (a == "--home")
      home = value();
    else if (a == "--shell")
      shell = value();
    else if (a == "--shell-flags")
      shell_flags = value();
    else if (a == "--migd-wait")
      migd_wait = value();
    else if (a == "--make")
      make = value();
    else
      break;
  }
  if (migd.empty())
    throw UsageError(fmt::format("no coordinator: give --migd HOST:PORT (or set $SPRITESIM_MIGD)\n{}", MAKE_USAGE));
  if (secret.empty())
    throw UsageError("--migd needs --secret FILE (or $SPRITESIM_SECRET)");
  if (shell.empty() || has_space(shell))
    throw UsageError(fmt::format("--shell \"{}\": make splits .SHELLFLAGS at white space, so the shell's path "
                                 "must be non-empty and contain none",
                                 shell));
  if (shell_flags.size() < 2 || shell_flags[0] != '-' || shell_flags.back() != 'c' ||
      shell_flags.find_first_not_of("-abcdefghijklmnopqrstuvwxyz") != std::string::npos)
    throw UsageError(fmt::format("--shell-flags \"{}\": expected the shell's options ending with c, as one word "
                                 "(e.g. -c, -ec)",
                                 shell_flags));
  if (!migd_wait.empty())
    (void)parse_seconds(migd_wait, "--migd-wait"); // checked here, used by every recipe's rexec
  // Recipes may run in other directories (make -C, recursive makes): the secret's path must not depend on the cwd.
  secret = std::filesystem::absolute(secret).string();
  real::read_secret_file(secret); // a missing or loose secret is reported once here, not by every recipe
  const std::filesystem::path rexec = std::filesystem::path(self_exe()).parent_path() / "spritesim-rexec";
  if (::access(rexec.c_str(), X_OK) != 0)
    throw UsageError(fmt::format("{} not found next to spritesim ({}): build it (ninja) or install both executables "
                                 "in the same directory",
                                 rexec.string(), std::strerror(errno)));
  if (has_space(rexec.string()))
    throw UsageError(fmt::format("{}: make's SHELL cannot be a path with white space", rexec.string()));

  ::setenv("SPRITESIM_MIGD", migd.c_str(), 1);
  ::setenv("SPRITESIM_SECRET", secret.c_str(), 1);
  if (!home.empty())
    ::setenv("SPRITESIM_HOME", home.c_str(), 1);
  if (!migd_wait.empty())
    ::setenv("SPRITESIM_MIGD_WAIT", migd_wait.c_str(), 1);
  Args argv = {make, "SHELL=" + rexec.string(), ".SHELLFLAGS=--no-stdin --quiet -- " + shell + " " + shell_flags};
  argv.insert(argv.end(), args.begin() + static_cast<long>(i), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv)
    cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::fflush(stdout);
  ::execvp(make.c_str(), cargv.data()); // make's exit status becomes ours
  throw UsageError(fmt::format("cannot run --make \"{}\": {}", make, std::strerror(errno)));
}

} // namespace spritesim
