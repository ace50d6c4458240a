// How the simulated hosts' CPUs and the Ethernet are shared by the work running on them, behind one interface with
// two models: SimGrid's max-min activities (exact, every flow an Exec or a Comm) and processor-sharing queues of our
// own (virtual time, O(log n) per event, steps chained without waking the actor). Both give each flow an equal
// share of a resource, capped at one core per flow and at a flow's own bound; docs/configs.md, platform.sharing.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <simgrid/s4u.hpp>

#include "core/vocabulary.hpp"
#include "models/costs.hpp"

namespace spritesim {

namespace sg4 = simgrid::s4u;

/// One piece of work: `amount` seconds of an unloaded `host` (CPU) or bytes from `host` to `peer` (wire).
struct Step {
  bool wire = false;
  int host = 0;
  int peer = 0;
  double amount = 0;
};

/// Steps run back to back by one actor with one wait: a CPU burst, an RPC (caller CPU, the wire, callee CPU), an
/// exec-time migration. Empty steps (no CPU, no bytes, or bytes to the same host) are left out.
class Steps {
public:
  Steps& cpu(int host, double seconds);
  Steps& wire(int from, int to, double bytes);
  Steps& rpc(int caller, int callee, const RpcCost& c);
  const std::vector<Step>& list() const { return steps_; }
  /// The bytes these steps put on the Ethernet.
  double wire_bytes() const;

private:
  std::vector<Step> steps_;
};

/// CPU work that can be cancelled while it runs (a process's burst, an owner's share); started by Sharing::start.
class Burst {
public:
  virtual ~Burst() = default;
  /// Blocks the calling actor until the work is done (true) or cancelled (false).
  virtual bool wait() = 0;
  /// Started and neither done nor cancelled.
  virtual bool running() const = 0;
  /// Instructions left while running.
  virtual double remaining() const = 0;
  /// Stops the work and wakes its waiter, whose actor may run before the caller goes on (read remaining() first).
  virtual void cancel() = 0;
  /// Whether the work is done (SimGrid's test(): it may settle an activity that ended unobserved).
  virtual bool finished() = 0;
};

class Sharing {
public:
  virtual ~Sharing() = default;
  /// Runs the steps in order; blocks the calling actor until the last one ends.
  virtual void run(const std::vector<Step>& steps) = 0;
  /// Starts `flops` instructions on `host`, at most `bound` instructions per second when `bound` > 0.
  virtual std::unique_ptr<Burst> start(int host, double flops, double bound) = 0;
};

/// Hosts by index (workstations, then the file server) and the one Ethernet link all routes cross once. Host h's
/// CPU work runs on the CPU of host cpu_of[h] (itself, or the first host of its physical machine, whose core count
/// is the machine's).
std::unique_ptr<Sharing> make_sharing(SharingModel model, const std::vector<sg4::Host*>& hosts,
                                      const std::vector<int>& cpu_of, sg4::Link* ethernet);
/// The processor-sharing model (sim/sharing_ps.cpp); make_sharing chooses it.
std::unique_ptr<Sharing> make_processor_sharing(const std::vector<sg4::Host*>& hosts, const std::vector<int>& cpu_of,
                                                sg4::Link* ethernet);

} // namespace spritesim
