// Generator options and described builds as an experiment gives them (`workload.generator`): the knobs of the
// paper-build generator that no source fixes (each with its documented range, docs/cost-model.md "Gaps"), and
// builds described by their counts and times only, such as the 1987-89 experiments ("N compiles + K links").
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "workloads/paper_builds.hpp"

namespace spritesim {

/// A build given by counts and times on a reference machine (EXP89's file-system module, COMP88's compiles).
struct DescribedBuild {
  PaperBuild build;              ///< files, link steps, scan, link, sequential time, lookups, prerequisites
  std::string reference_profile; ///< workstation profile the times were measured on
  std::string server_profile;    ///< the file server of that era (its lookups' costs)
  bool independent = false;      ///< no link: N independent commands (COMP88's concurrent compiles)
};

/// Reads `workload.generator` (an object; unknown keys refused): size_cv, prereq_share, launch_busy,
/// assumed_prereqs, and `build` for builtin:described. Errors name `file` and `path`.
GeneratorOptions parse_generator_options(const nlohmann::json& j, const std::string& file, const std::string& path,
                                         std::optional<DescribedBuild>* described = nullptr);

} // namespace spritesim
