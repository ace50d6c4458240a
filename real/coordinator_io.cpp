// The coordinator's connections (see coordinator.hpp): one watcher thread per agent (reports in, controls out,
// reconnecting when the agent comes back), one thread per rexec client (place, at_home, done), and the timer
// thread that delivers the policy's WAKE_AT requests.
#include "real/coordinator.hpp"

#include <chrono>
#include <csignal>
#include <thread>

#include <fmt/format.h>

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
  // Jobs the coordinator still places on this host but the agent no longer runs ended unseen (e.g. after a
  // coordinator restart): forget them.
  std::set<int64_t> running;
  for (const auto& j : msg["jobs"])
    running.insert(j.get<int64_t>());
  for (auto it = jobs_.begin(); it != jobs_.end();)
    if (it->second.host == host && it->second.client < 0 && !running.count(it->first))
      it = jobs_.erase(it);
    else
      ++it;
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
  if (msg["action"] == "cont" || s.evict_start_s < 0)
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
      MigrationRecord r; // whichever of migd and the client notices first records the rerun
      r.time_s = now();
      r.job_id = j.name;
      r.kind = "restart";
      r.from_host = s.name;
      r.to_host = hosts_[static_cast<size_t>(j.home)].name;
      records_.migrations.push_back(r);
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

void Coordinator::serve_client(Connection& conn)
{
  int client;
  {
    std::lock_guard lock(mutex_);
    client = next_client_++;
  }
  std::set<int64_t> mine;
  try {
    for (;;) {
      nlohmann::json msg = conn.receive();
      std::lock_guard lock(mutex_);
      const std::string type = msg["type"];
      if (type == "place") {
        Job j;
        j.id = next_job_++;
        j.name = fmt::format("{}-{}", msg["name"].get<std::string>(), j.id);
        j.client = client;
        j.home = static_cast<int>(hosts_.size()) - 1;
        for (size_t i = 0; i + 1 < hosts_.size(); ++i)
          if (hosts_[i].name == msg["home"] || hosts_[i].endpoint.text() == msg["home"])
            j.home = static_cast<int>(i);
        j.host = j.home;
        j.started_s = now();
        jobs_[j.id] = j;
        mine.insert(j.id);
        PolicyEvent ev;
        ev.kind = EventKind::PROCESS_ARRIVED;
        ev.client = client;
        ev.home = j.home;
        ev.proc = j.id;
        int where = j.home;
        dispatch(ev, &where);
        Job& placed = jobs_.at(j.id);
        placed.host = where;
        placed.state = ProcState::RUNNING;
        placed.run_start_s = now();
        const Host& h = hosts_[static_cast<size_t>(where)];
        bool remote = where != j.home && !h.is_home;
        if (remote) {
          MigrationRecord r;
          r.time_s = now();
          r.job_id = j.name;
          r.kind = "exec";
          r.from_host = hosts_[static_cast<size_t>(j.home)].name;
          r.to_host = h.name;
          records_.migrations.push_back(r);
        }
        conn.send({{"type", "placed"}, {"job", j.id}, {"host", remote ? h.name : ""},
                   {"addr", remote ? h.endpoint.text() : ""}});
        checkpoint_locked();
      } else if (type == "at_home" || type == "done") {
        int64_t id = msg["job"];
        auto it = jobs_.find(id);
        if (it == jobs_.end() || !mine.count(id))
          throw ProtocolError(fmt::format("{}: job {} is not one of this client's", type, id));
        Job& j = it->second;
        if (type == "at_home") {
          if (j.host != j.home) { // the agent was lost or the client gave up on it; an eviction already moved it
            MigrationRecord r;
            r.time_s = now();
            r.job_id = j.name;
            r.kind = "restart";
            r.from_host = hosts_[static_cast<size_t>(j.host)].name;
            r.to_host = hosts_[static_cast<size_t>(j.home)].name;
            records_.migrations.push_back(r);
            j.host = j.home;
          }
          j.run_start_s = now();
          continue;
        }
        JobRecord r;
        r.id = j.name;
        r.kind = "command";
        r.home_host = hosts_[static_cast<size_t>(j.home)].name;
        r.exec_host = hosts_[static_cast<size_t>(j.host)].name;
        r.ready_s = r.start_s = j.started_s;
        r.end_s = now();
        r.remote = j.host != j.home;
        records_.jobs.push_back(r);
        int host = j.host;
        int home = j.home;
        jobs_.erase(it);
        mine.erase(id);
        PolicyEvent ev;
        ev.kind = EventKind::PROCESS_EXITED;
        ev.proc = id;
        ev.host = host;
        ev.home = home;
        dispatch(ev);
        checkpoint_locked();
      } else {
        throw ProtocolError(fmt::format("a client may not send \"{}\"", type));
      }
    }
  } catch (const std::exception& e) {
    // A client that goes away (or is dropped) takes its unfinished jobs with it.
    std::lock_guard lock(mutex_);
    for (int64_t id : mine) {
      auto it = jobs_.find(id);
      if (it == jobs_.end())
        continue;
      PolicyEvent ev;
      ev.kind = EventKind::PROCESS_EXITED;
      ev.proc = id;
      ev.host = it->second.host;
      ev.home = it->second.home;
      jobs_.erase(it);
      dispatch(ev);
    }
    if (std::string(e.what()) != "connection closed by the peer")
      throw;
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
  Endpoint e{options_.bind, options_.port};
  int port = 0;
  int fd = listen_on(e, &port);
  fmt::print(stderr, "migd listening on {}:{} (policy {}, {} agents)\n", options_.bind, port, options_.policy,
             options_.agents.size());
  for (size_t i = 0; i < options_.agents.size(); ++i)
    std::thread([this, i] { watch_agent(static_cast<int>(i)); }).detach();
  std::thread([this] { timer_loop(); }).detach();
  std::thread([this] { writer_loop(); }).detach();
  accept_loop(fd, "migd", secret_, [this](Connection& c, const std::string&) { serve_client(c); });
}

} // namespace spritesim::real
