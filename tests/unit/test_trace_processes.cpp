// Unit tests for the background-process generator: the Pareto tail matches Pr[L > T | L >= 1] = 1/T
// (HBD97), arrivals are a Poisson process of the configured rate, outputs are reproducible from the seed,
// and the JSON form is strict.
#include <doctest/doctest.h>

#include "tests/unit/test_support.hpp"

#include <cmath>

#include "core/json_reader.hpp"
#include "workloads/process_workload.hpp"

using namespace spritesim;
using spritesim::test::contains;
using spritesim::test::input_error_of;

TEST_CASE("background lifetimes have the 1/T tail")
{
  ProcessWorkload w;
  w.arrivals_per_host_hour = 600;
  w.max_cpu_s = 1e9; // no truncation inside the range tested
  auto procs = generate_processes(w, 7, 20, 3600 * 10); // about 120,000 processes
  REQUIRE(procs.size() > 100000);
  size_t below_min = 0;
  for (const auto& p : procs)
    below_min += p.cpu_s < 1.0 ? 1 : 0;
  CHECK(below_min == 0);
  for (double t : {2.0, 4.0, 10.0, 30.0, 100.0}) {
    double above = 0;
    for (const auto& p : procs)
      above += p.cpu_s > t ? 1 : 0;
    double empirical = above / static_cast<double>(procs.size());
    // Binomial standard error at n = 120,000 is at most 0.0015; allow four of them.
    CHECK(std::abs(empirical - 1.0 / t) < 0.006);
  }
}

TEST_CASE("lifetimes are capped at max_cpu_s and the inverse CDF is exact")
{
  ProcessWorkload w;
  w.max_cpu_s = 100;
  CHECK(pareto_lifetime(w, 0.5) == doctest::Approx(2.0));
  CHECK(pareto_lifetime(w, 0.01) == doctest::Approx(100.0));
  CHECK(pareto_lifetime(w, 0.001) == 100.0);
  w.pareto_alpha = 2;
  CHECK(pareto_lifetime(w, 0.25) == doctest::Approx(2.0));
}

TEST_CASE("arrivals are Poisson at the configured rate, sorted, and the counts have the Table 8.3 means")
{
  ProcessWorkload w;
  w.arrivals_per_host_hour = 30;
  int hosts = 15;
  double hours = 200;
  auto procs = generate_processes(w, 3, hosts, 3600 * hours);
  double expected = w.arrivals_per_host_hour * hosts * hours; // 90,000
  CHECK(std::abs(static_cast<double>(procs.size()) - expected) < 4 * std::sqrt(expected));
  double pages = 0, blocks = 0, files = 0;
  size_t misplaced = 0; // wrong id, out of order, bad home or late arrival
  for (size_t i = 0; i < procs.size(); ++i) {
    bool ok = procs[i].id == static_cast<int64_t>(i) && (i == 0 || procs[i - 1].arrival_s <= procs[i].arrival_s) &&
              procs[i].home >= 0 && procs[i].home < hosts && procs[i].arrival_s < 3600 * hours;
    misplaced += ok ? 0 : 1;
    pages += static_cast<double>(procs[i].dirty_pages);
    blocks += static_cast<double>(procs[i].dirty_blocks);
    files += static_cast<double>(procs[i].open_files);
  }
  CHECK(misplaced == 0);
  auto n = static_cast<double>(procs.size());
  CHECK(pages / n == doctest::Approx(36.62).epsilon(0.01));
  CHECK(blocks / n == doctest::Approx(0.95).epsilon(0.02));
  CHECK(files / n == doctest::Approx(4.53).epsilon(0.01));
}

TEST_CASE("the same seed gives the same processes; another seed does not; hosts keep their streams")
{
  ProcessWorkload w;
  w.arrivals_per_host_hour = 20;
  auto a = generate_processes(w, 11, 4, 7200);
  auto b = generate_processes(w, 11, 4, 7200);
  auto c = generate_processes(w, 12, 4, 7200);
  REQUIRE(!a.empty());
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].arrival_s == b[i].arrival_s);
    CHECK(a[i].cpu_s == b[i].cpu_s);
    CHECK(a[i].dirty_pages == b[i].dirty_pages);
    CHECK(a[i].name == b[i].name);
  }
  CHECK((c.size() != a.size() || c[0].arrival_s != a[0].arrival_s));
  // Home 0's processes are the same whether there are 4 hosts or 8.
  auto wider = generate_processes(w, 11, 8, 7200);
  std::vector<double> home0_a, home0_wide;
  for (const auto& p : a)
    if (p.home == 0)
      home0_a.push_back(p.cpu_s);
  for (const auto& p : wider)
    if (p.home == 0)
      home0_wide.push_back(p.cpu_s);
  CHECK(home0_a == home0_wide);
}

TEST_CASE("process workload JSON is strict and round-trips")
{
  ProcessWorkload w;
  w.arrivals_per_host_hour = 12.5;
  w.pareto_alpha = 1.2;
  ProcessWorkload back = parse_process_workload(to_json(w), "c.json", "$.background");
  CHECK(back.arrivals_per_host_hour == 12.5);
  CHECK(back.pareto_alpha == 1.2);
  CHECK(back.dirty_pages_mean == 36.62);

  auto err = input_error_of([] {
    parse_process_workload(nlohmann::json{{"pareto_alfa", 1}}, "c.json", "$.background");
  });
  CHECK(contains(err, "c.json"));
  CHECK(contains(err, "pareto_alfa"));
  err = input_error_of([] {
    parse_process_workload(nlohmann::json{{"min_cpu_s", 10}, {"max_cpu_s", 5}}, "c.json", "$.background");
  });
  CHECK(contains(err, "$.background.max_cpu_s"));
  err = input_error_of([] { parse_process_workload(nlohmann::json{{"min_cpu_s", "1"}}, "c.json", "$.bg"); });
  CHECK(contains(err, "$.bg.min_cpu_s"));
}
