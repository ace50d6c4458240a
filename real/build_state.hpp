// What the rexec processes of one build share: `spritesim make` (and trace capture) give every recipe's rexec a
// private directory ($SPRITESIM_MAKE_DIR), where the first one to find migd unreachable or refusing leaves a marker.
// So the build says so once on stderr, not once per recipe, and later recipes do not wait for migd again.
#pragma once

#include <string>

namespace spritesim::real {

/// Why a build's recipes run at home unrecorded, most lasting last.
enum class MigdTrouble { NONE, UNREACHABLE, REFUSED };

class BuildState {
public:
  /// `dir`: the build's private directory; empty: a command on its own, sharing nothing.
  explicit BuildState(std::string dir = "");
  bool in_build() const { return !dir_.empty(); }
  /// What an earlier recipe (or spritesim make itself) found; NONE outside a build.
  MigdTrouble trouble() const;
  /// Records `trouble` with its reason for the rest of the build. True for the first to record any trouble (who
  /// then says so), and when it cannot be recorded (a recipe on a host without the directory): better said twice
  /// than never.
  bool report(MigdTrouble trouble, const std::string& why) const;
  /// True for the first recipe of the build to say `what` (a word naming a note, e.g. "no-host"), and outside a
  /// build or when it cannot be recorded: notes that would repeat on every recipe are said once.
  bool first_to_say(const std::string& what) const;

private:
  std::string marker() const;
  /// Links a file holding `content` at `path`: true unless another recipe linked it first.
  bool claim(const std::string& path, const std::string& content) const;
  std::string dir_;
};

/// The environment variable carrying the build's directory from `spritesim make` to its recipes' rexec.
constexpr const char* BUILD_DIR_ENV = "SPRITESIM_MAKE_DIR";

} // namespace spritesim::real
