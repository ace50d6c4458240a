// End-of-run invariants (see run_audit.hpp): what was asked against what the records and migd's book show.
#include "sim/run_audit.hpp"


#include <fmt/format.h>

namespace spritesim {

std::string name_list(const std::vector<std::string>& names, size_t limit)
{
  std::string out;
  for (size_t i = 0; i < names.size() && i < limit; ++i)
    out += (i ? ", " : "") + names[i];
  if (names.size() > limit)
    out += fmt::format(" and {} more", names.size() - limit);
  return out;
}

void RunAudit::deadlock(const std::vector<std::string>& blocked)
{
  violation(fmt::format("the engine deadlocked: {} actor(s) blocked forever: {}", blocked.size(), name_list(blocked)));
}

void RunAudit::check_jobs(const std::string& part, const std::vector<JobRecord>& jobs, size_t expected,
                          const std::map<std::string, std::string>& live)
{
  if (jobs.size() != expected)
    violation(fmt::format("{}: {} job records for {} jobs", part, jobs.size(), expected));
  std::vector<std::string> unfinished;
  std::set<std::string> seen;
  std::vector<std::string> twice;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const JobRecord& j = jobs[i];
    if (j.id.empty() || j.end_s <= 0 || j.end_s < j.start_s) {
      std::string name = j.id.empty() ? fmt::format("#{}", i) : j.id;
      reported_.insert(name);
      auto it = j.id.empty() ? live.end() : live.find(j.id);
      unfinished.push_back(it != live.end() ? fmt::format("{} ({})", name, it->second)
                                            : fmt::format("{} (never started)", name));
    } else if (!seen.insert(j.id).second) {
      twice.push_back(j.id);
    }
  }
  if (!unfinished.empty())
    violation(fmt::format("{}: {} of {} jobs never finished: {}", part, unfinished.size(), expected,
                          name_list(unfinished)));
  if (!twice.empty())
    violation(fmt::format("{}: {} job(s) recorded twice: {}", part, twice.size(), name_list(twice)));
}

void RunAudit::check_no_live_processes(const std::map<std::string, std::string>& live)
{
  std::vector<std::string> names;
  for (const auto& [name, state] : live)
    if (!reported_.count(name))
      names.push_back(fmt::format("{} ({})", name, state));
  if (names.empty())
    return;
  violation(fmt::format("{} process(es) never exited: {}", names.size(), name_list(names)));
}

void RunAudit::raise_if_violated() const
{
  if (violations_.empty())
    return;
  std::string msg = "the simulation broke its invariants, so its numbers would be wrong and nothing was written";
  for (const auto& v : violations_)
    msg += "\n  - " + v;
  throw InvariantViolation(msg);
}

} // namespace spritesim
