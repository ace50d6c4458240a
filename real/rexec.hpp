// The real-mode client (`spritesim rexec -- CMD...`): asks the coordinator where to run a command, ships argv, the
// working directory, the environment and stdin to that host's agent, and returns the command's output and exit
// status as if it had run here. A command evicted by kill is rerun at home; only one attempt's output is shown.
#pragma once

#include <string>
#include <vector>

namespace spritesim::real {

struct RexecOptions {
  std::string migd;        ///< host:port of the coordinator; empty: run locally
  std::string secret_file;
  std::string home;        ///< this machine's host name for the coordinator (an agent's name when one runs here)
  std::vector<std::string> argv;
  bool forward_stdin = true; ///< read stdin to its end and ship it (never from a terminal)
  bool quiet = false;        ///< no notes on stderr about where the command ran
  double migd_wait_s = 10;   ///< how long to wait for an unreachable (e.g. restarting) coordinator
  bool require_remote = false; ///< fail (REXEC_NO_MIGD) rather than run at home when migd is unreachable or refuses
  std::string build_dir;     ///< the build's shared directory (real/build_state.hpp); empty: a command on its own
};

/// rexec's status when --require-remote is given and migd cannot be reached or refuses: the command did not run
/// (125, as timeout(1) and env(1) say that they failed themselves).
constexpr int REXEC_NO_MIGD = 125;

/// What became of a command, for callers that record it (trace capture).
struct RexecReport {
  double cpu_s = 0;  ///< user + system CPU of the attempt that finished, wherever it ran
  std::string host;  ///< the agent that ran it, or empty when it ran here
};

/// The per-phase timing mode: with this variable naming a file, each rexec appends one JSON line to it, the seconds
/// from its start to each phase it went through (docs/real-mode.md, "Where a recipe's time goes").
constexpr const char* TIMING_ENV = "SPRITESIM_REXEC_TIMING";

/// The make target a recipe line builds: `spritesim make` gives make `SPRITESIM_MAKE_TARGET=$@`, a command-line
/// variable make exports to each recipe expanded for its target. rexec names the job after it.
constexpr const char* TARGET_ENV = "SPRITESIM_MAKE_TARGET";

/// The name migd records a command under (jobs.csv's job_id, before its "-N"): the make target when `target` is
/// not empty; else, for a shell's `-c SCRIPT`, the script's first word; else the program. Without directories.
std::string job_name(const std::vector<std::string>& argv, const std::string& target);

/// Runs the command (remotely when the coordinator grants a host) and returns its exit status: the code, or
/// 128 + the signal that ended it; 127 when it could not be started; REXEC_NO_MIGD when migd could not be used and
/// require_remote is set. Never throws for remote failures: it falls back to running at home. A coordinator that goes
/// away meanwhile is waited for (migd_wait_s) and told of the job when it is back. Throws InputError for a bad
/// secret file.
int rexec(const RexecOptions& options, RexecReport* report = nullptr);

} // namespace spritesim::real
