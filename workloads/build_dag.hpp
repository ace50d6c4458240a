// The build trace as a Boost.Graph DAG: topological order, cycle detection, and the quantities that bound a
// parallel build (total work, critical path, width).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "workloads/trace.hpp"

namespace spritesim {

class BuildDag {
public:
  /// Builds the graph; throws InputError(file, "$.jobs[i].deps", ...) on an unknown dependency or a duplicate id.
  BuildDag(const BuildTrace& trace, const std::string& file);

  size_t size() const { return ids_.size(); }
  /// Index of a job id.
  size_t index(const std::string& id) const;
  const std::vector<size_t>& deps(size_t job) const { return deps_[job]; }
  const std::vector<size_t>& dependents(size_t job) const { return dependents_[job]; }
  /// Job indices in an order where every job follows its dependencies (stable: ties keep trace order).
  std::vector<size_t> topological_order() const;
  /// A dependency cycle as job ids (first id repeated at the end), if there is one.
  std::optional<std::vector<std::string>> find_cycle() const;
  /// Longest path of job weights (e.g. CPU seconds) through the DAG.
  double critical_path(const std::vector<double>& weight) const;

private:
  std::vector<std::string> ids_;
  std::vector<std::vector<size_t>> deps_;
  std::vector<std::vector<size_t>> dependents_;
};

} // namespace spritesim
