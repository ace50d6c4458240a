// The one place that turns a verb's bad input into a message and exit status 2: shared by `spritesim` (every verb)
// and the lean `spritesim-rexec` (tools/spritesim_rexec.cpp), so both report errors the same way.
#pragma once

#include <functional>
#include <string>

namespace spritesim {

/// Runs `verb` and returns its exit status. An InputError, UsageError or any other std::exception becomes one line
/// on stderr, "PROGRAM: error: ..." or "PROGRAM: usage error: ...", and exit status 2 (never a crash).
int run_verb(const std::string& program, const std::function<int()>& verb);

} // namespace spritesim
