// Reusable worker actors and groups of tasks (see actor_pool.hpp).
#include "sim/actor_pool.hpp"

#include <mutex>

namespace spritesim {

void ActorPool::start(const std::string& label, sg4::Host* host, std::function<void()> task)
{
  Worker* w;
  if (idle_.empty()) {
    workers_.push_back(std::make_unique<Worker>());
    w = workers_.back().get();
    sg4::Actor::create("worker-" + std::to_string(workers_.size()), host, [this, w] { serve(*w); })->daemonize();
  } else {
    w = idle_.back();
    idle_.pop_back();
  }
  w->task = std::move(task);
  w->label = label + " on " + host->get_name();
  w->go->release();
}

std::vector<std::string> ActorPool::running() const
{
  std::vector<std::string> out;
  for (const auto& w : workers_)
    if (w->task)
      out.push_back(w->label);
  return out;
}

void ActorPool::serve(Worker& w)
{
  while (true) {
    w.go->acquire();
    w.task();
    w.task = nullptr;
    idle_.push_back(&w);
  }
}

void TaskGroup::start(const std::string& label, sg4::Host* host, std::function<void()> task)
{
  ++running_;
  pool_.start(label, host, [this, task = std::move(task)] {
    task();
    if (--running_ == 0)
      ended_->notify_all();
  });
}

void TaskGroup::wait()
{
  auto lock = sg4::Mutex::create();
  std::unique_lock lk(*lock);
  while (running_ > 0)
    ended_->wait(lk);
}

} // namespace spritesim
