// The invariants every simulation must satisfy before its numbers are written: every job of the workload finished
// exactly once, CPU conserved across moves, suspensions and restarts, no process left waiting, and an engine that
// ended without a deadlock. A run that breaks one is an InvariantViolation naming the jobs, never an "ok".
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/results.hpp"

namespace spritesim {

class RunAudit {
public:
  /// Records one broken invariant (a sentence; the jobs it concerns named in it).
  void violation(std::string what) { violations_.push_back(std::move(what)); }
  /// The engine ran out of events with these actors still blocked ("name on host").
  void deadlock(const std::vector<std::string>& blocked);
  /// `jobs` are the records of one workload part (`part`: "the build", "session 3", "processes") that must all
  /// have finished; `live` maps the names of processes migd still knows to their state ("SUSPENDED on ws03").
  void check_jobs(const std::string& part, const std::vector<JobRecord>& jobs, size_t expected,
                  const std::map<std::string, std::string>& live);
  /// Processes migd still holds at the end, by name with their state (those check_jobs named already are not
  /// repeated).
  void check_no_live_processes(const std::map<std::string, std::string>& live);
  const std::vector<std::string>& violations() const { return violations_; }
  /// Throws InvariantViolation listing every violation, if there is any.
  void raise_if_violated() const;

private:
  std::vector<std::string> violations_;
  std::set<std::string> reported_; ///< jobs named as unfinished
};

/// At most `limit` names, then "and N more".
std::string name_list(const std::vector<std::string>& names, size_t limit = 12);

} // namespace spritesim
