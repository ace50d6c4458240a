// The one place that turns a verb's failure into a message and an exit status (core/results.hpp): shared by
// `spritesim` (every verb) and the lean `spritesim-rexec` (tools/spritesim_rexec.cpp), so both report errors the
// same way; the one wording of a refused argument; the version line; and the small command-line helpers the
// real-mode verbs of both share.
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace spritesim {

/// Runs `verb` and returns its exit status. An exception becomes one line on stderr, "PROGRAM: error: ..." or
/// "PROGRAM: usage error: ...", and the status of its kind (exit_status_of); never a crash.
int run_verb(const std::string& program, const std::function<int()>& verb);

/// The exit status of the exception `e` (core/results.hpp): UsageError EXIT_USAGE, InputError EXIT_BAD_INPUT,
/// InvariantViolation EXIT_INVALID_RUN, another std::runtime_error (the system's) EXIT_RUN_FAILED, anything else
/// (std::logic_error, a non-standard exception) EXIT_INTERNAL_ERROR.
int exit_status_of(const std::exception_ptr& e);

/// The one wording of a command-line argument `command` (e.g. "spritesim run") does not take: `unknown option
/// "--x" (see spritesim run --help)` for what starts with '-', else `unexpected argument "x" (...)`. `hint`, when
/// given, is said before the pointer to --help.
[[noreturn]] void reject_argument(const std::string& command, const std::string& arg, const std::string& hint = "");

/// The value of the option at args[i] (args[i + 1]; i moves onto it), or the one wording of a missing value:
/// `--out needs a value (see spritesim run --help)`.
const std::string& option_value(const std::vector<std::string>& args, size_t& i, const std::string& command);

/// "PROGRAM VERSION (git COMMIT), SIMGRID": `simgrid` says which SimGrid this build simulates with, or without.
std::string version_line(const std::string& program, const std::string& simgrid);

/// When `args` starts with -h or --help: prints `usage` (and a newline) on stdout and returns true; the verb then
/// exits 0.
bool asked_for_help(const std::vector<std::string>& args, const std::string& usage);

/// The value of an environment variable, or `def` when it is unset or empty (the real-mode verbs' defaults).
std::string env_or(const char* name, const std::string& def);

/// Seconds in [0, 86400] given to `option`; throws UsageError naming the option otherwise.
double parse_seconds(const std::string& text, const std::string& option);

/// A whole number in [lo, hi] given to `option`; throws UsageError naming the option and the range otherwise.
int parse_count(const std::string& text, const std::string& option, int lo, int hi);

/// The daemons' --handshake-timeout: seconds in (0, 3600]; throws UsageError naming the option otherwise.
double parse_handshake_timeout(const std::string& text, const std::string& option);

} // namespace spritesim
