// The recording shim of `spritesim trace capture` (tools/cmd_trace_capture.cpp): make runs every recipe line
// through it (SHELL); it runs the real shell, times the line and appends one record to the build's log. Also the
// environment names both sides share and the process helpers both use.
#pragma once

#include <csignal>
#include <ctime>
#include <string>
#include <vector>

#include <sys/types.h>

#include "tools/commands.hpp"

namespace spritesim::capture {

inline constexpr const char* ENV_LOG = "SPRITESIM_CAPTURE_LOG";       // the per-build record log
inline constexpr const char* ENV_SHELL = "SPRITESIM_CAPTURE_SHELL";   // the real shell recipes run in
inline constexpr const char* ENV_PARENT = "SPRITESIM_CAPTURE_PARENT"; // record id of the recipe that runs a sub-make
inline constexpr const char* ENV_TARGET = "SPRITESIM_CAPTURE_TARGET";   // $@ of the recipe (a make variable, exported)
inline constexpr const char* ENV_PREREQS = "SPRITESIM_CAPTURE_PREREQS"; // its $^ $| (first MAX_PREREQS of them)
inline constexpr const char* ENV_MIGD = "SPRITESIM_CAPTURE_MIGD";     // real mode: the coordinator recipes go through
inline constexpr const char* ENV_SECRET = "SPRITESIM_CAPTURE_SECRET"; // and its secret file
inline constexpr const char* ENV_HOME = "SPRITESIM_CAPTURE_HOME";     // and this machine's name for it
inline constexpr int MAX_PREREQS = 2000; // keeps the variable under Linux's 128 KiB limit for one environment string

/// A clock's time in seconds.
double clock_s(clockid_t clock);

/// utime+stime and cutime+cstime of a process from /proc/PID/stat (clock ticks to seconds); false if unreadable.
bool proc_cpu(pid_t pid, double& self_s, double& children_s);

/// The environment for a child, with `name` set to `value` (replaced if present).
std::vector<std::string> env_with(const std::string& name, const std::string& value);

/// Starts a program with default SIGINT/SIGQUIT handling in the child (the caller ignores them while it waits, like
/// system(): a ^C reaches the whole process group and the child decides what it means).
pid_t spawn(std::vector<std::string> argv, std::vector<std::string> env, bool search);

/// Ignores SIGINT and SIGQUIT while it lives.
struct IgnoreInterrupts {
  struct sigaction old_int {}, old_quit {};
  IgnoreInterrupts();
  ~IgnoreInterrupts();
  IgnoreInterrupts(const IgnoreInterrupts&) = delete;
  IgnoreInterrupts& operator=(const IgnoreInterrupts&) = delete;
};

/// The shim itself (the lean `spritesim-capture-shim`, tools/spritesim_capture_shim.cpp): make runs `SHIM FLAGS
/// LINE` (`SHIM 'FLAGS' SCRIPT` under .ONESHELL), `args` are FLAGS and LINE, and the target and prerequisites arrive
/// in the environment.
int run_shell_shim(const Args& args);

/// The shim's executable name, next to `spritesim`.
inline constexpr const char* SHIM_EXECUTABLE = "spritesim-capture-shim";

} // namespace spritesim::capture
