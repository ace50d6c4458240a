// rexec (see rexec.hpp): placement request, remote attempt with output buffered per attempt (a killed attempt's
// output is dropped, so the user sees exactly one complete attempt), signal forwarding, and the rerun at home.
#include "real/rexec.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <set>
#include <memory>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/child_process.hpp"
#include "real/auth.hpp"
#include "real/migd_session.hpp"
#include "real/net.hpp"

extern char** environ;

namespace spritesim::real {

namespace {

// The phases of this command (TIMING_ENV): names and monotonic times, in order.
std::vector<std::pair<const char*, double>> g_phases;
void phase(const char* name)
{
  g_phases.emplace_back(name, monotonic_s());
}

// One line of the timing file: the command, where it ran, and each phase's seconds since the start.
void write_timing(const std::vector<std::string>& argv, const RexecReport& report, int status)
{
  const char* file = std::getenv(TIMING_ENV);
  if (!file || !*file || g_phases.empty())
    return;
  nlohmann::ordered_json phases = nlohmann::ordered_json::object(); // in the order they happened
  for (const auto& [name, t] : g_phases)
    phases[name] = t - g_phases.front().second;
  nlohmann::ordered_json record = {{"argv0", argv.empty() ? "" : argv[0]}, {"host", report.host},
                                   {"status", status}, {"phases", phases}};
  std::string line = record.dump() + "\n";
  int fd = ::open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)!::write(fd, line.data(), line.size()); // one write on O_APPEND: parallel recipes' lines never mix
    ::close(fd);
  }
}

std::atomic<pid_t> g_local_child{0};
std::atomic<bool> g_remote_running{false}; ///< a remote attempt's loop reads the signal pipe
int g_signal_pipe[2] = {-1, -1};

void on_signal(int sig)
{
  pid_t child = g_local_child.load();
  if (child > 0) {
    ::kill(child, sig);
    return;
  }
  if (!g_remote_running.load()) {
    // No command to hand it to (waiting for migd, or the command has ended): it ends rexec, as it would a shell.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  char c = static_cast<char>(sig);
  (void)!::write(g_signal_pipe[1], &c, 1);
}

void install_signal_forwarding()
{
  if (g_signal_pipe[0] < 0 && ::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
    return;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT})
    ::sigaction(s, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}


std::string read_all_stdin()
{
  std::string data;
  if (::isatty(0))
    return data;
  char buf[65536];
  for (;;) {
    ssize_t r = ::read(0, buf, sizeof buf);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    data.append(buf, static_cast<size_t>(r));
  }
  return data;
}

int status_of(int code, int sig) { return sig ? 128 + sig : code; }

enum class Outcome { EXITED, EVICTED, FAILED };

/// One remote attempt: returns EXITED with *status set and the output written, EVICTED (killed by the coordinator)
/// or FAILED (the agent was unreachable or broke off); in both latter cases nothing was written.
Outcome remote_attempt(const Endpoint& agent, const std::string& secret, int64_t job, int attempt,
                       const std::vector<std::string>& argv, const std::string& stdin_data, MigdSession& migd,
                       int* status, double* cpu_s, std::string* why)
{
  try {
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd))
      throw ProtocolError("the working directory has no name");
    nlohmann::json env = nlohmann::json::array();
    for (char** e = environ; *e; ++e)
      if (std::strlen(*e) <= 4096)
        env.push_back(*e);
    nlohmann::json exec = {{"type", "exec"}, {"job", job}, {"attempt", attempt}, {"argv", argv}, {"cwd", cwd},
                           {"env", env}};
    validate_message(exec); // too many or too long arguments: run at home instead
    if (exec.dump().size() > MAX_FRAME)
      throw ProtocolError("the command and its environment exceed one frame");
    auto conn = connect_to(agent);
    phase("agent_connected");
    g_remote_running = true;
    struct Done {
      ~Done() { g_remote_running = false; }
    } done;
    client_handshake(*conn, secret, "rexec", 5, PROTOCOL_VERSION, &exec);
    phase("exec_sent");
    for (size_t off = 0; off < stdin_data.size(); off += DATA_CHUNK)
      conn->send({{"type", "stdin"}, {"data", base64_encode(stdin_data.substr(off, DATA_CHUNK))}});
    conn->send({{"type", "stdin_eof"}});
    std::string out, err;
    for (;;) {
      // The coordinator's connection is watched too: if it goes away, the job is re-attached when it is back.
      pollfd fds[3] = {{conn->fd(), POLLIN, 0}, {g_signal_pipe[0], POLLIN, 0}, {migd.fd(), POLLIN, 0}};
      if (::poll(fds, 3, migd.retry_ms()) < 0) {
        if (errno == EINTR)
          continue;
        throw ProtocolError(std::strerror(errno));
      }
      if (fds[2].fd >= 0 && fds[2].revents)
        migd.on_readable();
      migd.tick();
      if (g_signal_pipe[0] >= 0 && (fds[1].revents & POLLIN)) {
        char c;
        while (::read(g_signal_pipe[0], &c, 1) == 1)
          conn->send({{"type", "signal"}, {"signal", static_cast<int>(c)}});
      }
      if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      nlohmann::json m = conn->receive();
      const std::string type = m["type"];
      if (type == "welcome") {
        continue; // it comes before the first output (client_handshake)
      } else if (type == "output" && m["attempt"] == attempt) {
        (m["stream"] == "out" ? out : err) += base64_decode(m["data"]);
      } else if (type == "exit" && m["attempt"] == attempt) {
        phase("exit_received");
        write_fully(1, out);
        write_fully(2, err);
        *status = status_of(m["code"], m["signal"]);
        *cpu_s = m["cpu_s"];
        return Outcome::EXITED;
      } else if (type == "evicted" && m["attempt"] == attempt) {
        return Outcome::EVICTED;
      } else if (type == "error") {
        throw ProtocolError("the agent refused: " + m["reason"].get<std::string>());
      } else {
        throw ProtocolError(fmt::format("unexpected \"{}\" from the agent", type));
      }
    }
  } catch (const std::exception& e) {
    *why = e.what();
    return Outcome::FAILED;
  }
}

/// Waits for the local child; while the coordinator is away, keeps trying to re-attach the job (a pidfd makes the
/// child's end pollable; without one, the job is re-attached only when it ends).
int wait_child(pid_t pid, MigdSession* migd, double* cpu_s)
{
  int pidfd = migd ? static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)) : -1;
  while (pidfd >= 0) {
    pollfd fds[2] = {{pidfd, POLLIN, 0}, {migd->fd(), POLLIN, 0}};
    if (::poll(fds, 2, migd->retry_ms()) < 0 && errno != EINTR)
      break;
    if (fds[0].revents)
      break;
    if (fds[1].fd >= 0 && fds[1].revents)
      migd->on_readable();
    migd->tick();
  }
  if (pidfd >= 0)
    ::close(pidfd);
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  *cpu_s = cpu_seconds(usage);
  return status;
}

int run_local(const std::vector<std::string>& argv, const std::string* stdin_data, MigdSession* migd,
              double* cpu_s)
{
  std::vector<char*> args = c_strings(argv);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int in[2] = {-1, -1};
  if (stdin_data) {
    if (::pipe2(in, O_CLOEXEC) != 0)
      return 127;
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  }
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (stdin_data)
    ::close(in[0]);
  if (rc != 0) {
    fmt::print(stderr, "spritesim rexec: cannot execute {}: {}\n", argv[0], std::strerror(rc));
    if (stdin_data)
      ::close(in[1]);
    return 127;
  }
  g_local_child = pid;
  std::thread feeder;
  if (stdin_data)
    feeder = std::thread([fd = in[1], stdin_data] {
      write_fully(fd, *stdin_data);
      ::close(fd);
    });
  int status = wait_child(pid, migd, cpu_s);
  g_local_child = 0;
  if (feeder.joinable())
    feeder.join();
  return WIFEXITED(status) ? WEXITSTATUS(status) : status_of(0, WTERMSIG(status));
}

} // namespace

std::string job_name(const std::vector<std::string>& argv, const std::string& target)
{
  auto base = [](const std::string& path) { return path.substr(path.rfind('/') + 1); };
  if (!target.empty())
    return base(target);
  if (argv.empty())
    return "";
  const std::string program = base(argv[0]);
  static const std::set<std::string> shells = {"sh", "bash", "dash", "ksh", "zsh"};
  if (shells.count(program))
    for (size_t i = 1; i + 1 < argv.size(); ++i)
      if (argv[i] == "-c" || (argv[i].size() > 1 && argv[i][0] == '-' && argv[i].back() == 'c')) { // -c, -ec, -xc
        const std::string& script = argv[i + 1];
        size_t start = script.find_first_not_of(" \t\n@+-");
        if (start == std::string::npos)
          break;
        size_t end = script.find_first_of(" \t\n;&|<>()", start);
        std::string word = base(script.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (!word.empty())
          return word;
        break;
      }
  return program;
}

// The command, as rexec() runs it (rexec() times it).
static int run_rexec(const RexecOptions& o, RexecReport& report)
{
  install_signal_forwarding();
  double& cpu_s = report.cpu_s;
  if (o.migd.empty() || prints_only(o.argv)) // a recipe's `@echo ...` is no job worth a host
    return run_local(o.argv, nullptr, nullptr, &cpu_s);
  BuildState build(o.build_dir);
  MigdSession migd(parse_endpoint(o.migd, "--migd"), read_secret_file(o.secret_file), o.home, o.migd_wait_s,
                   o.quiet, build, o.require_remote);
  const char* target = std::getenv(TARGET_ENV);
  nlohmann::json placed = migd.place(job_name(o.argv, target ? target : ""));
  phase("placed");
  if (placed.is_null() && o.require_remote) {
    if (!build.in_build()) // in a build, the first recipe has said it for all
      fmt::print(stderr, "spritesim rexec: migd at {} {}, and --require-remote is given: {} not run\n", o.migd,
                 describe_trouble(migd.trouble(), migd.trouble_reason()), o.argv[0]);
    return REXEC_NO_MIGD;
  }
  if (placed.is_null())
    return run_local(o.argv, nullptr, nullptr, &cpu_s);
  int64_t job = placed["job"];
  int status = 0;
  std::string host = placed["host"];
  if (!host.empty()) {
    std::string stdin_data = o.forward_stdin ? read_all_stdin() : "";
    std::string why;
    Outcome out = remote_attempt(parse_endpoint(placed["addr"], "placed.addr"), migd.secret(), job, 1, o.argv,
                                 stdin_data, migd, &status, &cpu_s, &why);
    report.host = host;
    if (out != Outcome::EXITED) {
      report.host.clear();
      if (!o.quiet)
        fmt::print(stderr, "spritesim rexec: {}\n",
                   out == Outcome::EVICTED ? fmt::format("job {} evicted from {}; rerunning at home", job, host)
                                           : fmt::format("job {} lost on {} ({}); rerunning at home", job, host, why));
      migd.at_home(out == Outcome::EVICTED ? "evicted" : "agent_lost");
      status = run_local(o.argv, &stdin_data, &migd, &cpu_s);
    }
  } else {
    status = run_local(o.argv, nullptr, &migd, &cpu_s);
  }
  phase("ran");
  migd.finish(status, cpu_s);
  phase("reported");
  return status;
}

int rexec(const RexecOptions& o, RexecReport* report)
{
  RexecReport unused;
  if (!report)
    report = &unused;
  g_phases.clear();
  phase("start");
  int status = run_rexec(o, *report);
  phase("end");
  write_timing(o.argv, *report, status);
  return status;
}

} // namespace spritesim::real
