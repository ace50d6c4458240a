// Building blocks shared by the policies: a seeded, platform-independent random draw, an answer builder that keeps
// one answer valid (one decision per process, projected loads), host eligibility, owner-return eviction and a book
// of requested wake-ups. Policies stay free to ignore any of it.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "policy/policy.hpp"

namespace spritesim {

/// Uniform draws from a std::mt19937_64 seeded by the policy's `seed` parameter. The standard distributions are
/// implementation-defined, so the draws are done here: the same seed gives the same choices on every platform.
class PolicyRng {
public:
  explicit PolicyRng(uint64_t seed) : gen_(seed) {}
  /// A uniform integer in [0, n) for n > 0 (rejection sampling: no modulo bias).
  uint64_t below(uint64_t n);
  /// A uniform double in [0, 1) from 53 random bits.
  double unit();

private:
  std::mt19937_64 gen_;
};

/// Sprite's rule for taking foreign work: up, not the file server, meets the idle rule, owner not at the console.
inline bool takes_foreign_work(const HostView& h)
{
  return h.up && !h.is_file_server && h.available && !h.owner_active;
}

/// RUNNING or SUSPENDED processes on `host` whose home is elsewhere, by id.
std::vector<const ProcessView*> foreign_on(const ClusterView& view, int host);

/// The home of a HOST_REQUEST's client: the event's, else the view's, else -1.
int request_home(const ClusterView& view, const PolicyEvent& ev);

/// One answer under construction. It refuses a second decision on a process and a second grant of a host, tracks
/// hosts held per client after its grants and revokes, and the processes it sends to or takes from each host.
class Answer {
public:
  explicit Answer(const ClusterView& view) : view_(view) {}
  bool grant(int client, int host);
  bool revoke(int client, int host);
  bool place(int64_t proc, int host);
  bool migrate(int64_t proc, int host);
  /// EVICT a migratable process, RESTART one that cannot migrate (both send it home).
  bool evict(int64_t proc);
  bool restart(int64_t proc);
  bool suspend(int64_t proc);
  bool resume(int64_t proc);
  void wake_at(double at_s) { out_.push_back({DecisionKind::WAKE_AT, ClientId(), HostId(), ProcId(), at_s}); }

  bool touched(int64_t proc) const { return touched_.count(proc) > 0; }
  bool granted(int host) const { return granted_.count(host) > 0; }
  bool revoked(int host) const { return revoked_.count(host) > 0; }
  /// Hosts held by `client` once this answer is carried out.
  int held(int client) const;
  /// Processes this answer sends to `host` minus those it takes away (for projected loads).
  int extra_load(int host) const;
  /// Counts a process kept at `host` by this answer (an arrival left at home) in extra_load.
  void count_stay(int host) { ++delta_[host]; }
  bool empty() const { return out_.empty(); }
  std::vector<Decision> take() { return std::move(out_); }

private:
  bool on_process(DecisionKind kind, int64_t proc, int host);
  const ClusterView& view_;
  std::vector<Decision> out_;
  std::set<int64_t> touched_;
  std::set<int> granted_, revoked_;
  std::map<int, int> held_delta_, delta_;
};

/// Owner return, Sprite style: revoke the host's grant (the backend evicts the holder's processes) and evict every
/// other foreign process home (RESTART those that cannot migrate).
void vacate_host(const ClusterView& view, int host, Answer& a);

/// A process that just finished migrating onto a host whose owner is back is sent home at once.
void evict_if_owner_back(const ClusterView& view, const PolicyEvent& done, Answer& a);
/// Sprite's answer to owners coming back, for every OWNER_ACTIVE and MIGRATION_DONE among `events`: vacate_host
/// and evict_if_owner_back. Policies call it first, so nothing later hands out a host whose owner just returned.
void evict_for_returning_owners(const ClusterView& view, const std::vector<PolicyEvent>& events, Answer& a);

/// The wake-ups a policy has asked for and not yet received, so that it never piles up duplicate timers.
class WakeBook {
public:
  /// Asks for a TIMER at `at_s` unless one is already pending at or before it.
  void ensure(const ClusterView& view, double at_s, Answer& a);
  /// A refused WAKE_AT is forgotten, so the next ensure() asks again.
  void forget(double at_s) { pending_.erase(at_s); }

private:
  std::set<double> pending_;
};

} // namespace spritesim
