// The agent running one foreign command (see agent.hpp): a child in its own process group, as the unprivileged
// run user, with its stdin fed from the connection and its stdout/stderr sent back as "output" frames tagged with
// the attempt number, and its exit (or its eviction by kill) reported last.
#include "real/agent.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/child_process.hpp"

namespace spritesim::real {

namespace {

void close_fd(int& fd)
{
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

/// Signals a client may forward to its remote command (Ctrl-C and friends).
bool forwardable(int sig) { return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT; }

} // namespace

bool Agent::admit_exec(Connection& conn, int64_t job, int attempt)
{
  std::lock_guard lock(mutex_);
  if (jobs_.count(job))
    throw ProtocolError(fmt::format("exec: job {} already runs here", job));
  if (killed_early_.erase(job)) {
    conn.send({{"type", "evicted"}, {"attempt", attempt}, {"action", to_string(AgentAction::KILL)}});
    return false;
  }
  // Listed from now on (no group yet): a control that arrives while it starts is kept and applied below.
  jobs_[job].stop_pending = stopped_early_.erase(job) > 0;
  return true;
}

void Agent::report_end(Connection& conn, int64_t job, int attempt, bool client_gone, int status,
                       const rusage& usage)
{
  bool killed = false;
  {
    std::lock_guard lock(mutex_);
    killed = jobs_[job].killed;
    jobs_.erase(job);
  }
  fmt::print(stderr, "agent {}: job {} attempt {} ended{}\n", options_.name, job, attempt,
             killed ? " (evicted by kill)" : "");
  if (client_gone)
    return;
  if (killed)
    conn.send({{"type", "evicted"}, {"attempt", attempt}, {"action", to_string(AgentAction::KILL)}});
  else
    conn.send({{"type", "exit"}, {"attempt", attempt}, {"cpu_s", cpu_seconds(usage)},
               {"code", WIFEXITED(status) ? WEXITSTATUS(status) : 0},
               {"signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0}});
}

bool Agent::relay_command(Connection& conn, int64_t job, int attempt, pid_t pid, int to_child, int from_out,
                          int from_err)
{
  ::fcntl(to_child, F_SETFL, O_NONBLOCK);
  std::string pending_in;
  bool in_eof = false, client_gone = false;
  char buf[DATA_CHUNK];
  while (from_out >= 0 || from_err >= 0) {
    std::vector<pollfd> fds;
    if (!client_gone)
      fds.push_back({conn.fd(), POLLIN, 0});
    if (from_out >= 0)
      fds.push_back({from_out, POLLIN, 0});
    if (from_err >= 0)
      fds.push_back({from_err, POLLIN, 0});
    if (to_child >= 0 && !pending_in.empty())
      fds.push_back({to_child, POLLOUT, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR)
      break;
    for (const pollfd& p : fds) {
      if (!p.revents)
        continue;
      if (p.fd == conn.fd()) {
        try {
          nlohmann::json m = conn.receive();
          if (m["type"] == "stdin" && !in_eof)
            pending_in += base64_decode(m["data"]);
          else if (m["type"] == "stdin_eof")
            in_eof = true;
          else if (m["type"] == "signal") {
            if (forwardable(m["signal"])) // others (SIGKILL, SIGSTOP...) are not the client's to send
              ::kill(-pid, m["signal"].get<int>());
          }
          else
            throw ProtocolError(fmt::format("during a command, \"{}\" is not allowed", m["type"].get<std::string>()));
        } catch (const std::exception& e) {
          // The client is gone or broke the protocol: its command has no one to report to.
          fmt::print(stderr, "agent {}: job {}: {}; killing the command\n", options_.name, job, e.what());
          conn.send_error(e.what());
          client_gone = true;
          ::kill(-pid, SIGKILL);
        }
      } else if (p.fd == to_child) {
        ssize_t w = ::write(to_child, pending_in.data(), pending_in.size());
        if (w > 0)
          pending_in.erase(0, static_cast<size_t>(w));
        else if (w < 0 && errno != EAGAIN && errno != EINTR)
          pending_in.clear(), in_eof = true; // the command closed its stdin
      } else {
        int& fd = p.fd == from_out ? from_out : from_err;
        ssize_t r = ::read(fd, buf, sizeof buf);
        if (r > 0 && !client_gone) {
          try {
            conn.send({{"type", "output"}, {"attempt", attempt}, {"stream", fd == from_out ? "out" : "err"},
                       {"data", base64_encode(std::string(buf, static_cast<size_t>(r)))}});
          } catch (const std::exception&) {
            client_gone = true;
            ::kill(-pid, SIGKILL);
          }
        } else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
          close_fd(fd);
        }
      }
    }
    if (in_eof && pending_in.empty())
      close_fd(to_child);
  }
  close_fd(to_child);
  close_fd(from_out);
  close_fd(from_err);
  return !client_gone;
}

void Agent::serve_exec(Connection& conn, const nlohmann::json& exec)
{
  int64_t job = exec["job"];
  int attempt = exec["attempt"];
  std::vector<std::string> args = exec["argv"], env = exec["env"];
  std::string cwd = exec["cwd"];
  if (args.empty())
    throw ProtocolError("exec: argv is empty");
  if (!admit_exec(conn, job, attempt))
    return;
  auto unlist = [&] {
    std::lock_guard lock(mutex_);
    jobs_.erase(job);
  };
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls. A simple command
  // (`sh -c "cc -c x.c"`) starts without the shell, as make would start it; the shell runs it if it cannot.
  std::vector<char*> argv = c_strings(args), envp = c_strings(env), direct_argv;
  std::optional<std::vector<std::string>> direct = simple_command(args);
  if (direct)
    direct_argv = c_strings(*direct);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) {
    unlist();
    throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  }
  std::string fail_prefix = fmt::format("spritesim agent {}: ", options_.name);
  const pid_t agent = ::getpid();
  sigset_t none;
  sigemptyset(&none);
  // The child's side, system calls only (it may share the agent's memory, see below).
  auto child = [&]() {
    ::setpgid(0, 0);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    // Every signal at its default and none blocked: the agent's own dispositions (SIGPIPE ignored, or SIGINT
    // ignored when it was started in the background) must not reach the command, or Ctrl-C could not stop it.
    // Handlers are reset by exec; only the ignored signals (ignored_) need resetting here.
    for (int sig = 1; sig < NSIG; ++sig)
      if (sigismember(&ignored_, sig) == 1)
        ::signal(sig, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    auto die = [&](const char* what) {
      const char* why = std::strerror(errno);
      (void)!::write(2, fail_prefix.data(), fail_prefix.size());
      (void)!::write(2, what, std::strlen(what));
      (void)!::write(2, why, std::strlen(why));
      (void)!::write(2, "\n", 1);
      ::_exit(127);
    };
    if (drop_ && (::setgroups(1, &run_gid_) || ::setgid(run_gid_) || ::setuid(run_uid_)))
      die("cannot drop privileges: ");
    // If the agent dies (SIGKILL, a crash), the command dies with it instead of running on unseen while its client
    // reruns it at home: two attempts must never run at once (its children are the reaper's). Set after the
    // privileges are dropped, which clears it; checked after, in case the agent already died.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != agent)
      ::_exit(127);
    if (::chdir(cwd.c_str()) != 0)
      die("cannot enter the working directory: ");
    if (!direct_argv.empty())
      ::execvpe(direct_argv[0], direct_argv.data(), envp.data());
    ::execvpe(argv[0], argv.data(), envp.data());
    die("cannot execute the command: ");
  };
  // vfork starts a null command in a fraction of fork's time, which rexec's latency feels. Dropping privileges
  // needs a real fork: glibc's setuid must not act on the agent's threads from a child sharing their memory.
  const pid_t pid = drop_ ? ::fork() : ::vfork();
  if (pid == 0)
    child();
  const int spawn_error = pid < 0 ? errno : 0;
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (spawn_error) {
    unlist();
    ::close(in[1]), ::close(out[0]), ::close(err[0]);
    // As a shell would: a message on stderr and status 127, so the client sees a failed command, not a broken host.
    std::string msg = fail_prefix + fmt::format("cannot run {} in {}: {}\n", args[0], cwd, std::strerror(spawn_error));
    conn.send({{"type", "output"}, {"attempt", attempt}, {"stream", "err"}, {"data", base64_encode(msg)}});
    conn.send({{"type", "exit"}, {"attempt", attempt}, {"code", 127}, {"signal", 0}, {"cpu_s", 0}});
    return;
  }
  ::setpgid(pid, pid); // also here, so a signal sent right after fork reaches the group
  {
    std::lock_guard lock(mutex_);
    Job& started = jobs_[job];
    started.pgid = pid;
    reaper_->started(pid);
    // Controls that raced the start (migd's kill or stop arrived before the command had a group).
    if (started.killed)
      ::kill(-pid, SIGKILL);
    else if (started.stop_pending)
      ::kill(-pid, SIGSTOP);
  }
  fmt::print(stderr, "agent {}: job {} attempt {} started: {}\n", options_.name, job, attempt, args[0]);
  const bool client_gone = !relay_command(conn, job, attempt, pid, in[1], out[0], err[0]);
  int status = 0;
  rusage usage{}; // the command's CPU, with every descendant it waited for (the compiler under the shell)
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  reaper_->ended(pid);
  report_end(conn, job, attempt, client_gone, status, usage);
}

} // namespace spritesim::real
