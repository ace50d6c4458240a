// The one place that turns a verb's bad input into a message and exit status 2: shared by `spritesim` (every verb)
// and the lean `spritesim-rexec` (tools/spritesim_rexec.cpp), so both report errors the same way; and the small
// command-line helpers the real-mode verbs of both share.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace spritesim {

/// Runs `verb` and returns its exit status. An InputError, UsageError or any other std::exception becomes one line
/// on stderr, "PROGRAM: error: ..." or "PROGRAM: usage error: ...", and exit status 2 (never a crash).
int run_verb(const std::string& program, const std::function<int()>& verb);

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
