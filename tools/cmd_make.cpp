// `spritesim make [--migd HOST:PORT] [--secret FILE] [--home NAME] [--shell SH] [--shell-flags F] [--make PROG]
// [--require-remote] [--] MAKE-ARGS...`: GNU make with every recipe sent through real mode, as pmake did in Sprite.
// It runs make with SHELL=spritesim-rexec (the lean executable next to this one) and .SHELLFLAGS="--no-stdin --quiet
// -- SH F"; the coordinator, secret and home travel in the environment, so that no path can break make's split of
// .SHELLFLAGS, and so does a private directory where the recipes share what they found about migd (one note per
// build, no wait per recipe), removed when make ends.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <csignal>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include "real/auth.hpp"
#include "real/build_state.hpp"
#include "real/migd_session.hpp"
#include "real/net.hpp"
#include "core/child_process.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

namespace spritesim {

namespace {
const char* MAKE_USAGE =
    "usage: spritesim make [--migd HOST:PORT] [--secret FILE] [--home NAME] [--shell SH] [--shell-flags F]\n"
    "                      [--migd-wait S] [--make PROG] [--require-remote] [--] MAKE-ARGS...\n"
    "       (defaults from $SPRITESIM_MIGD, $SPRITESIM_SECRET, $SPRITESIM_HOME, $SPRITESIM_MIGD_WAIT,\n"
    "       $SPRITESIM_REQUIRE_REMOTE=1; SH is /bin/sh, F is -c (give the makefile's .SHELLFLAGS here, e.g. -ec),\n"
    "       PROG is make)\n"
    "  When migd is unreachable or refuses (a wrong secret), the build says so once on stderr and its recipes run\n"
    "  here, unrecorded; migd is tried once before make starts and not waited for by every recipe.\n"
    "  --require-remote  fail instead: exit 2 before make starts, or fail the recipes (status 125) if migd goes\n"
    "                    away during the build";

bool has_space(const std::string& s)
{
  return s.find_first_of(" \t\n") != std::string::npos;
}

/// The build's private directory (real/build_state.hpp), removed with what the recipes left in it.
struct BuildDir {
  std::string path;
  BuildDir()
  {
    std::string tmpl = (std::filesystem::temp_directory_path() / "spritesim-make-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error(fmt::format("cannot create a temporary directory ({}): {}", tmpl, std::strerror(errno)));
    path = tmpl;
  }
  ~BuildDir()
  {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

volatile pid_t g_make = 0; // read by pass_on

/// SIGTERM or SIGHUP sent to spritesim make reach make (which ends its recipes), as they did when this process was
/// make itself.
void pass_on(int sig)
{
  if (g_make > 0)
    ::kill(g_make, sig);
}

/// Runs make and returns its wait status. The terminal's ^C and ^\\ reach make directly (same process group): here
/// they are ignored while make handles them.
int run_make(Args argv)
{
  std::fflush(stdout);
  std::fflush(stderr);
  struct sigaction pass {}, ignore {}, old[4];
  pass.sa_handler = pass_on;
  ignore.sa_handler = SIG_IGN;
  const int sigs[4] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP};
  for (int k = 0; k < 4; ++k)
    ::sigaction(sigs[k], k < 2 ? &ignore : &pass, &old[k]);
  auto restore = [&] {
    for (int k = 0; k < 4; ++k)
      ::sigaction(sigs[k], &old[k], nullptr);
  };
  ChildSpec make;
  make.argv = argv;
  make.search_path = true;
  for (int k = 0; k < 4; ++k) // make gets the dispositions this process was started with
    make.signals.emplace_back(sigs[k], old[k]);
  int status = 0;
  try {
    g_make = start_child(make);
    status = wait_child_status(g_make);
  } catch (const ChildStartError& e) {
    g_make = 0;
    restore();
    throw UsageError(fmt::format("cannot run --make \"{}\": {}", argv[0], std::strerror(e.error)));
  } catch (...) {
    g_make = 0;
    restore();
    throw;
  }
  g_make = 0;
  restore();
  return status;
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
  bool require_remote = env_or("SPRITESIM_REQUIRE_REMOTE", "0") != "0";
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
    else if (a == "--require-remote")
      require_remote = true;
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
  int status = 0;
  {
    BuildDir build;
    ::setenv(real::BUILD_DIR_ENV, build.path.c_str(), 1);
    if (require_remote)
      ::setenv("SPRITESIM_REQUIRE_REMOTE", "1", 1);
    // One try before the build, without waiting: a coordinator that is down or refuses us is said once, here, and
    // the recipes (which find the marker) neither wait for it nor say it again.
    std::string why;
    real::Endpoint migd_at = real::parse_endpoint(migd, "--migd");
    if (auto trouble = real::probe_migd(migd_at, real::read_secret_file(secret), &why);
        trouble != real::MigdTrouble::NONE) {
      std::string what = fmt::format("migd at {} {}", migd_at.text(), real::describe_trouble(trouble, why));
      if (require_remote)
        throw std::runtime_error(what + ", and --require-remote is given: make not started");
      real::BuildState(build.path).report(trouble, why);
      fmt::print(stderr, "spritesim make: {}: the recipes run here, unrecorded (give --require-remote to fail "
                         "instead)\n",
                 what);
    }
    Args argv = {make, "SHELL=" + rexec.string(), ".SHELLFLAGS=--no-stdin --quiet -- " + shell + " " + shell_flags};
    argv.insert(argv.end(), args.begin() + static_cast<long>(i), args.end());
    status = run_make(argv);
  } // the build's directory is removed before a signal that ended make ends this process too
  if (WIFSIGNALED(status)) {
    ::signal(WTERMSIG(status), SIG_DFL);
    ::kill(::getpid(), WTERMSIG(status)); // as a shell would see make die
    return 128 + WTERMSIG(status);
  }
  return WEXITSTATUS(status);
}

} // namespace spritesim
