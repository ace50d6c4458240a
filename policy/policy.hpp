// The policy plug-in boundary: a non-virtual decide() that validates what the private hook returns and counts
// decisions (ns-3 style), plus the registry that maps names to factories with documented parameters.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/cluster_view.hpp"

namespace spritesim {

struct PolicySpec; // core/experiment.hpp

/// A policy that cannot answer any more: an external policy's process crashed, hung or broke the protocol. A
/// std::logic_error, so that the migd core's one policy-error rule applies; the core also tells its backend, which
/// ends the run (docs/external-policies.md "Errors").
struct PolicyFailure : std::logic_error {
  using std::logic_error::logic_error;
};

/// A named, typed, documented policy parameter.
struct PolicyParam {
  std::string name;
  std::string type; ///< "number", "integer", "boolean"
  double default_value = 0; ///< booleans: 0 or 1
  double min = 0;           ///< ignored for booleans
  double max = 0;           ///< ignored for booleans
  std::string doc;          ///< meaning, unit and where the default comes from
};

/// Base of every policy: backends call decide(); policies implement the private do_decide() hook.
class Policy {
public:
  virtual ~Policy() = default;
  /// Events since the last call in, decisions out. Throws std::logic_error when the hook returns a decision
  /// that is impossible in `view` (a bug in the policy; nothing is counted then):
  /// - any: an unknown host or process, the file server as a host;
  /// - GRANT_HOST: no client, a host that is down or held (unless revoked earlier in the same answer), granted
  ///   twice, or the client's own home (from a HOST_REQUEST of this call or ClusterView::client_homes);
  /// - REVOKE_HOST: a client that does not hold the host, or the same host revoked twice;
  /// - PLACE needs a WAITING process and an up host; MIGRATE a RUNNING or SUSPENDED migratable process and an up
  ///   host other than its current one; EVICT a RUNNING or SUSPENDED migratable process away from home;
  ///   SUSPEND a RUNNING one, RESUME a SUSPENDED one, RESTART a RUNNING or SUSPENDED one;
  /// - two decisions on one process in one answer;
  /// - WAKE_AT a time that is not finite or not after `view.now_s`.
  /// Decisions that merely went stale are the backend's to refuse (DECISION_REJECTED events).
  std::vector<Decision> decide(const ClusterView& view, const std::vector<PolicyEvent>& events);
  uint64_t calls() const { return calls_; }
  uint64_t decisions() const { return decisions_; }
  /// Decisions of one kind returned so far.
  uint64_t decisions(DecisionKind k) const { return by_kind_[static_cast<size_t>(k)]; }

private:
  virtual std::vector<Decision> do_decide(const ClusterView& view, const std::vector<PolicyEvent>& events) = 0;
  /// Who the policy is, for the runner's messages (the external policy names its command); empty for the built-in
  /// ones.
  virtual std::string error_context() const { return {}; }
  uint64_t calls_ = 0;
  uint64_t decisions_ = 0;
  uint64_t by_kind_[static_cast<size_t>(DecisionKind::WAKE_AT) + 1] = {};
};

/// Parameter values after validation, by name (booleans as 0 or 1, integers exactly).
using PolicyParams = std::map<std::string, double>;

/// A registry entry: what `spritesim policies` prints and how to build the policy.
struct PolicyInfo {
  std::string name;
  std::string summary;
  std::string source; ///< where the policy comes from (paper, system)
  std::vector<PolicyParam> params;
  std::function<std::unique_ptr<Policy>(const PolicyParams&)> make;
};

/// Every registered policy, sorted by name (policy/policy_registry.cpp).
const std::vector<PolicyInfo>& policy_registry();

/// Builds a policy from a config's `policy` section: a registered one by name from its JSON object of parameters
/// (unknown names, unknown parameters, wrong types and out-of-range values are InputErrors naming `file` and
/// `path`, "$.policy"), or the external policy (policy/external_policy.hpp), which takes its command and timeout
/// from the spec and hands its parameters, unchecked, to its process.
std::unique_ptr<Policy> make_policy(const PolicySpec& spec, const std::string& file, const std::string& path);
/// The same from a name and parameters only (an external policy needs the spec's command).
std::unique_ptr<Policy> make_policy(const std::string& name, const nlohmann::json& params, const std::string& file,
                                    const std::string& path);

} // namespace spritesim
