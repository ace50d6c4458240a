// Remote exec of a null program over loopback against a local posix_spawn + wait, median of N runs each, printed
// with their ratio (issue 6 target: at most 1.5x; Sprite's SS1 took 81 ms with migration against 46 ms, 1.76x,
// SPE91 Table 1). One agent and two coordinators run in this process on threads, so the figure is
// rexec's whole path: placement request, authenticated connection to the agent, fork/exec there, exit status back,
// done to the coordinator. The second coordinator keeps a checkpoint (--state), so each end also waits until it is
// on disk. Not a test: `ninja -C BUILD bench-rexec`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/output_files.hpp"
#include "real/agent.hpp"
#include "real/coordinator.hpp"
#include "real/net.hpp"
#include "real/rexec.hpp"

extern char** environ;

using namespace spritesim::real;

namespace {

double median(std::vector<double> v)
{
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

} // namespace

int main(int argc, char** argv)
{
  int runs = 200;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--runs")
      runs = std::max(1, std::atoi(argv[i + 1]));
  char tmpl[] = "/tmp/bench-rexec-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string secret = dir + "/secret", loadavg = dir + "/loadavg";
  spritesim::write_file_atomic(secret, "bench-rexec-shared-secret-0123456789\n", 0600);
  spritesim::write_file_atomic(loadavg, "0.00 0.00 0.00 1/100 1\n", 0644); // a quiet host, whatever this machine's load is

  AgentOptions ao;
  ao.name = "agent";
  ao.port = unused_loopback_port();
  ao.secret_file = secret;
  ao.owner_control = dir + "/owner"; // absent: idle since boot
  ao.loadavg = loadavg;
  ao.allow_root = true;
  std::thread([ao] { Agent(ao).run(); }).detach();
  CoordinatorOptions co;
  co.port = unused_loopback_port();
  co.secret_file = secret;
  co.agents = {Endpoint{"127.0.0.1", ao.port}};
  co.idle_rule.input_threshold_s = 0;
  CoordinatorOptions durable = co;
  durable.port = unused_loopback_port();
  durable.state_file = dir + "/state.json";
  std::thread([co] { Coordinator(co).run(); }).detach();
  std::thread([durable] { Coordinator(durable).run(); }).detach();

  RexecOptions ro;
  ro.migd = fmt::format("127.0.0.1:{}", co.port);
  ro.secret_file = secret;
  ro.home = "bench-home";
  ro.argv = {"/bin/true"};
  ro.forward_stdin = false;
  ro.quiet = true;
  // Wait until the coordinator has the agent's first report (the first rexec that runs remotely).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  using Clock = std::chrono::steady_clock;
  RexecOptions rd = ro;
  rd.migd = fmt::format("127.0.0.1:{}", durable.port);
  std::vector<double> local, remote, checkpointed;
  char* true_argv[] = {const_cast<char*>("/bin/true"), nullptr};
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    pid_t pid;
    posix_spawn(&pid, "/bin/true", nullptr, nullptr, true_argv, environ);
    int st;
    waitpid(pid, &st, 0);
    local.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    t0 = Clock::now();
    if (rexec(ro) != 0)
      fmt::print(stderr, "bench_rexec: a remote /bin/true failed\n");
    remote.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    t0 = Clock::now();
    if (rexec(rd) != 0)
      fmt::print(stderr, "bench_rexec: a remote /bin/true failed\n");
    checkpointed.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  double l = median(local), r = median(remote), c = median(checkpointed);
  fmt::print("bench_rexec: {} runs of /bin/true\n", runs);
  fmt::print("  local posix_spawn+wait   median {:8.3f} ms\n", l * 1e3);
  fmt::print("  rexec over loopback      median {:8.3f} ms\n", r * 1e3);
  fmt::print("  ratio remote/local       {:.2f}x (target <= 1.5x; Sprite SS1 81/46 ms = 1.76x)\n", r / l);
  fmt::print("  rexec, migd --state      median {:8.3f} ms (each end acknowledged once checkpointed: {:.2f}x)\n",
             c * 1e3, c / l);
  std::remove(durable.state_file.c_str());
  std::remove(secret.c_str());
  std::remove(loadavg.c_str());
  ::rmdir(dir.c_str());
  std::fflush(stdout);
  std::_Exit(0); // the daemons' threads serve forever
}
