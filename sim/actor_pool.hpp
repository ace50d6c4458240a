// Reusable actors for short tasks (a pmake command, a process, a build session's pmake, a migd timer): a task runs
// on an idle worker, or on a new one when none is idle, so an actor's stack is mapped once and not once per task
// (creating and freeing one was a third of a large build's run time). Workers are daemons: whoever starts tasks waits
// for them (pmake reaps its commands; a TaskGroup's owner waits for the group), so the simulation ends when they have;
// a task nobody waits for (a migd timer) ends with the simulation, as a daemon would.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

namespace spritesim {

namespace sg4 = simgrid::s4u;

class ActorPool {
public:
  ActorPool() = default;
  ActorPool(const ActorPool&) = delete;
  ActorPool& operator=(const ActorPool&) = delete;

  /// Runs `task` on a worker; `label` and `host` name it in deadlock reports (the worker itself may be anywhere).
  /// Callable from any actor.
  void start(const std::string& label, sg4::Host* host, std::function<void()> task);
  /// The labels of the tasks running now.
  std::vector<std::string> running() const;

private:
  struct Worker {
    sg4::SemaphorePtr go = sg4::Semaphore::create(0);
    std::function<void()> task;
    std::string label;
  };
  void serve(Worker& w);
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Worker*> idle_;
};

/// Tasks started on the pool by one actor that then waits for them all (a workload's arrivals, its build sessions).
class TaskGroup {
public:
  explicit TaskGroup(ActorPool& pool) : pool_(pool) {}
  void start(const std::string& label, sg4::Host* host, std::function<void()> task);
  /// Blocks the calling actor until every task started has ended.
  void wait();

private:
  ActorPool& pool_;
  size_t running_ = 0;
  sg4::ConditionVariablePtr ended_ = sg4::ConditionVariable::create();
};

} // namespace spritesim
