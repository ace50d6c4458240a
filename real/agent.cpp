// The host agent's probes, reports and eviction controls (see agent.hpp); running commands is agent_exec.cpp.
#include "real/agent.hpp"

#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include <pthread.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "real/auth.hpp"
#include "real/net.hpp"

namespace spritesim::real {

int read_run_queue(const std::string& path)
{
  std::vector<std::string> words = read_words(path, 4); // "0.52 0.58 0.59 2/467 12345"
  if (words.size() < 4)
    return -1;
  const std::string& running = words[3];
  auto slash = running.find('/');
  if (slash == std::string::npos || slash == 0)
    return -1;
  try {
    return std::max(0, std::stoi(running.substr(0, slash)) - 1);
  } catch (const std::exception&) {
    return -1;
  }
}

Agent::Agent(AgentOptions options) : options_(std::move(options))
{
  secret_ = read_secret_file(options_.secret_file);
  if (::geteuid() == 0) {
    if (!options_.user.empty()) {
      passwd* pw = ::getpwnam(options_.user.c_str());
      if (!pw)
        throw InputError("--user", options_.user, "no such user");
      if (pw->pw_uid == 0)
        throw InputError("--user", options_.user, "foreign commands must not run as root");
      run_uid_ = pw->pw_uid;
      run_gid_ = pw->pw_gid;
      drop_ = true;
    } else if (!options_.allow_root) {
      throw InputError("spritesim agent", "uid 0",
                       "refusing to run other users' commands as root: pass --user NAME to run them as an "
                       "unprivileged user, or --allow-root (containers and tests only)");
    }
  }
  if (options_.idle_probe.empty() && !options_.owner_control.empty())
    options_.idle_probe = "file:" + options_.owner_control;
  if (options_.idle_probe.empty())
    throw InputError("spritesim agent", "--idle-probe", "no console-idleness probe given (--idle-probe SPEC or "
                                                        "--owner-control FILE)");
  probe_ = make_idle_probe(options_.idle_probe);
  start_s_ = monotonic_s();
}

nlohmann::json Agent::report_locked(double now)
{
  auto load = load_.at(now - start_s_);
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& [id, job] : jobs_)
    jobs.push_back(id);
  return {{"type", "report"}, {"name", options_.name}, {"load", {load[0], load[1], load[2]}},
          {"run_queue", load_.run_queue()}, {"owner_active", owner_.active},
          {"input_idle_s", std::min(owner_.input_idle_s, 1e9)}, {"jobs", jobs}};
}

void Agent::broadcast_locked(const nlohmann::json& msg)
{
  for (Connection* w : watchers_) {
    try {
      w->send(msg);
    } catch (const std::exception&) {
      w->shutdown(); // its serving thread notices and removes it
    }
  }
}

void Agent::monitor()
{
  double last_report = 0;
  for (;;) {
    double now = monotonic_s();
    OwnerState o = probe_->read(epoch_s());
    int rq = read_run_queue(options_.loadavg);
    {
      std::lock_guard lock(mutex_);
      bool changed = o.active != owner_.active;
      if (o.active && !owner_.active) {
        owner_active_since_ = now;
        fmt::print(stderr, "agent {}: owner active\n", options_.name);
      }
      owner_ = o;
      if (rq >= 0 && rq != load_.run_queue())
        load_.set_run_queue(now - start_s_, rq);
      if (changed || now - last_report >= options_.report_s) {
        broadcast_locked(report_locked(now));
        last_report = now;
      }
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(options_.poll_s));
  }
}

void Agent::control(Connection& conn, const nlohmann::json& msg)
{
  int64_t id = msg["job"];
  AgentAction action = action_of(msg);
  int sig = action == AgentAction::KILL ? SIGKILL : action == AgentAction::STOP ? SIGSTOP : SIGCONT;
  bool ok = false;
  double since = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it != jobs_.end() && it->second.pgid == 0) {
      // Being started: serve_exec applies it as soon as the command has a group.
      if (sig == SIGKILL)
        it->second.killed = true;
      else
        it->second.stop_pending = sig == SIGSTOP;
      ok = true;
    } else if (it != jobs_.end()) {
      if (sig == SIGKILL)
        it->second.killed = true;
      ok = ::kill(-it->second.pgid, sig) == 0;
    } else if (sig == SIGKILL) {
      killed_early_.insert(id); // the placement raced the owner's return: the exec must not start
      ok = true;
    } else {
      // A stop before the exec arrived: the command starts stopped (a cont before it cancels that).
      if (sig == SIGSTOP)
        stopped_early_.insert(id);
      else
        stopped_early_.erase(id);
      ok = true;
    }
    if (owner_active_since_ >= 0 && owner_.active)
      since = monotonic_s() - owner_active_since_;
  }
  conn.send({{"type", "control_done"}, {"job", id}, {"action", to_string(action)}, {"ok", ok}, {"since_notice_s", since}});
}

void Agent::serve_watch(Connection& conn)
{
  {
    std::lock_guard lock(mutex_);
    watchers_.insert(&conn);
    conn.send(report_locked(monotonic_s()));
  }
  try {
    for (;;) {
      nlohmann::json msg = conn.receive();
      if (msg["type"] != "control")
        throw ProtocolError(
            fmt::format("a watcher may only send \"control\", not \"{}\"", msg["type"].get<std::string>()));
      control(conn, msg);
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    watchers_.erase(&conn);
    throw;
  }
}

void Agent::serve(Connection& conn, const std::string&)
{
  nlohmann::json first = conn.receive();
  if (first["type"] == "watch")
    return serve_watch(conn);
  if (first["type"] == "exec")
    return serve_exec(conn, first);
  throw ProtocolError(fmt::format("an agent expects \"watch\" or \"exec\" first, not \"{}\"",
                                  first["type"].get<std::string>()));
}

void Agent::run()
{
  // First, before the agent listens: the reaper must hold none of its sockets.
  reaper_ = std::make_unique<GroupReaper>();
  // SIGTERM, SIGINT and SIGHUP end the agent, but first its foreign commands: a stopped agent leaves nothing of
  // other users running on its workstation. They are blocked in every thread and taken by one that waits for them.
  on_stop_signal([this](int sig) {
    std::lock_guard lock(mutex_);
    for (const auto& [id, job] : jobs_)
      if (job.pgid > 0) // 0: still being started (kill(0) would be the agent's own group)
        ::kill(-job.pgid, SIGKILL);
    fmt::print(stderr, "agent {}: stopped by signal {}; killed {} foreign command(s)\n", options_.name, sig,
               jobs_.size());
    std::_Exit(0);
  });
  Endpoint e{options_.bind, options_.port};
  int port = 0;
  int fd = listen_on(e, &port);
  if (options_.name.empty())
    options_.name = fmt::format("{}:{}", options_.bind, port);
  std::signal(SIGPIPE, SIG_IGN);
  fmt::print(stderr, "agent {}: idle probe: {}\n", options_.name, probe_->describe());
  fmt::print(stderr, "agent {} listening on {}:{}\n", options_.name, options_.bind, port);
  // Handlers are reset by exec, blocked signals by the spawn's empty mask; only ignored signals would reach a
  // command as they are here (SIGPIPE, or SIGINT when started in the background).
  sigemptyset(&ignored_);
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa {};
    if (::sigaction(sig, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN)
      sigaddset(&ignored_, sig);
  }
  std::thread([this] { monitor(); }).detach();
  accept_loop(
      fd, "agent " + options_.name, secret_, [this](Connection& c, const std::string& n) { serve(c, n); },
      options_.limits);
}

} // namespace spritesim::real
