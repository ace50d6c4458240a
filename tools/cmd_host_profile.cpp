// `spritesim host-profile [--out FILE]`: measures this machine as a workstation profile (the parameter set of
// models/profiles/ss1.json): CPU speed from a fixed timing loop, process start cost, kernel-call cost, cores, page
// and file-system block size, and real mode's remote path: an agent and a migd started here on loopback, and
// `spritesim-rexec -- NULL` started and waited for as make starts a recipe (placement, exec, the end reported).
// What neither can measure (Sprite's migration of a running process, its RPC bandwidths) is copied from a base
// profile, and the sources say so. See docs/capture.md.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/child_process.hpp"
#include "core/output_files.hpp"
#include "models/profile.hpp"
#include "real/net.hpp"
#include "real/rexec.hpp"
#include "tools/capture_shim.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

extern char** environ;

namespace spritesim {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v)
{
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The timing loop. One iteration is 4 dependent 64-bit integer operations (multiply, add, shift, xor): a chain the
// CPU cannot overlap, so the rate measures one core's integer latency, not its width.
constexpr double OPS_PER_ITERATION = 4;

uint64_t timing_loop(uint64_t iterations, uint64_t seed)
{
  uint64_t x = seed;
  for (uint64_t i = 0; i < iterations; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    x ^= x >> 29;
  }
  return x;
}

// Best of several runs of about 50 ms each: the fastest run is the one least disturbed by other processes.
double measure_mips(int runs)
{
  volatile uint64_t sink = 0;
  uint64_t n = 1 << 20;
  while (true) { // size the run to ~50 ms
    auto t0 = Clock::now();
    sink = sink + timing_loop(n, sink | 1);
    if (seconds_since(t0) > 0.05)
      break;
    n *= 2;
  }
  double best = 0;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    sink = sink + timing_loop(n, sink | 1);
    best = std::max(best, static_cast<double>(n) * OPS_PER_ITERATION / seconds_since(t0) / 1e6);
  }
  return best;
}

// One start and wait of `argv` with `env`, as make starts a recipe line; seconds, and the exit status.
double spawn_and_wait(const std::vector<std::string>& argv, const std::vector<std::string>& env, int* status)
{
  ChildSpec child;
  child.argv = argv;
  child.env = env;
  auto t0 = Clock::now();
  *status = wait_child_status(start_child(child));
  return seconds_since(t0);
}

// CPU seconds (user + system) of this process and of the children it has waited for, so far.
double own_cpu_s()
{
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  rusage self{}, children{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  return seconds(self.ru_utime) + seconds(self.ru_stime) + seconds(children.ru_utime) + seconds(children.ru_stime);
}

// A null program started (posix_spawn, through start_child) and waited for: the median of `runs` (ms), and the
// mean CPU of a start, the parent's and the program's (ms).
struct SpawnCost {
  double ms = 0, cpu_ms = 0;
};

SpawnCost measure_spawn(const std::string& program, int runs)
{
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    env.emplace_back(*e);
  std::vector<double> ms;
  double cpu0 = own_cpu_s();
  for (int r = 0; r < runs; ++r) {
    int status = 0;
    ms.push_back(spawn_and_wait({program}, env, &status) * 1e3);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error(fmt::format("host-profile: {} failed (status {})", program, status));
  }
  return {median(ms), (own_cpu_s() - cpu0) * 1e3 / runs};
}

// A raw getpid system call (no libc caching); median over batches of 100,000 calls (microseconds per call).
double measure_syscall_us(int batches)
{
  std::vector<double> us;
  constexpr int CALLS = 100000;
  for (int b = 0; b < batches; ++b) {
    auto t0 = Clock::now();
    for (int i = 0; i < CALLS; ++i)
      syscall(SYS_getpid);
    us.push_back(seconds_since(t0) * 1e6 / CALLS);
  }
  return median(us);
}

std::string cpu_model()
{
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos)
      return line.substr(line.find(':') + 2);
  utsname u{};
  uname(&u);
  return u.machine;
}

std::string utc_now()
{
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%MZ", &tm);
  return buf;
}

// A loopback TCP round trip of one byte, this process to a thread echoing it; median of `runs` (ms).
double measure_loopback_rtt_ms(int runs)
{
  int port = 0;
  int listener = real::listen_on(real::Endpoint{"127.0.0.1", 0}, &port);
  std::thread echo([listener] {
    int fd = ::accept(listener, nullptr, nullptr);
    char b;
    while (fd >= 0 && ::read(fd, &b, 1) == 1 && ::write(fd, &b, 1) == 1) {
    }
    if (fd >= 0)
      ::close(fd);
  });
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::vector<double> ms;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0)
    for (int r = 0; r < runs; ++r) {
      char b = 'x';
      auto t0 = Clock::now();
      if (::write(fd, &b, 1) != 1 || ::read(fd, &b, 1) != 1)
        break;
      ms.push_back(seconds_since(t0) * 1e3);
    }
  ::close(fd);
  echo.join();
  ::close(listener);
  if (ms.empty())
    throw std::runtime_error("host-profile: cannot time a loopback TCP round trip");
  return median(ms);
}

// Real mode's remote path on this machine (docs/real-mode.md): medians over `runs` null commands of the whole of
// `spritesim-rexec -- NULL` as make would start it, and of two of its phases (SPRITESIM_REXEC_TIMING): the placement
// (connection to migd, mutual authentication, the host granted) and the end reported to migd.
struct RemotePath {
  double whole_ms = 0, placement_ms = 0, done_ms = 0;
  double cpu_ms = 0; ///< mean CPU of a command, every process together: rexec, the null program, migd, the agent
  int runs = 0;
};

RemotePath measure_remote_path(const std::string& null_program, int runs)
{
  namespace fs = std::filesystem;
  const fs::path rexec = companion_executable("spritesim-rexec");
  if (!fs::exists(rexec))
    throw std::runtime_error(fmt::format("host-profile: {} not found (it is built beside spritesim); "
                                         "--no-remote-path skips this measurement", rexec.string()));
  std::string tmpl = (fs::temp_directory_path() / "spritesim-host-profile-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error("host-profile: cannot create a temporary directory");
  const fs::path dir = tmpl;
  write_file_atomic(dir / "secret", "host-profile-loopback-secret-0123456789abcdef\n", 0600);
  write_file_atomic(dir / "loadavg", "0.00 0.00 0.00 1/100 1\n", 0600); // an idle host whatever this machine's load
  write_file_atomic(dir / "owner", "idle\n", 0600);
  const int agent_port = real::unused_loopback_port(), migd_port = real::unused_loopback_port();
  std::vector<std::string> agent = {"agent", "--port", std::to_string(agent_port), "--bind", "127.0.0.1", "--secret",
                                    (dir / "secret").string(), "--owner-control", (dir / "owner").string(), "--name",
                                    "host-profile", "--loadavg", (dir / "loadavg").string()};
  if (::geteuid() == 0)
    agent.push_back("--allow-root"); // it runs only the null program, as this user
  const std::vector<std::string> migd = {
      "migd", "--port", std::to_string(migd_port), "--secret", (dir / "secret").string(), "--agents",
      fmt::format("127.0.0.1:{}", agent_port), "--input-threshold", "0", "--state", (dir / "state.json").string(),
      "--out", (dir / "out").string()};
  struct Daemons { // stopped however the measurement ends
    std::vector<pid_t> pids;
    ~Daemons()
    {
      for (pid_t pid : pids)
        ::kill(pid, SIGTERM);
      for (pid_t pid : pids)
        wait_child_status(pid);
    }
  } daemons;
  RemotePath out;
  {
    daemons.pids.push_back(start_child(self_child(agent, (dir / "agent.log").string())));
    daemons.pids.push_back(start_child(self_child(migd, (dir / "migd.log").string())));
    const std::string timing = (dir / "timing.jsonl").string();
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
      if (std::string_view(*e).rfind("SPRITESIM_", 0) != 0)
        env.emplace_back(*e);
    env.push_back(fmt::format("{}={}", real::TIMING_ENV, timing));
    const std::vector<std::string> argv = {rexec.string(), "--migd", fmt::format("127.0.0.1:{}", migd_port),
                                           "--secret", (dir / "secret").string(), "--no-stdin", "--quiet", "--",
                                           null_program};
    // Until a command runs on the agent (migd has its first report): then the timing file starts afresh.
    auto remote_lines = [&] {
      std::ifstream in(timing);
      std::vector<nlohmann::json> lines;
      for (std::string line; std::getline(in, line);)
        if (auto j = nlohmann::json::parse(line, nullptr, false); !j.is_discarded() && j["phases"].contains("agent_connected"))
          lines.push_back(j);
      return lines;
    };
    auto deadline = Clock::now() + std::chrono::seconds(15);
    for (int status = 0; remote_lines().empty(); ) {
      if (Clock::now() > deadline)
        throw std::runtime_error(fmt::format("host-profile: no null command ran on the local agent within 15 s "
                                             "(logs in {}); --no-remote-path skips this measurement", dir.string()));
      spawn_and_wait(argv, env, &status);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    fs::remove(timing);
    std::vector<double> whole;
    // Each daemon's threads and the children it waited for (the agent's null programs).
    auto daemon_cpu_s = [](pid_t pid) {
      double self = 0, children = 0;
      if (!capture::proc_cpu(pid, self, children))
        throw std::runtime_error(fmt::format("host-profile: cannot read /proc/{}/stat", pid));
      return self + children;
    };
    auto path_cpu_s = [&] { return own_cpu_s() + daemon_cpu_s(daemons.pids[0]) + daemon_cpu_s(daemons.pids[1]); };
    const double cpu0 = path_cpu_s();
    for (int r = 0; r < runs; ++r) {
      int status = 0;
      whole.push_back(spawn_and_wait(argv, env, &status) * 1e3);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error(fmt::format("host-profile: {} -- {} failed (status {})", rexec.string(),
                                             null_program, status));
    }
    const double cpu_ms = (path_cpu_s() - cpu0) * 1e3 / runs;
    std::vector<double> placement, done;
    for (const auto& j : remote_lines()) {
      const auto& p = j["phases"];
      placement.push_back((p["placed"].get<double>() - p["start"].get<double>()) * 1e3);
      done.push_back((p["reported"].get<double>() - p["ran"].get<double>()) * 1e3);
    }
    if (placement.size() < static_cast<size_t>(runs) / 2)
      throw std::runtime_error(fmt::format("host-profile: only {} of {} null commands ran on the local agent (logs "
                                           "in {})", placement.size(), runs, dir.string()));
    out = {median(whole), median(placement), median(done), cpu_ms, runs};
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return out;
}

} // namespace

const char* const HOST_PROFILE_USAGE =
    "usage: spritesim host-profile [--out FILE] [--name NAME] [--remote-from PROFILE] [--null-program PATH]\n"
    "                              [--no-remote-path]\n"
    "  measure this machine (CPU speed, process start cost, real mode's remote exec through an agent and a migd\n"
    "  started here on loopback) as a workstation profile (JSON on stdout, or FILE); the costs it cannot measure\n"
    "  come from PROFILE (default ss1); --no-remote-path takes real mode's from PROFILE too. See docs/capture.md.";

int cmd_host_profile(const Args& args)
{
  if (asked_for_help(args, HOST_PROFILE_USAGE))
    return 0;
  std::string out, name = "host", base = "ss1", null_program = "/bin/true";
  int spawns = 200;
  bool remote_path = true;
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&]() -> const std::string& { return option_value(args, i, "spritesim host-profile"); };
    if (args[i] == "--out")
      out = value();
    else if (args[i] == "--name")
      name = value();
    else if (args[i] == "--remote-from")
      base = value();
    else if (args[i] == "--null-program")
      null_program = value();
    else if (args[i] == "--no-remote-path")
      remote_path = false;
    else
      reject_argument("spritesim host-profile", args[i]);
  }
  HardwareProfile remote = load_profile(base, "workstation");
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  std::string where = fmt::format("measured by `spritesim host-profile` on {} ({}) at {}", host, cpu_model(),
                                  utc_now());

  double mips = measure_mips(10);
  SpawnCost spawn = measure_spawn(null_program, spawns);
  double syscall_us = measure_syscall_us(11);
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  long page = sysconf(_SC_PAGESIZE);
  struct statvfs vfs {};
  double block = statvfs(".", &vfs) == 0 && vfs.f_bsize > 0 ? static_cast<double>(vfs.f_bsize) : 4096.0;

  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  auto put = [&](const std::string& key, double value, const std::string& source) {
    nlohmann::ordered_json v = value;
    if (value == static_cast<double>(static_cast<int64_t>(value)))
      v = static_cast<int64_t>(value); // counts and sizes print as integers, as in the hand-written profiles
    params[key] = {{"value", v}, {"source", source}};
  };
  put("cpu_mips", std::stod(fixed(mips, 1)),
      fmt::format("{}: best of 10 runs of a dependent chain of 64-bit integer multiply/add/shift/xor, counted as "
                  "4 'instructions' per iteration; this MIPS is a loop rate, comparable between profiles only as a "
                  "scale for CPU times (a trace's cpu_s is multiplied by ref_mips/this), not with vendor MIPS ratings",
                  where));
  put("page_bytes", static_cast<double>(page), fmt::format("{}: sysconf(_SC_PAGESIZE)", where));
  put("fs_block_bytes", block, fmt::format("{}: statvfs(\".\").f_bsize of the working directory", where));
  put("fork_exec_wait_local_ms", std::stod(fixed(spawn.ms, 3)),
      fmt::format("{}: posix_spawn + waitpid of {} (a null program), median of {}", where, null_program, spawns));
  put("cores", static_cast<double>(cores), fmt::format("{}: std::thread::hardware_concurrency()", where));
  put("syscall_us", std::stod(fixed(syscall_us, 4)),
      fmt::format("{}: syscall(SYS_getpid) in a loop of 100000 calls, median of 11 loops", where));
  if (remote_path) {
    // Real mode, as pmake with a host per command charges it (docs/capture.md, "spritesim host-profile"): the placement
    // per command (rexec connects to migd afresh each time, so there is no connection kept open), the exec on the
    // agent, and the end reported; no held host is ever confirmed, and closing costs nothing apart.
    RemotePath rp = measure_remote_path(null_program, spawns);
    double rtt = measure_loopback_rtt_ms(1000);
    std::string how = fmt::format("{}: `spritesim-rexec -- {}` through an agent and a migd (with --state) started "
                                  "here on loopback, median of {}", where, null_program, rp.runs);
    put("rpc_null_rtt_ms", std::stod(fixed(rtt, 4)),
        fmt::format("{}: a one-byte TCP round trip over loopback, median of 1000", where));
    put("mig_connect_ms", 0, fmt::format("{}: real mode connects to migd for each command, inside mig_obtain_ms",
                                         where));
    put("mig_obtain_ms", std::stod(fixed(rp.placement_ms, 3)),
        fmt::format("{}; its start to its host granted (connection, mutual authentication, placement)", how));
    put("mig_release_ms", std::stod(fixed(rp.done_ms, 3)),
        fmt::format("{}; its command's end reported to migd and acknowledged once checkpointed", how));
    put("mig_close_ms", 0, fmt::format("{}: the connection ends with rexec, nothing waits for it", where));
    put("mig_confirm_ms", 0, fmt::format("{}: real mode never reuses a held host, so never confirms one", where));
    put("open_file_ms", 0, fmt::format("{}: real mode moves no open-file state; a command's standard streams travel "
                                       "over rexec's connection to the agent, inside fork_exec_wait_remote_ms", where));
    put("fork_exec_wait_remote_ms", std::stod(fixed(std::max(0.0, rp.whole_ms - rp.placement_ms - rp.done_ms), 3)),
        fmt::format("{}, {:.3f} ms in all, less mig_obtain_ms and mig_release_ms: rexec's own start, the connection "
                    "to the agent, the exec there and the exit status back", how, rp.whole_ms));
    put("remote_path_cpu_ms", std::stod(fixed(std::max(0.0, rp.cpu_ms - spawn.cpu_ms), 3)),
        fmt::format("{}: the CPU of a command, every process together (rexec and {} from wait4, migd's and the "
                    "agent's threads and children from /proc/PID/stat; {:.3f} ms), less that of a local start of it "
                    "({:.3f} ms, posix_spawn + waitpid)", how, null_program, rp.cpu_ms, spawn.cpu_ms));
  }
  for (const auto& key : workstation_params())
    if (!params.contains(key)) {
      const ProfileParam& p = remote.params.at(key);
      put(key, p.value, fmt::format("not measured (a Sprite kernel path: real mode does not migrate running processes "
                                    "or page over the network); value of profile {}, whose source is: {}",
                                    remote.name, p.source));
    }
  nlohmann::ordered_json ordered = nlohmann::ordered_json::object(); // in the order of the model's parameters
  for (const auto& key : workstation_params())
    ordered[key] = params[key];
  nlohmann::ordered_json doc = {{"name", name},
                        {"role", "workstation"},
                        {"description", fmt::format("This machine as a workstation, {}; {}.", where,
                                                    remote_path ? fmt::format("real mode's remote exec measured through a local agent and migd; the Sprite kernel's other remote paths from {}", remote.name)
                                                                : fmt::format("remote-path parameters from {}", remote.name))},
                        {"params", ordered}};
  parse_profile(nlohmann::json::parse(doc.dump()), out.empty() ? "host-profile" : out, "workstation"); // the result must load as a profile
  std::string text = doc.dump(2) + "\n";
  if (out.empty())
    fmt::print("{}", text);
  else
    write_file_atomic(out, text);
  return 0;
}

} // namespace spritesim
