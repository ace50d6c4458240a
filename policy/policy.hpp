// The policy plug-in boundary: a non-virtual decide() that validates what the private hook returns and counts
// decisions (ns-3 style), plus the registry that maps names to factories with documented parameters.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/cluster_view.hpp"

namespace spritesim {

/// A named, typed, documented policy parameter.
struct PolicyParam {
  std::string name;
  std::string type; ///< "number", "integer", "boolean"
  double default_value = 0;
  double min = 0;
  double max = 0;
  std::string doc;
};

class Policy {
public:
  virtual ~Policy() = default;
  /// Events since the last call in, decisions out. Throws std::logic_error when the hook returns a decision
  /// that is impossible in `view`: an unknown host or process, the file server, a host that is down or already
  /// held, a client's own home, a revoke from a non-holder, a state change the process is not in (PLACE needs
  /// WAITING, SUSPEND needs RUNNING, RESUME needs SUSPENDED, EVICT needs a foreign host), two decisions on one
  /// process in one answer, or a WAKE_AT that is not in the future. Such a decision is a bug in the policy;
  /// decisions that merely went stale are the backend's to reject (DECISION_REJECTED events).
  std::vector<Decision> decide(const ClusterView& view, const std::vector<PolicyEvent>& events);
  uint64_t calls() const { return calls_; }
  uint64_t decisions() const { return decisions_; }
  /// Decisions of one kind returned so far.
  uint64_t decisions(DecisionKind k) const { return by_kind_[static_cast<size_t>(k)]; }

private:
  virtual std::vector<Decision> do_decide(const ClusterView& view, const std::vector<PolicyEvent>& events) = 0;
  uint64_t calls_ = 0;
  uint64_t decisions_ = 0;
  uint64_t by_kind_[static_cast<size_t>(DecisionKind::WAKE_AT) + 1] = {};
};

/// Parameter values after validation, by name.
using PolicyParams = std::map<std::string, double>;

struct PolicyInfo {
  std::string name;
  std::string summary;
  std::string source; ///< where the policy comes from (paper, system)
  std::vector<PolicyParam> params;
  std::function<std::unique_ptr<Policy>(const PolicyParams&)> make;
};

/// Every registered policy, sorted by name.
const std::vector<PolicyInfo>& policy_registry();

/// Builds a policy by name from a JSON object of parameters; unknown names, unknown parameters, wrong types and
/// out-of-range values are InputErrors naming `file` and `path` ("$.policy").
std::unique_ptr<Policy> make_policy(const std::string& name, const nlohmann::json& params, const std::string& file,
                                    const std::string& path);

} // namespace spritesim
