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
  /// Builds the graph; throws InputError(file, "$.jobs[i].deps[k]", ...) on an unknown dependency or a duplicate
  /// id. `where`, when given, names job i's place in its file instead of "$.jobs[i]" (e.g. "line 7: $").
  BuildDag(const BuildTrace& trace, const std::string& file, const JobLocator& where = {});

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
  /// The jobs of one heaviest chain, first to last (empty for an empty DAG).
  std::vector<size_t> critical_chain(const std::vector<double>& weight) const;
  /// Level of each job: 0 without dependencies, else 1 + the highest level among its dependencies. Jobs of one
  /// level never depend on each other, so each level is an antichain.
  std::vector<size_t> levels() const;

private:
  std::vector<std::string> ids_;
  std::vector<std::vector<size_t>> deps_;
  std::vector<std::vector<size_t>> dependents_;
};

} // namespace spritesim
