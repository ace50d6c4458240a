// What this build is: the project's version and the git commit it was built from, filled in at build time
// (tools/build_info.cpp.in through meson's vcs_tag; "unknown" outside a git checkout, e.g. from a tarball).
#pragma once

namespace spritesim {

extern const char* const SPRITESIM_VERSION_TEXT; ///< meson.project_version()
extern const char* const SPRITESIM_GIT_COMMIT;   ///< `git describe --always --dirty`, or "unknown"

} // namespace spritesim
