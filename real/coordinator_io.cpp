// The coordinator's connections (see coordinator.hpp): one watcher thread per agent (reports in, controls out,
// reconnecting when the agent comes back), the listener for rexec clients (coordinator_clients.cpp), and the timer
// thread that delivers the policy's WAKE_AT requests.
#include "real/coordinator.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include <pthread.h>

#include <fmt/format.h>

#include "core/output_files.hpp"
#include "real/auth.hpp"

namespace spritesim::real {

void Coordinator::on_report(int host, const nlohmann::json& msg)
{
  BookHost& s = core_.host(host);
  if (!msg["name"].get<std::string>().empty())
    s.name = msg["name"]; // the agent's --name; records use it from then on
  for (int i = 0; i < 3; ++i)
    s.load[i] = msg["load"].size() > static_cast<size_t>(i) ? msg["load"][static_cast<size_t>(i)].get<double>() : 0;
  s.run_queue = msg["run_queue"];
  double last_input = now() - msg["input_idle_s"].get<double>();
  bool was_active = s.owner_active;
  if (msg["owner_active"].get<bool>())
    s.last_input_s = last_input;
  else
    core_.owner_left(host, last_input);
  sweep_orphans(); // reports come every second: the clock for jobs reloaded but never re-attached
  // A job this agent still runs though migd moved it home (its kill went out on a watch connection that broke, or
  // the connection broke while the agent lived on) is killed now, so that what ran matches the records: its client
  // reruns it at home, as the `restart` row already says.
  uint64_t generation = hosts_[static_cast<size_t>(host)].generation;
  for (const auto& listed : msg["jobs"]) {
    int64_t id = listed.get<int64_t>();
    const BookProcess* p = core_.process(id);
    if (!p || p->host == host || links_[id].kill_generation == generation)
      continue;
    if (send_control(host, id, AgentAction::KILL)) {
      links_[id].kill_generation = generation;
      reconcile_kills_.insert(id);
      fmt::print(stderr, "migd: job {} still runs on {} though it was moved home: killed\n", p->name, s.name);
    }
  }
  if (msg["owner_active"].get<bool>() && !was_active) {
    core_.owner_active(host);
    checkpoint_locked();
  }
  evaluate(host);
}

void Coordinator::on_control_done(int host, const nlohmann::json& msg)
{
  if (reconcile_kills_.erase(msg["job"].get<int64_t>()) || action_of(msg) == AgentAction::CONT)
    return;
  if (const EvictionRecord* e = core_.eviction_step(host, msg["since_notice_s"].get<double>())) {
    fmt::print(stderr, "migd: evicted {} process(es) from {} ({}) in {:.1f} ms\n", e->processes, e->host, e->reason,
               e->duration_s * 1e3);
    checkpoint_locked();
  }
}

void Coordinator::host_down(int host)
{
  hosts_[static_cast<size_t>(host)].conn.reset();
  if (!core_.host(host).up)
    return;
  // Its processes are lost; their clients see the broken connection and rerun them at home (the core records the
  // reruns: whichever of migd and the client notices first records it).
  core_.host_down(host);
  checkpoint_locked();
}

void Coordinator::watch_agent(int host)
{
  Endpoint e = hosts_[static_cast<size_t>(host)].endpoint;
  for (;;) {
    std::shared_ptr<Connection> conn;
    try {
      conn = connect_to(e);
      client_handshake(*conn, secret_, "migd");
      conn->send({{"type", "watch"}});
      {
        std::lock_guard lock(mutex_);
        Host& s = hosts_[static_cast<size_t>(host)];
        s.conn = conn;
        core_.host(host).up = true;
        ++s.generation;
      }
      fmt::print(stderr, "migd: watching agent {}\n", e.text());
      for (;;) {
        nlohmann::json msg = conn->receive();
        std::lock_guard lock(mutex_);
        if (msg["type"] == "report")
          on_report(host, msg);
        else if (msg["type"] == "control_done")
          on_control_done(host, msg);
        else
          throw ProtocolError(fmt::format("an agent may not send \"{}\"", msg["type"].get<std::string>()));
      }
    } catch (const std::exception& ex) {
      std::lock_guard lock(mutex_);
      if (core_.host(host).up)
        fmt::print(stderr, "migd: agent {} lost: {}\n", e.text(), ex.what());
      if (conn)
        conn->send_error(ex.what());
      host_down(host);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void Coordinator::timer_loop()
{
  std::unique_lock lock(mutex_);
  for (;;) {
    if (timers_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    double at = *timers_.begin();
    double wait = at - now();
    if (wait > 0) {
      timer_cv_.wait_for(lock, std::chrono::duration<double>(wait));
      continue;
    }
    timers_.erase(timers_.begin());
    core_.timer(at);
    checkpoint_locked();
  }
}

void Coordinator::run()
{
  std::signal(SIGPIPE, SIG_IGN);
  // SIGTERM, SIGINT and SIGHUP end migd after a last checkpoint and a last write of the --out files (which
  // otherwise lag the records by up to 0.2 s). Blocked in every thread, taken by one that waits for them.
  on_stop_signal([this](int sig) {
    uint64_t seq;
    {
      std::lock_guard lock(mutex_);
      seq = checkpoint_locked();
    }
    if (seq)
      wait_written(seq);
    if (!options_.out_dir.empty())
      write_outputs();
    fmt::print(stderr, "migd: stopped by signal {}; records written\n", sig);
    std::fflush(stderr);
    std::_Exit(policy_failed_ ? EXIT_BAD_INPUT : 0); // its policy process failed: a peer that broke the protocol
  });
  Endpoint e{options_.bind, options_.port};
  int port = 0;
  int fd = listen_on(e, &port);
  fmt::print(stderr, "migd listening on {}:{} (policy {}, {} agents)\n", options_.bind, port, options_.policy.name,
             options_.agents.size());
  if (!options_.state_file.empty()) {
    // Before the first client: the ids this coordinator may hand out are reserved on disk (on_place), and what
    // was reloaded is rewritten at once.
    std::lock_guard lock(mutex_);
    reserved_job_ = next_job_ + JOB_ID_BLOCK;
    reservation_seq_ = checkpoint_locked();
  }
  std::thread([this] { writer_loop(); }).detach();
  if (!options_.state_file.empty())
    wait_written(reservation_seq_); // the reservation is on disk before any id is handed out
  for (size_t i = 0; i < options_.agents.size(); ++i)
    std::thread([this, i] { watch_agent(static_cast<int>(i)); }).detach();
  std::thread([this] { timer_loop(); }).detach();
  if (!options_.out_dir.empty()) {
    write_outputs(); // before the first client: the files exist (a reloaded run's, rewritten) from the start
    std::thread([this] { outputs_loop(); }).detach();
  }
  accept_loop(
      fd, "migd", secret_, [this](Connection& c, const std::string&) { serve_client(c); }, options_.limits);
}

} // namespace spritesim::real
