// Reusable actors for short tasks (a pmake command, a process, a migd timer): a task runs on an idle worker, or on
// a new one when none is idle, so an actor's stack is mapped once and not once per task (creating and freeing one
// was a third of a large build's run time). Workers are daemons; a keeper actor lives while any task runs, so the
// simulation ends when the tasks have, as it did when every task was an actor of its own.
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

  /// Runs `task` on a worker; `label` and `host` name it in deadlock reports (the worker itself may be anywhere). Callable from any actor.
  void start(const std::string& label, sg4::Host* host, std::function<void()> task);
  /// The keeper actor's name (not a task: deadlock reports leave it out).
  static constexpr const char* KEEPER = "pool-keeper";
  /// The labels of the tasks running now.
  std::vector<std::string> running() const;

private:
  struct Worker {
    sg4::SemaphorePtr go = sg4::Semaphore::create(0);
    std::function<void()> task;
    std::string label;
  };
  void serve(Worker& w);
  void keep_alive();
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Worker*> idle_;
  size_t busy_ = 0;
  bool keeper_ = false;
  sg4::ConditionVariablePtr all_idle_ = sg4::ConditionVariable::create();
};

} // namespace spritesim
