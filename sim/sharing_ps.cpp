// The processor-sharing model (see sharing.hpp): each host's CPU and the Ethernet is a queue whose flows share its
// capacity equally, each capped at one core (CPU) or at the TCP window over the round trip (the wire, as SimGrid's
// CM02 caps it), and a flow with a bound of its own (an owner's share) gets no more than it. SimGrid's max-min
// solution for one resource is exactly this water-filling; here it costs O(log n) per event instead of a re-solve
// over every flow. The flows without a bound progress together, so one virtual clock (work done per flow since
// the queue began) orders their ends. A transfer waits the link's latency before it shares the link, as in CM02.
// A run of steps advances from one queue to the next in kernel timers, and the actor that asked wakes once.
#include "sim/sharing.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include "sim/ps_schedule.hpp"

namespace spritesim {

namespace {

using ps::Due;
using ps::Schedule;
using ps::Waiter;

constexpr double NEVER = std::numeric_limits<double>::infinity();
constexpr double TCP_GAMMA_BYTES = 4194304; // SimGrid's default network/TCP-gamma, the window CM02 caps flows with

class Queue;

/// What a flow reports its end to.
class FlowOwner {
public:
  virtual void flow_done() = 0;

protected:
  ~FlowOwner() = default;
};

struct Flow {
  FlowOwner* owner = nullptr;
  Queue* queue = nullptr; ///< set while the flow is on a queue
  double bound = 0;       ///< > 0: a flow with its own bound, tracked apart
  double finish_v = 0;    ///< unbounded: the queue's virtual work at which it ends
  double left = 0;        ///< bounded: work left at the queue's last update
  double rate = 0;        ///< bounded: its current rate
  std::multimap<double, Flow*>::iterator at;
};

class Queue : public Due {
public:
  Queue(Schedule& schedule, double capacity, double flow_cap)
      : schedule_(schedule), capacity_(capacity), cap_(flow_cap)
  {
  }
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  void add(Flow& f, double amount, double bound = 0)
  {
    advance();
    f.queue = this;
    f.bound = bound > 0 ? std::min(bound, cap_) : 0;
    if (f.bound > 0) {
      f.left = amount;
      bounded_.insert(std::upper_bound(bounded_.begin(), bounded_.end(), &f,
                                       [](const Flow* a, const Flow* b) { return a->bound < b->bound; }),
                      &f);
    } else {
      f.finish_v = v_ + amount;
      f.at = flows_.emplace(f.finish_v, &f);
    }
    changed();
  }

  /// Takes a flow off before its end.
  void remove(Flow& f)
  {
    advance();
    detach(f);
    changed();
  }

  /// Work a flow has left now.
  double left_now(const Flow& f) const
  {
    double dt = sg4::Engine::get_clock() - last_;
    if (f.bound > 0)
      return std::max(0.0, f.left - dt * f.rate);
    return std::max(0.0, f.finish_v - (v_ + dt * rate_));
  }

private:
  void detach(Flow& f)
  {
    if (f.bound > 0)
      bounded_.erase(std::find(bounded_.begin(), bounded_.end(), &f));
    else
      flows_.erase(f.at);
    f.queue = nullptr;
  }

  // Brings the virtual clock and the bounded flows' work up to now, at the rates since the last change.
  void advance()
  {
    double now = sg4::Engine::get_clock();
    double dt = now - last_;
    if (dt > 0) {
      v_ += dt * rate_;
      for (Flow* f : bounded_)
        f->left = std::max(0.0, f->left - dt * f->rate);
    }
    last_ = now;
  }

  // Max-min shares: the bounded flows, smallest bound first, take their bound while it is below an equal share of
  // what is left; every other flow gets that equal share, at most one core.
  void share()
  {
    double capacity = capacity_;
    size_t flows = flows_.size() + bounded_.size();
    size_t i = 0;
    for (; i < bounded_.size(); ++i) {
      double fair = capacity / static_cast<double>(flows - i);
      if (bounded_[i]->bound > fair)
        break;
      bounded_[i]->rate = bounded_[i]->bound;
      capacity -= bounded_[i]->bound;
    }
    rate_ = flows > i ? std::min(cap_, capacity / static_cast<double>(flows - i)) : 0;
    for (; i < bounded_.size(); ++i)
      bounded_[i]->rate = rate_;
  }

  void changed()
  {
    share();
    if (!firing_)
      arm();
  }

  // The queue's next end goes on the schedule.
  void arm()
  {
    next_ = nullptr;
    double when = NEVER;
    if (!flows_.empty() && rate_ > 0) {
      when = last_ + (flows_.begin()->first - v_) / rate_;
      next_ = flows_.begin()->second;
    }
    for (Flow* f : bounded_)
      if (f->rate > 0 && last_ + f->left / f->rate < when) {
        when = last_ + f->left / f->rate;
        next_ = f;
      }
    if (next_)
      schedule_.at(std::max(when, last_), *this);
    else
      schedule_.cancel(*this);
  }

  // The flow it was scheduled for ends (whatever rounding left of it), with every flow due by then; their owners
  // may add flows here, which are shared at once and scheduled once they are all in.
  void due() override
  {
    advance();
    if (next_->bound > 0)
      next_->left = 0;
    else
      v_ = std::max(v_, next_->finish_v);
    std::vector<Flow*> ended;
    while (!flows_.empty() && flows_.begin()->first <= v_) {
      ended.push_back(flows_.begin()->second);
      detach(*ended.back());
    }
    for (size_t i = 0; i < bounded_.size();) {
      if (bounded_[i]->left > 0) {
        ++i;
        continue;
      }
      ended.push_back(bounded_[i]);
      detach(*ended.back());
    }
    share();
    firing_ = true;
    for (Flow* f : ended)
      f->owner->flow_done();
    firing_ = false;
    arm();
  }

  Schedule& schedule_;
  double capacity_;
  double cap_;
  double v_ = 0;    ///< work each unbounded flow has received since the queue began
  double last_ = 0; ///< time of v_
  double rate_ = 0; ///< rate of each unbounded flow
  std::multimap<double, Flow*> flows_; ///< unbounded flows by finish_v (ties in arrival order)
  std::vector<Flow*> bounded_;         ///< by bound
  Flow* next_ = nullptr; ///< the flow its schedule entry is for
  bool firing_ = false;
};

class PsSharing;

/// One run of steps: a flow on one queue at a time (after a transfer's latency), the actor waiting once.
class Chain : public FlowOwner, public Due {
public:
  Chain(PsSharing& sharing, const std::vector<Step>& steps) : sharing_(sharing), steps_(steps) { flow.owner = this; }
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;
  ~Chain();
  void next();
  void flow_done() override { next(); }
  void due() override; // the latency is over
  Waiter waiter;
  Flow flow;

private:
  PsSharing& sharing_;
  const std::vector<Step>& steps_;
  size_t next_ = 0;
  double bytes_ = 0; ///< the transfer waiting out its latency
};

class PsBurst : public Burst, public FlowOwner {
public:
  PsBurst(Queue& q, double flops, double bound)
  {
    flow_.owner = this;
    q.add(flow_, flops, bound);
  }
  ~PsBurst() override
  {
    if (flow_.queue)
      flow_.queue->remove(flow_);
  }
  bool wait() override
  {
    if (flow_.queue) {
      try {
        waiter_.wait();
      } catch (...) {
        // The actor was killed while it waited (a daemon at the simulation's end): its work stops with it, as a
        // killed actor's Exec does, or the schedule would run on to wake an actor that is gone.
        if (flow_.queue)
          flow_.queue->remove(flow_);
        throw;
      }
    }
    return done_;
  }
  bool running() const override { return flow_.queue != nullptr; }
  double remaining() const override { return flow_.queue ? flow_.queue->left_now(flow_) : 0; }
  void cancel() override
  {
    if (!flow_.queue)
      return;
    flow_.queue->remove(flow_);
    waiter_.wake();
  }
  bool finished() override { return done_; }
  void flow_done() override
  {
    done_ = true;
    waiter_.wake();
  }

private:
  Flow flow_;
  bool done_ = false;
  Waiter waiter_;
};

class PsSharing : public Sharing {
public:
  PsSharing(const std::vector<sg4::Host*>& hosts, const std::vector<int>& cpu_of, sg4::Link* ethernet)
      : latency_(ethernet->get_latency()),
        wire_(schedule_, ethernet->get_bandwidth(), latency_ > 0 ? TCP_GAMMA_BYTES / (2 * latency_) : NEVER)
  {
    // One queue per physical machine (its first host's cores); every host's work goes to its machine's queue.
    for (size_t h = 0; h < hosts.size(); ++h) {
      speed_.push_back(hosts[h]->get_speed());
      if (cpu_of[h] == static_cast<int>(h))
        queues_.push_back(
            std::make_unique<Queue>(schedule_, hosts[h]->get_speed() * hosts[h]->get_core_count(), hosts[h]->get_speed()));
      cpus_.push_back(cpu_of[h] == static_cast<int>(h) ? queues_.back().get() : cpus_[static_cast<size_t>(cpu_of[h])]);
    }
  }

  void run(const std::vector<Step>& steps) override
  {
    if (steps.empty())
      return;
    Chain chain(*this, steps);
    chain.next();
    chain.waiter.wait();
  }

  std::unique_ptr<Burst> start(int host, double flops, double bound) override
  {
    return std::make_unique<PsBurst>(cpu(host), flops, bound);
  }

  Schedule& schedule() { return schedule_; }
  double latency() const { return latency_; }
  Queue& wire() { return wire_; }
  Queue& cpu(int host) { return *cpus_[static_cast<size_t>(host)]; }
  double speed(int host) const { return speed_[static_cast<size_t>(host)]; }

private:
  Schedule schedule_; // first: the queues hold references to it
  double latency_;
  Queue wire_;
  std::vector<double> speed_;
  std::vector<std::unique_ptr<Queue>> queues_; ///< one per physical machine
  std::vector<Queue*> cpus_;                   ///< per host: its machine's queue
};

Chain::~Chain()
{
  // An actor killed while it waits (a daemon when the simulation ends) takes its work off.
  sharing_.schedule().cancel(*this);
  if (flow.queue)
    flow.queue->remove(flow);
}

// Starts the next step; CPU steps back to back on one host are one flow (under processor sharing, ending one and
// starting the other at the same instant changes nobody's share).
void Chain::next()
{
  if (next_ == steps_.size()) {
    waiter.wake();
    return;
  }
  const Step& s = steps_[next_++];
  if (!s.wire) {
    double flops = s.amount * sharing_.speed(s.host);
    while (next_ < steps_.size() && !steps_[next_].wire && steps_[next_].host == s.host)
      flops += steps_[next_++].amount * sharing_.speed(s.host);
    sharing_.cpu(s.host).add(flow, flops);
    return;
  }
  if (sharing_.latency() <= 0) {
    sharing_.wire().add(flow, s.amount);
    return;
  }
  bytes_ = s.amount;
  sharing_.schedule().at(sg4::Engine::get_clock() + sharing_.latency(), *this);
}

void Chain::due() { sharing_.wire().add(flow, bytes_); }

} // namespace

std::unique_ptr<Sharing> make_processor_sharing(const std::vector<sg4::Host*>& hosts, const std::vector<int>& cpu_of,
                                                sg4::Link* ethernet)
{
  return std::make_unique<PsSharing>(hosts, cpu_of, ethernet);
}

} // namespace spritesim
