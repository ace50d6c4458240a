// The build trace as a Boost.Graph DAG: topological order, cycle detection, and the quantities that bound a
// parallel build (total work, critical path, width).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "workloads/trace.hpp"

namespace spritesim {

class BuildDag {
public:
  /// Builds the graph; throws InputError(file, "$.jobs[i].deps[k]", ...) on an unknown dependency or a duplicate
  /// id. `where`, when given, names job i's place in its file instead of "$.jobs[i]" (e.g. "line 7: $").
  BuildDag(const BuildTrace& trace, const std::string& file, const JobLocator& where = {});

  size_t size() const { return dep_start_.size() - 1; }
  /// The jobs `job` depends on, in the order its trace entry lists them.
  std::span<const size_t> deps(size_t job) const { return slice(dep_start_, dep_list_, job); }
  /// The jobs that depend on `job`, in trace order.
  std::span<const size_t> dependents(size_t job) const { return slice(dependent_start_, dependent_list_, job); }
  /// Job indices in an order where every job follows its dependencies (stable: ties keep trace order).
  std::vector<size_t> topological_order() const;
  /// A dependency cycle as job indices (the first repeated at the end), if there is one.
  std::optional<std::vector<size_t>> find_cycle() const;
  /// Longest path of job weights (e.g. CPU seconds) through the DAG.
  double critical_path(const std::vector<double>& weight) const;
  /// The jobs of one heaviest chain, first to last (empty for an empty DAG).
  std::vector<size_t> critical_chain(const std::vector<double>& weight) const;
  /// Level of each job: 0 without dependencies, else 1 + the highest level among its dependencies. Jobs of one
  /// level never depend on each other, so each level is an antichain.
  std::vector<size_t> levels() const;

private:
  static std::span<const size_t> slice(const std::vector<size_t>& start, const std::vector<size_t>& list, size_t job)
  {
    return {list.data() + start[job], start[job + 1] - start[job]};
  }
  // Both directions as compressed rows: job i's entries are list[start[i]..start[i+1]) (a million-job trace holds
  // two flat arrays, not two vectors per job).
  std::vector<size_t> dep_start_, dep_list_;
  std::vector<size_t> dependent_start_, dependent_list_;
};

} // namespace spritesim
