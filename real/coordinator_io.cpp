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
  Host& s = hosts_[static_cast<size_t>(host)];
  if (!msg["name"].get<std::string>().empty())
    s.name = msg["name"]; // the agent's --name; records use it from then on
  for (int i = 0; i < 3; ++i)
    s.load[i] = msg["load"].size() > static_cast<size_t>(i) ? msg["load"][static_cast<size_t>(i)].get<double>() : 0;
  s.run_queue = msg["run_queue"];
  s.input_idle_s = msg["input_idle_s"];
  bool was_active = s.owner_active;
  s.owner_active = msg["owner_active"];
  sweep_orphans(); // reports come every second: the clock for jobs reloaded but never re-attached
  // A job this agent still runs though migd moved it home (its kill went out on a watch connection that broke, or
  // the connection broke while the agent lived on) is killed now, so that what ran matches the records: its client
  // reruns it at home, as the `restart` row already says.
  for (const auto& listed : msg["jobs"]) {
    auto it = jobs_.find(listed.get<int64_t>());
    if (it == jobs_.end() || it->second.host == host || it->second.kill_generation == s.generation)
      continue;
    if (send_control(host, it->first, "kill")) {
      it->second.kill_generation = s.generation;
      reconcile_kills_.insert(it->first);
      fmt::print(stderr, "migd: job {} still runs on {} though it was moved home: killed\n", it->second.name, s.name);
    }
  }
  if (s.owner_active && !was_active) {
    s.available = false;
    PolicyEvent ev;
    ev.kind = EventKind::OWNER_ACTIVE;
    ev.host = host;
    dispatch(ev);
    checkpoint_locked();
  }
  evaluate(host);
}

void Coordinator::on_control_done(int host, const nlohmann::json& msg)
{
  Host& s = hosts_[static_cast<size_t>(host)];
  if (reconcile_kills_.erase(msg["job"].get<int64_t>()) || msg["action"] == "cont" || s.evict_start_s < 0)
    return;
  s.evict_latency_s = std::max(s.evict_latency_s, msg["since_notice_s"].get<double>());
  if (--s.evict_pending > 0)
    return;
  EvictionRecord e;
  e.time_s = s.evict_start_s;
  e.host = s.name;
  e.reason = s.evict_reason;
  e.processes = s.evict_processes;
  // Owner returns: from the agent noticing the owner to the last foreign process killed or stopped (what the owner
  // feels); other reasons: from the coordinator's first request to the last confirmation.
  e.duration_s = s.evict_reason == "owner" && s.evict_latency_s > 0 ? s.evict_latency_s : now() - s.evict_start_s;
  records_.evictions.push_back(e);
  fmt::print(stderr, "migd: evicted {} process(es) from {} ({}) in {:.1f} ms\n", e.processes, e.host, e.reason,
             e.duration_s * 1e3);
  s.evict_start_s = -1;
  checkpoint_locked();
}

void Coordinator::host_down(int host)
{
  Host& s = hosts_[static_cast<size_t>(host)];
  s.conn.reset();
  if (!s.up)
    return;
  s.up = false;
  s.available = false;
  s.evict_start_s = -1;
  // Its processes are lost; their clients see the broken connection and rerun them at home.
  for (auto& [id, j] : jobs_)
    if (j.host == host && j.home != host && j.state != ProcState::WAITING) {
      record_move(j, "restart", host, j.home); // whichever of migd and the client notices first records the rerun
      j.host = j.home;
      j.run_start_s = now();
      j.state = ProcState::RUNNING;
    }
  PolicyEvent ev;
  ev.kind = EventKind::HOST_DOWN;
  ev.host = host;
  dispatch(ev);
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
        s.up = true;
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
      if (hosts_[static_cast<size_t>(host)].up)
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
    PolicyEvent ev;
    ev.kind = EventKind::TIMER;
    dispatch(ev);
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
    std::_Exit(0);
  });
  Endpoint e{options_.bind, options_.port};
  int port = 0;
  int fd = listen_on(e, &port);
  fmt::print(stderr, "migd listening on {}:{} (policy {}, {} agents)\n", options_.bind, port, options_.policy,
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
