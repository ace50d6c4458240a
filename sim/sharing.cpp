// Steps, and the exact sharing model: every step a SimGrid Exec or Comm, shared by SimGrid's max-min solver (see
// sharing.hpp). A run of steps is what the blocking primitives did one call at a time before the models were two.
#include "sim/sharing.hpp"

#include <simgrid/Exception.hpp>

namespace spritesim {

Steps& Steps::cpu(int host, double seconds)
{
  if (seconds > 0)
    steps_.push_back(Step{false, host, host, seconds});
  return *this;
}

Steps& Steps::wire(int from, int to, double bytes)
{
  if (bytes > 0 && from != to)
    steps_.push_back(Step{true, from, to, bytes});
  return *this;
}

Steps& Steps::rpc(int caller, int callee, const RpcCost& c)
{
  return cpu(caller, c.caller_cpu_s).wire(caller, callee, c.wire_bytes).cpu(callee, c.callee_cpu_s);
}

double Steps::wire_bytes() const
{
  double bytes = 0;
  for (const Step& s : steps_)
    if (s.wire)
      bytes += s.amount;
  return bytes;
}

namespace {

class MaxMinBurst : public Burst {
public:
  explicit MaxMinBurst(sg4::ExecPtr exec) : exec_(std::move(exec)) {}
  bool wait() override
  {
    try {
      exec_->wait();
      return true;
    } catch (const simgrid::CancelException&) {
      return false;
    }
  }
  bool running() const override { return exec_->get_state() == sg4::Activity::State::STARTED; }
  double remaining() const override { return exec_->get_remaining(); }
  void cancel() override { exec_->cancel(); }
  bool finished() override { return exec_->test(); }

private:
  sg4::ExecPtr exec_;
};

class MaxMinSharing : public Sharing {
public:
  MaxMinSharing(std::vector<sg4::Host*> hosts, std::vector<int> cpu_of)
      : hosts_(std::move(hosts)), cpu_of_(std::move(cpu_of))
  {
  }

  void run(const std::vector<Step>& steps) override
  {
    for (const Step& s : steps) {
      sg4::Host* h = hosts_[static_cast<size_t>(s.host)];
      if (s.wire)
        sg4::Comm::sendto(h, hosts_[static_cast<size_t>(s.peer)], static_cast<uint64_t>(s.amount));
      else
        sg4::Exec::init()->set_flops_amount(s.amount * h->get_speed())->set_host(cpu(s.host))->wait();
    }
  }

  std::unique_ptr<Burst> start(int host, double flops, double bound) override
  {
    auto exec = sg4::Exec::init()->set_flops_amount(flops)->set_host(cpu(host));
    if (bound > 0)
      exec->set_bound(bound);
    exec->start();
    return std::make_unique<MaxMinBurst>(exec);
  }

private:
  sg4::Host* cpu(int host) const { return hosts_[static_cast<size_t>(cpu_of_[static_cast<size_t>(host)])]; }
  std::vector<sg4::Host*> hosts_;
  std::vector<int> cpu_of_;
};

} // namespace

std::unique_ptr<Sharing> make_sharing(SharingModel model, const std::vector<sg4::Host*>& hosts,
                                      const std::vector<int>& cpu_of, sg4::Link* ethernet)
{
  if (model == SharingModel::MAX_MIN)
    return std::make_unique<MaxMinSharing>(hosts, cpu_of);
  return make_processor_sharing(hosts, cpu_of, ethernet);
}

} // namespace spritesim
