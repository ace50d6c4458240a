// The global migd: the one host-selection service of the cluster. Clients (pmake) ask it for idle hosts and give
// them back; it keeps host states and asks the configured policy which hosts to grant. Costs of talking to it are
// charged by the caller from the cost model (TH90 Table 7.1).
#pragma once

#include <memory>
#include <vector>

#include "policy/policy.hpp"
#include "sim/cluster.hpp"

namespace spritesim {

class GlobalMigd {
public:
  GlobalMigd(Cluster& cluster, std::unique_ptr<Policy> policy);

  /// Up to `count` hosts for `client` (never its home); may return fewer, or none.
  std::vector<int> request(int client, int home, int count);
  void release(int client, int host);
  void release_all(int client);
  uint64_t requests() const { return requests_; }

private:
  ClusterView view() const;
  Cluster& cluster_;
  std::unique_ptr<Policy> policy_;
  std::vector<int> holder_;       ///< per workstation: client holding it, or -1
  std::vector<double> idle_since_; ///< per workstation
  uint64_t requests_ = 0;
};

} // namespace spritesim
