// The floor for bench-sim (bench/bench_sim.py): the least a SimGrid simulation of N jobs on H hosts can cost. One
// actor per host takes jobs from a shared queue and runs one execute per job, nothing else (no network, no file
// server, no policy). Its wall and CPU time, set beside spritesim's for the same N and H, give the ratios of
// issue 13. Not a test: see bench/README.md.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

namespace sg4 = simgrid::s4u;

namespace {

const char* const USAGE =
    "usage: bare_reference --jobs N --hosts H [--seed S] [--cpu-mean SECONDS]\n"
    "  simulate N jobs on H single-core hosts of 1 Gflop/s: one actor per host pulls jobs from one queue and\n"
    "  runs each as a single execute (lognormal CPU, mean SECONDS, default 5, cv 0.5). Prints the jobs done and\n"
    "  the simulated makespan. bench/bench_sim.py times it beside spritesim.\n";

constexpr double HOST_SPEED = 1e9; // flop/s; the job costs are in seconds of this host

// The queue the host actors share. Actors run one at a time inside the engine, so no lock is needed.
struct JobQueue {
  std::deque<double> flops;
  int64_t done = 0;
};

void worker(JobQueue* queue)
{
  while (!queue->flops.empty()) {
    double f = queue->flops.front();
    queue->flops.pop_front();
    sg4::this_actor::execute(f);
    ++queue->done;
  }
}

int64_t parse_count(const char* text, const char* what, int64_t max)
{
  char* end = nullptr;
  long long v = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || v < 1 || v > max) {
    std::fprintf(stderr, "bare_reference: %s expects an integer in [1, %lld], got \"%s\"\n", what,
                 static_cast<long long>(max), text);
    std::exit(2);
  }
  return v;
}

} // namespace

int main(int argc, char** argv)
{
  int64_t jobs = 0;
  int64_t hosts = 0;
  uint64_t seed = 1;
  double cpu_mean = 5.0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(USAGE, stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bare_reference: %s needs a value\n%s", a.c_str(), USAGE);
      return 2;
    }
    const char* v = argv[++i];
    if (a == "--jobs")
      jobs = parse_count(v, "--jobs", 100'000'000);
    else if (a == "--hosts")
      hosts = parse_count(v, "--hosts", 100'000);
    else if (a == "--seed")
      seed = static_cast<uint64_t>(parse_count(v, "--seed", INT64_MAX));
    else if (a == "--cpu-mean")
      cpu_mean = std::atof(v) > 0 ? std::atof(v) : 5.0;
    else {
      std::fprintf(stderr, "bare_reference: unknown argument \"%s\"\n%s", a.c_str(), USAGE);
      return 2;
    }
  }
  if (jobs == 0 || hosts == 0) {
    std::fputs(USAGE, stderr);
    return 2;
  }

  // SimGrid consumes its own --cfg/--log options; give it only the program name.
  int sg_argc = 1;
  sg4::Engine engine(&sg_argc, argv);
  auto* zone = sg4::create_star_zone("bare");
  std::vector<sg4::Host*> machines;
  machines.reserve(static_cast<size_t>(hosts));
  for (int64_t h = 0; h < hosts; ++h) {
    char name[32];
    std::snprintf(name, sizeof name, "h%lld", static_cast<long long>(h));
    machines.push_back(zone->create_host(name, HOST_SPEED));
  }
  zone->seal();

  // Lognormal job sizes with the synthetic build's mean and spread, so makespans are of the same shape.
  JobQueue queue;
  std::mt19937_64 rng(seed);
  double cv = 0.5;
  double sigma2 = std::log(1 + cv * cv);
  std::lognormal_distribution<double> size(std::log(cpu_mean) - sigma2 / 2, std::sqrt(sigma2));
  for (int64_t j = 0; j < jobs; ++j)
    queue.flops.push_back(size(rng) * HOST_SPEED);

  for (auto* m : machines)
    sg4::Actor::create("worker-" + m->get_name(), m, worker, &queue);
  engine.run();
  std::printf("bare_reference: %lld jobs on %lld hosts, makespan %.3f s (simulated)\n",
              static_cast<long long>(queue.done), static_cast<long long>(hosts), sg4::Engine::get_clock());
  return queue.done == jobs ? 0 : 1;
}
