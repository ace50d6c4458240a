// `spritesim host-profile [--out FILE]`: measures this machine as a workstation profile (the parameter set of
// models/profiles/ss1.json): CPU speed from a fixed timing loop, process start cost, kernel-call cost, cores, page
// and file-system block size. The remote paths cannot be measured here; they are copied from a base profile and
// their sources say so. See docs/capture.md.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <thread>

#include <spawn.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/output_files.hpp"
#include "models/profile.hpp"
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

// posix_spawn + waitpid of a null program; median of `runs` (ms).
double measure_spawn_ms(const std::string& program, int runs)
{
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    std::string p = program;
    char* argv[] = {p.data(), nullptr};
    auto t0 = Clock::now();
    pid_t pid = 0;
    if (posix_spawn(&pid, p.c_str(), nullptr, nullptr, argv, environ) != 0)
      throw std::runtime_error("cannot start " + program);
    int status = 0;
    waitpid(pid, &status, 0);
    ms.push_back(seconds_since(t0) * 1e3);
  }
  return median(ms);
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

} // namespace

const char* const HOST_PROFILE_USAGE =
    "usage: spritesim host-profile [--out FILE] [--name NAME] [--remote-from PROFILE] [--null-program PATH]\n"
    "  measure this machine (CPU speed, process start cost) as a workstation profile (JSON on stdout, or FILE);\n"
    "  the costs it cannot measure come from PROFILE (default ss1). See docs/cost-model.md.";

int cmd_host_profile(const Args& args)
{
  if (asked_for_help(args, HOST_PROFILE_USAGE))
    return 0;
  std::string out, name = "host", base = "ss1", null_program = "/bin/true";
  int spawns = 200;
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&] {
      if (i + 1 >= args.size())
        throw UsageError(args[i] + " needs a value");
      return args[++i];
    };
    if (args[i] == "--out")
      out = value();
    else if (args[i] == "--name")
      name = value();
    else if (args[i] == "--remote-from")
      base = value();
    else if (args[i] == "--null-program")
      null_program = value();
    else
      throw UsageError(fmt::format("unknown option \"{}\" (usage: spritesim host-profile [--out FILE] [--name NAME] "
                                   "[--remote-from PROFILE] [--null-program PATH])", args[i]));
  }
  HardwareProfile remote = load_profile(base, "workstation");
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  std::string where = fmt::format("measured by `spritesim host-profile` on {} ({}) at {}", host, cpu_model(),
                                  utc_now());

  double mips = measure_mips(10);
  double spawn_ms = measure_spawn_ms(null_program, spawns);
  double syscall_us = measure_syscall_us(11);
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  long page = sysconf(_SC_PAGESIZE);
  struct statvfs vfs {};
  double block = statvfs(".", &vfs) == 0 && vfs.f_bsize > 0 ? static_cast<double>(vfs.f_bsize) : 4096.0;

  nlohmann::ordered_json params = nlohmann::ordered_json::object(); // keys in the order of ss1.json
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
  put("fork_exec_wait_local_ms", std::stod(fixed(spawn_ms, 3)),
      fmt::format("{}: posix_spawn + waitpid of {} (a null program), median of {}", where, null_program, spawns));
  put("cores", static_cast<double>(cores), fmt::format("{}: std::thread::hardware_concurrency()", where));
  put("syscall_us", std::stod(fixed(syscall_us, 4)),
      fmt::format("{}: syscall(SYS_getpid) in a loop of 100000 calls, median of 11 loops", where));
  for (const auto& key : workstation_params())
    if (!params.contains(key)) {
      const ProfileParam& p = remote.params.at(key);
      put(key, p.value, fmt::format("not measured (a remote path: this machine runs no Sprite kernel or migd); value "
                                    "of profile {}, whose source is: {}", remote.name, p.source));
    }
  nlohmann::ordered_json doc = {{"name", name},
                        {"role", "workstation"},
                        {"description", fmt::format("This machine as a workstation, {}; remote-path parameters from "
                                                    "{}.", where, remote.name)},
                        {"params", params}};
  parse_profile(nlohmann::json::parse(doc.dump()), out.empty() ? "host-profile" : out, "workstation"); // the result must load as a profile
  std::string text = doc.dump(2) + "\n";
  if (out.empty())
    fmt::print("{}", text);
  else
    write_file_atomic(out, text);
  return 0;
}

} // namespace spritesim
