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
#include "real/rexec.hpp"
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
    "  --require-remote  fail instead: exit 1 before make starts, or fail the recipes (status 125) if migd goes\n"
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

struct MakeOptions {
  std::string migd = env_or("SPRITESIM_MIGD", "");
  std::string secret = env_or("SPRITESIM_SECRET", "");
  std::string home = env_or("SPRITESIM_HOME", "");
  std::string shell = "/bin/sh";
  std::string shell_flags = "-c";
  std::string migd_wait = env_or("SPRITESIM_MIGD_WAIT", "");
  std::string make = "make";
  bool require_remote = env_or("SPRITESIM_REQUIRE_REMOTE", "0") != "0";
  bool help = false;
  size_t make_args = 0; ///< where make's own arguments start in the command line
};

// Our options come first; the first argument that is not one of them (or the one after "--") is make's. Each
// value is checked here, once, rather than by every recipe.
MakeOptions parse_make_options(const Args& args)
{
  MakeOptions o;
  size_t& i = o.make_args;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "-h" || a == "--help") {
      o.help = true;
      return o;
    }
    auto value = [&]() -> const std::string& { return option_value(args, i, "spritesim make"); };
    if (a == "--migd")
      o.migd = value();
    else if (a == "--secret")
      o.secret = value();
    else if (a == "--home")
      o.home = value();
    else if (a == "--shell")
      o.shell = value();
    else if (a == "--shell-flags")
      o.shell_flags = value();
    else if (a == "--migd-wait")
      o.migd_wait = value();
    else if (a == "--make")
      o.make = value();
    else if (a == "--require-remote")
      o.require_remote = true;
    else
      break;
  }
  if (o.migd.empty())
    throw UsageError(fmt::format("no coordinator: give --migd HOST:PORT (or set $SPRITESIM_MIGD)\n{}", MAKE_USAGE));
  if (o.secret.empty())
    throw UsageError("--migd needs --secret FILE (or $SPRITESIM_SECRET)");
  if (o.shell.empty() || has_space(o.shell))
    throw UsageError(fmt::format("--shell \"{}\": make splits .SHELLFLAGS at white space, so the shell's path "
                                 "must be non-empty and contain none",
                                 o.shell));
  if (o.shell_flags.size() < 2 || o.shell_flags[0] != '-' || o.shell_flags.back() != 'c' ||
      o.shell_flags.find_first_not_of("-abcdefghijklmnopqrstuvwxyz") != std::string::npos)
    throw UsageError(fmt::format("--shell-flags \"{}\": expected the shell's options ending with c, as one word "
                                 "(e.g. -c, -ec)",
                                 o.shell_flags));
  if (!o.migd_wait.empty())
    (void)parse_seconds(o.migd_wait, "--migd-wait");
  // Recipes may run in other directories (make -C, recursive makes): the secret's path must not depend on the cwd.
  o.secret = std::filesystem::absolute(o.secret).string();
  real::read_secret_file(o.secret); // a missing or loose secret is reported once here, not by every recipe
  return o;
}

// spritesim-rexec, next to this executable: make's SHELL.
std::filesystem::path rexec_path()
{
  const std::filesystem::path rexec = companion_executable("spritesim-rexec");
  if (::access(rexec.c_str(), X_OK) != 0)
    throw UsageError(fmt::format("{} not found next to spritesim ({}): build it (ninja) or install both executables "
                                 "in the same directory",
                                 rexec.string(), std::strerror(errno)));
  if (has_space(rexec.string()))
    throw UsageError(fmt::format("{}: make's SHELL cannot be a path with white space", rexec.string()));
  return rexec;
}

// One try before the build, without waiting: a coordinator that is down or refuses us is said once, here, and the
// recipes (which find the marker in the build's directory) neither wait for it nor say it again.
void probe_once(const MakeOptions& o, const std::string& build_dir)
{
  std::string why;
  real::Endpoint migd_at = real::parse_endpoint(o.migd, "--migd");
  auto trouble = real::probe_migd(migd_at, real::read_secret_file(o.secret), &why);
  if (trouble == real::MigdTrouble::NONE)
    return;
  std::string what = fmt::format("migd at {} {}", migd_at.text(), real::describe_trouble(trouble, why));
  if (o.require_remote)
    throw std::runtime_error(what + ", and --require-remote is given: make not started");
  real::BuildState(build_dir).report(trouble, why);
  fmt::print(stderr, "spritesim make: {}: the recipes run here, unrecorded (give --require-remote to fail "
                     "instead)\n",
             what);
}

} // namespace

int cmd_make(const Args& args)
{
  MakeOptions o = parse_make_options(args);
  if (o.help) {
    fmt::print("{}\nSee docs/real-mode.md.\n", MAKE_USAGE);
    return 0;
  }
  const std::filesystem::path rexec = rexec_path();
  ::setenv("SPRITESIM_MIGD", o.migd.c_str(), 1);
  ::setenv("SPRITESIM_SECRET", o.secret.c_str(), 1);
  if (!o.home.empty())
    ::setenv("SPRITESIM_HOME", o.home.c_str(), 1);
  if (!o.migd_wait.empty())
    ::setenv("SPRITESIM_MIGD_WAIT", o.migd_wait.c_str(), 1);
  int status = 0;
  {
    BuildDir build;
    ::setenv(real::BUILD_DIR_ENV, build.path.c_str(), 1);
    if (o.require_remote)
      ::setenv("SPRITESIM_REQUIRE_REMOTE", "1", 1);
    probe_once(o, build.path);
    // The target reaches each recipe's rexec as a command-line variable, which make exports to every recipe
    // expanded for its own target (and passes to recursive makes): jobs are named after what they build.
    Args argv = {o.make, "SHELL=" + rexec.string(),
                 ".SHELLFLAGS=--no-stdin --quiet -- " + o.shell + " " + o.shell_flags,
                 std::string(real::TARGET_ENV) + "=$@"};
    argv.insert(argv.end(), args.begin() + static_cast<long>(o.make_args), args.end());
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
