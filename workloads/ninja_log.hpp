// Import of ninja's build log (.ninja_log, format v5/v6: start ms, end ms, restat mtime, output, command hash,
// tab-separated) as a build trace. The log records neither CPU time nor dependencies: wall times stand in for CPU
// seconds, and edges come only from `ninja -t deps` or `ninja -t graph` output when the caller supplies it.
#pragma once

#include <istream>
#include <string>

#include "workloads/trace.hpp"

namespace spritesim {

struct NinjaImportOptions {
  std::string name = "ninja";
  std::string reference_profile = "host"; ///< where the build ran (its wall times are that machine's): a profile name or file
  std::string deps_text;  ///< output of `ninja -t deps` (empty: none); its paths name the file in messages
  std::string deps_file;
  std::string graph_text; ///< output of `ninja -t graph` (dot; empty: none)
  std::string graph_file;
};

/// Reads a .ninja_log. One job per command: outputs sharing a command hash and start/end times are one job
/// (named by its first output); a later entry for an output replaces an earlier one, as ninja itself does. Errors
/// name the file, the line and the field.
BuildTrace import_ninja_log(std::istream& log, const std::string& file, const NinjaImportOptions& opt);

} // namespace spritesim
