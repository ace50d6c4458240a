// The external policy: a policy that is a separate process, in any language, speaking JSON Lines on its stdin and
// stdout (in the spirit of Batsim's decision component). Each call sends the view and the events and reads the
// decisions back; the runner validates them as it does a built-in policy's. docs/external-policies.md is the
// protocol; python/spritesim_policy.py helps write such a policy.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/experiment.hpp"
#include "core/line_child.hpp"
#include "policy/policy.hpp"

namespace spritesim {

/// The name a config gives: "policy": {"name": "external", "command": [...], "params": {...}, "timeout_s": 10}.
inline constexpr const char* EXTERNAL_POLICY = "external";

class ExternalPolicy final : public Policy {
public:
  /// Starts `command` and exchanges hellos: the protocol version and `params` out, the version and the policy's
  /// name back. Throws PolicyFailure when the process does not answer so within `timeout_s` seconds of wall time
  /// (ChildStartError when it cannot be started).
  ExternalPolicy(std::vector<std::string> command, nlohmann::json params, double timeout_s);
  /// Closes the process's stdin (its end of the run), gives it a second to exit, then kills it.
  ~ExternalPolicy() override;
  /// The name the process gave in its hello.
  const std::string& name() const { return name_; }

private:
  std::vector<Decision> do_decide(const ClusterView& view, const std::vector<PolicyEvent>& events) override;
  std::string error_context() const override { return who_; }
  /// Sends `msg`, waits for one line and parses it as JSON; PolicyFailure on a dead, silent or garbled process.
  nlohmann::json exchange(const nlohmann::json& msg, const std::string& what);
  /// Kills the process and throws PolicyFailure "<who>: <why>"; every later call fails at once.
  [[noreturn]] void fail(const std::string& why);

  std::string who_; ///< "external policy [python3 sprite.py]", the start of every error message
  double timeout_s_;
  std::unique_ptr<LineChild> child_;
  std::string name_;
  uint64_t call_ = 0;
  std::string failed_; ///< the first failure's message, once there was one
};

/// Builds the external policy of a config's `policy` section; a missing command is an InputError at
/// `path`.command, as is one that cannot be started.
std::unique_ptr<Policy> make_external_policy(const PolicySpec& spec, const std::string& file, const std::string& path);

/// What `spritesim policies` says of the external policy: its summary and its keys, each a PolicyParam whose type
/// may also be "array of strings" or "object".
PolicyInfo external_policy_info();

} // namespace spritesim
