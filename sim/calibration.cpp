// The calibration micro-benchmarks (see calibration.hpp). Each runs through the same code paths as a simulated
// workload (migd and its policy, remote_exec, SimProcess moves, the host daemons' eviction path).
#include "sim/calibration.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "sim/host_daemon.hpp"
#include "sim/migration.hpp"
#include "sim/remote_exec.hpp"

namespace spritesim {

namespace {

constexpr double MB = 1024.0 * 1024.0;
constexpr double GAP_S = 10; // idle time between benchmarks, so nothing overlaps
constexpr int64_t CALIBRATION_WORKSTATIONS = 10;

struct Published {
  double ms;
  const char* source;
};

// Published figures per profile and benchmark id, each with its source (sigla: docs/references.md).
const std::map<std::string, std::map<std::string, Published>>& published()
{
  static const std::map<std::string, std::map<std::string, Published>> table = {
      {"ss1",
       {{"select", {36, "SPE91 Table 1 / TH90 Table 7.1"}},
        {"null", {76, "SPE91 Table 1"}},
        {"file", {9.4, "SPE91 Table 1"}},
        {"blocks", {MB / (480 * 1024) * 1000, "SPE91 Table 1: 480 KB/s"}},
        {"pages", {MB / (660 * 1024) * 1000, "SPE91 Table 1: 660 KB/s"}},
        {"args", {MB / (480 * 1024) * 1000, "SPE91 Table 1: 480 KB/s"}},
        {"local", {46, "SPE91 Table 1"}},
        {"remote", {81, "SPE91 Table 1"}},
        {"evict1", {2980, "field figure, not a micro-benchmark: TH90 Table 8.3, 2.98 s per eviction migration, "
                          "RPC tracing on, busy servers"}},
        {"evicthost", {3440, "field figure: TH90 8.3, 3.44 s to free a host of 3.26 processes on average, RPC "
                             "tracing on; SPE91 p.23 gives 3.0 s"}}}},
      {"ds3100",
       {{"remote", {45, "TR89 abstract: 40-50 ms to perform a remote exec; the midpoint is shown"}}}},
      {"sun3-75",
       {{"select", {160, "EXP89 4.1: select and release via the shared file"}},
        {"null", {110, "EXP89 abstract, 4.2: 110 ms minimum, small process, no open files"}},
        {"file", {14, "EXP89 4.2 / COMP88 Table 2"}},
        {"local", {86, "EXP89 4.1: fork + local exec + wait"}},
        {"remote", {188, "EXP89 4.1: fork + remote exec + wait"}}}},
  };
  return table;
}

class Bench {
public:
  Bench(Cluster& cl, GlobalMigd& migd, std::vector<CalibrationRow>& rows, std::string profile)
      : cl_(cl), migd_(migd), rows_(rows), profile_(std::move(profile))
  {
  }

  void operator()()
  {
    const CostModel& c = cl_.costs(0);
    auto pages_per_mb = static_cast<int64_t>(MB / c.workstation().get("page_bytes"));
    auto blocks_per_mb = static_cast<int64_t>(MB / c.workstation().get("fs_block_bytes"));

    double select = timed([&] {
      cl_.cpu(0, c.mig_connect_s());
      cl_.cpu(0, c.mig_obtain_s());
      migd_.request(0, 0, 1);
      cl_.cpu(0, c.mig_close_s());
      migd_.release_all(0);
    });
    add("select", "select and release an idle host (migd: connect, obtain, close)", select,
        "client-side elapsed time of the three migd calls");
    double local = timed([&] {
      local_exec_start(cl_, 0);
      exec_finish(cl_, 0, 0);
    });
    double remote = timed([&] {
      remote_exec(cl_, {"bench", 0, 1, 0, 0, 0});
      exec_finish(cl_, 0, 1);
    });
    add("remote", "remote exec: fork, exec a null process with migration, wait", remote,
        "fork at home, exec-time migration (handshake, state RPC, no open files, no arguments), exec and exit on "
        "the target, wait at home; no host selection");
    add("local", "local exec: fork, exec a null process locally, wait", local, "fork, exec, exit and wait on one host");
    double args = timed([&] {
      remote_exec(cl_, {"bench", 0, 1, static_cast<int64_t>(MB), 0, 0});
      exec_finish(cl_, 0, 1);
    }) - remote;
    add("args", "transfer exec arguments (per MB)", args, "remote exec with 1 MB of arguments minus without");
    double null = migrate({0, 0, 0});
    add("null", "migrate a null process", null, "full migration with no dirty pages, blocks or open files");
    add("file", "transfer open-file state (per file)", (migrate({0, 0, 10}) - null) / 10,
        "(migration with 10 open files - null migration) / 10: 3 RPCs and encapsulation each");
    add("pages", "flush dirty VM pages (per MB)", migrate({pages_per_mb, 0, 0}) - null,
        "migration with 1 MB of dirty pages minus a null migration");
    add("blocks", "flush dirty file blocks (per MB)", migrate({0, blocks_per_mb, 0}) - null,
        "migration with 1 MB of dirty file blocks minus a null migration");
    double fwd = timed([&] { cl_.rpc(1, 0, c.forwarded_call()); });
    add("forward", "forwarded gettimeofday (one call home)", fwd,
        "trap plus a small RPC home; AMSP measured 2 ms forwarded vs 0.21 ms local on a Sun 3/60 (AMSP 3.4)");
    add("syscall", "local kernel call", c.syscall_s(), "OSB90 Table 2 getpid");
    ProcessFootprint typical{TYPICAL_DIRTY_PAGES, TYPICAL_DIRTY_BLOCKS, 4};
    double one = migrate(typical);
    add("evict1", "evict one typical process (37 dirty pages, 1 dirty block, 4 open files)", one,
        "full migration home of a process with TH90 Table 8.3's mean state");
    double host = evict_host(2, 4, 3, typical);
    add("evicthost", "evict a host of 3 typical processes (owner input to host free)", host,
        fmt::format("console input on a host running 3 foreign processes, through the policy, until the last has "
                    "left; 3 x the one-process figure is {:.1f} ms",
                    3 * one * 1000));
    migd_.set_demand_paging(true);
    double paged = evict_host(3, 7, 3, typical);
    add("evicthost-paging", "evict a host of 3 typical processes, page-ins at home overlapping", paged,
        "as above, with the evicted processes demand-paging at home while the next ones leave");
  }

private:
  template <class F> double timed(F&& f)
  {
    sg4::this_actor::sleep_for(GAP_S);
    double t0 = sg4::Engine::get_clock();
    f();
    return sg4::Engine::get_clock() - t0;
  }

  // A full migration from ws01 to ws00 of a process with this state (the process is not computing).
  double migrate(const ProcessFootprint& fp)
  {
    SimProcess& p = migd_.create_process("bench", -1, 0, fp);
    double s = timed([&] { migrate_process(cl_, p, 1, 0, MigrationKind::TO_HOME); });
    p.finish();
    return s;
  }

  // `n` processes computing on `host`, each from its own home (first_home, first_home + 1, ...) so that nothing
  // else loads the hosts they go back to; then the owner of `host` touches the console.
  double evict_host(int host, int first_home, int n, const ProcessFootprint& fp)
  {
    sg4::this_actor::sleep_for(GAP_S);
    for (int i = 0; i < n; ++i) {
      SimProcess& p = migd_.create_process(fmt::format("bench{}", i), -1, first_home + i, fp);
      sg4::Actor::create(p.name(), cl_.host(host), [&p, host] {
        p.start_on(host);
        p.compute(1e6, 1);
      })->daemonize();
    }
    sg4::this_actor::sleep_for(GAP_S);
    size_t before = migd_.evictions().size();
    // The owner sits down for an hour: the host's daemon sees the console input at once.
    double now = sg4::Engine::get_clock();
    migd_.host(host).owner.push_back({now, now + 3600, 0});
    migd_.host_changed(host);
    while (migd_.evictions().size() == before)
      sg4::this_actor::sleep_for(0.001);
    return migd_.evictions().back().duration_s;
  }

  void add(const std::string& id, const std::string& name, double seconds, const std::string& includes)
  {
    CalibrationRow r{name, seconds * 1000, -1, includes};
    const auto& table = published();
    if (auto p = table.find(profile_); p != table.end())
      if (auto b = p->second.find(id); b != p->second.end()) {
        r.published_ms = b->second.ms;
        r.source = std::string(b->second.source) + "; simulated: " + includes;
      }
    rows_.push_back(r);
  }

  Cluster& cl_;
  GlobalMigd& migd_;
  std::vector<CalibrationRow>& rows_;
  std::string profile_;
};

} // namespace

std::vector<CalibrationRow> run_calibration(const ExperimentSpec& spec, SimInputs inputs)
{
  auto engine = create_engine();
  ExperimentSpec sized = spec;
  sized.platform.workstations = std::max<int64_t>(spec.platform.workstations, CALIBRATION_WORKSTATIONS);
  Cluster cluster(sized, std::move(inputs.costs));
  MigdOptions opt{inputs.idle_rule, false, false};
  GlobalMigd migd(cluster, std::move(inputs.policy), opt);
  start_host_daemons(cluster, migd);
  std::vector<CalibrationRow> rows;
  std::string profile = spec.platform.profile;
  sg4::Actor::create("calibrate", cluster.host(0), Bench(cluster, migd, rows, profile));
  engine->run();
  return rows;
}

} // namespace spritesim
