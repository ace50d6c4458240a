// Platform construction and the blocking primitives (see cluster.hpp).
#include "sim/cluster.hpp"

#include <algorithm>
#include <cmath>

#include <malloc.h>

#include <fmt/format.h>

namespace spritesim {

std::unique_ptr<sg4::Engine> create_engine()
{
  // Actor stacks of 1 MiB (SimGrid's default is 8 MiB), from the heap: malloc's mmap threshold at 2 MiB. Each 8-MiB
  // stack was an mmap of its own with page tables of its own, and a run on 1,000 hosts (about 2,000 actors: a daemon
  // per host, the workers) spent a third of its time in mmap, page faults and munmap (bench/README.md, "Issue 13").
  // Our deepest call path is far below 1 MiB; an overflow hits SimGrid's guard page, a crash and not a silent error.
  mallopt(M_MMAP_THRESHOLD, 2 << 20);
  static std::vector<std::string> args = {"spritesim", "--cfg=network/model:CM02", "--cfg=network/crosstraffic:0",
                                          "--cfg=contexts/stack-size:1024", "--log=root.thres:critical"};
  static std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  return std::make_unique<sg4::Engine>(&argc, argv.data());
}

Cluster::Cluster(const ExperimentSpec& spec, PlatformCosts costs)
    : costs_(std::move(costs)), groups_(host_groups(spec.platform))
{
  const std::vector<FileServerSpec> servers = file_servers(spec.platform);
  // One star zone: every host reaches the others through the one shared Ethernet link, which a route crosses once.
  auto* zone = sg4::create_star_zone("lan");
  const Network& net = costs_.at(0, 0).network();
  ethernet_ = zone->create_link("ethernet", net.bytes_per_s);
  ethernet_->set_latency(net.latency_s);
  ethernet_->set_sharing_policy(sg4::Link::SharingPolicy::SHARED);
  // Workstations on one physical machine (platform.machine, one group only): consecutive groups, their CPU work on
  // the group's first host, which has the machine's cores (the file servers are machines of their own).
  const int64_t per_machine = spec.platform.hosts_per_machine;
  std::vector<int> server_index;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const HardwareProfile& profile = costs_.at(static_cast<int>(g), 0).workstation();
    double ws_speed = profile.get("cpu_mips") * 1e6;
    auto ws_cores = static_cast<int>(profile.get("cores"));
    const int machine_cores =
        spec.platform.machine_cores > 0 ? static_cast<int>(spec.platform.machine_cores) : ws_cores;
    const int server = file_server_index(servers, groups_[g].file_server);
    for (int64_t k = 0; k < groups_[g].hosts; ++k) {
      auto i = static_cast<int64_t>(hosts_.size());
      hosts_.push_back(zone->create_host(fmt::format("ws{:02d}", i), ws_speed)
                           ->set_core_count(i % per_machine ? ws_cores : machine_cores));
      cpu_of_.push_back(static_cast<int>(i - i % per_machine));
      group_of_.push_back(static_cast<int>(g));
      server_index.push_back(server);
    }
  }
  workstations_ = static_cast<int>(hosts_.size());
  for (int s : server_index)
    server_of_.push_back(workstations_ + s);
  for (size_t s = 0; s < servers.size(); ++s) {
    const HardwareProfile& profile = costs_.at(0, static_cast<int>(s)).file_server();
    server_of_.push_back(static_cast<int>(hosts_.size()));
    cpu_of_.push_back(static_cast<int>(hosts_.size()));
    hosts_.push_back(zone->create_host(servers[s].name, profile.get("cpu_mips") * 1e6)
                         ->set_core_count(static_cast<int>(profile.get("cores"))));
  }
  for (auto* h : hosts_)
    zone->add_route(h->get_netpoint(), nullptr, nullptr, nullptr, {sg4::LinkInRoute(ethernet_)}, true);
  zone->seal();
  sharing_ = make_sharing(spec.platform.sharing, hosts_, cpu_of_, ethernet_);
  busy_s_.assign(hosts_.size(), 0.0);
  busy_log_ = BusyLog(hosts_.size());
  for (size_t i = 0; i < hosts_.size(); ++i)
    outgoing_.push_back(sg4::Mutex::create());
  dirty_.resize(hosts_.size());
  writeback_pending_.assign(hosts_.size(), 0);
  writeback_wakeup_ = sg4::ConditionVariable::create();
}

const CostModel& Cluster::costs(int host, int server) const
{
  return costs_.at(std::max(0, group_of(host)), server - workstations_);
}

const std::string& Cluster::group_name(int host) const
{
  static const std::string none;
  return is_file_server(host) ? none : groups_[static_cast<size_t>(group_of(host))].name;
}

const std::string& Cluster::architecture(int host) const
{
  static const std::string none;
  return is_file_server(host) ? none : groups_[static_cast<size_t>(group_of(host))].architecture;
}

void Cluster::run(const Steps& steps)
{
  for (const Step& s : steps.list()) {
    if (s.wire)
      wire_bytes_ += s.amount;
    else {
      busy_s_[static_cast<size_t>(s.host)] += s.amount;
      double now = sg4::Engine::get_clock(); // the steps are short: counted in the interval they start in
      busy_log_.add(s.host, BusyKind::SYSTEM, s.amount, now, now);
    }
  }
  sharing_->run(steps.list());
}

void Cluster::add_busy(int host, double seconds, BusyKind kind, double from_s)
{
  busy_s_[static_cast<size_t>(host)] += seconds;
  busy_log_.add(host, kind, seconds, from_s, sg4::Engine::get_clock());
}

void Cluster::cpu(int h, double seconds) { run(Steps().cpu(h, seconds)); }

void Cluster::cpu_work(int h, double ref_seconds, double ref_mips)
{
  cpu(h, CostModel::scale_cpu(ref_seconds, ref_mips, hosts_[static_cast<size_t>(h)]->get_speed() / 1e6));
}

void Cluster::rpc(int caller, int callee, const RpcCost& c) { run(Steps().rpc(caller, callee, c)); }

std::unique_ptr<Burst> Cluster::start_burst(int host, double flops, double bound)
{
  return sharing_->start(host, flops, bound);
}

void Cluster::write_back(FileId file, const std::string& name)
{
  auto it = files_.find(file);
  if (it == files_.end() || !it->second.dirty)
    return;
  it->second.dirty = false; // mark first: a concurrent reader must not start a second write-back
  const int host = it->second.host, server = it->second.server;
  const int64_t bytes = it->second.bytes;
  dirty_[static_cast<size_t>(host)].erase(name);
  if (it->second.readers <= 0)
    files_.erase(it); // before the write: the file may be written anew meanwhile
  const CostModel& c = costs(host, server);
  rpc(host, server, c.fs_blocks(c.blocks_for(bytes)));
}

void Cluster::cache_read_done(std::map<FileId, CachedFile>::iterator it)
{
  if (--it->second.readers <= 0 && !it->second.dirty)
    files_.erase(it);
}

void Cluster::cache_write(FileId file, const std::string& name, int host, int server, int64_t bytes,
                          int64_t readers)
{
  auto it = files_.find(file);
  if (it != files_.end() && it->second.dirty)
    dirty_[static_cast<size_t>(it->second.host)].erase(name);
  files_[file] = CachedFile{host, server, bytes, true, sg4::Engine::get_clock(), readers};
  dirty_[static_cast<size_t>(host)].emplace(name, file);
  if (!writeback_pending_[static_cast<size_t>(host)])
    schedule_writeback(host);
}

// Sprite's delayed write (CACHE88): every 30 s, blocks unmodified for 30 s are written back. Each host scans on a
// 30-s grid of its own, staggered over the period (Sprite hosts' sync daemons were not synchronised), while it has
// dirty files: a scan is scheduled with a host's first dirty file, and again after a scan that left some. One actor
// keeps the scans' times and starts each scan as a task (it writes back, which takes time, as the host's own
// daemon did); a host that never writes costs nothing, and a thousand hosts one actor.
void Cluster::schedule_writeback(int h)
{
  writeback_pending_[static_cast<size_t>(h)] = 1;
  const double phase = WRITEBACK_DELAY_S * h / std::max(1, workstations());
  const double now = sg4::Engine::get_clock();
  // The next scan on this host's grid, strictly later than now (whatever the rounding).
  auto k = static_cast<int64_t>(std::floor((now - phase) / WRITEBACK_DELAY_S)) + 1;
  while (phase + static_cast<double>(k) * WRITEBACK_DELAY_S <= now + 1e-9)
    ++k;
  writeback_due_.emplace(phase + static_cast<double>(k) * WRITEBACK_DELAY_S, h);
  writeback_wakeup_->notify_all();
  if (writeback_started_)
    return;
  writeback_started_ = true;
  sg4::Actor::create("writeback", host(file_server()), [this] {
    auto lock = sg4::Mutex::create();
    std::unique_lock lk(*lock);
    while (true) {
      if (writeback_due_.empty()) {
        writeback_wakeup_->wait(lk);
        continue;
      }
      auto [at, h] = *writeback_due_.begin();
      if (at > sg4::Engine::get_clock()) {
        writeback_wakeup_->wait_until(lk, at);
        continue;
      }
      writeback_due_.erase(writeback_due_.begin());
      actors_.start("writeback-" + name(h), host(h), [this, h = h] { writeback_scan(h); });
    }
  })->daemonize();
}

void Cluster::writeback_scan(int h)
{
  const double now = sg4::Engine::get_clock();
  std::vector<std::pair<FileId, std::string>> due;
  for (const auto& [name, f] : dirty_files(h))
    if (now - files_.at(f).written_s >= WRITEBACK_DELAY_S)
      due.emplace_back(f, name);
  for (const auto& [f, name] : due)
    write_back(f, name);
  writeback_pending_[static_cast<size_t>(h)] = 0;
  if (!dirty_files(h).empty())
    schedule_writeback(h);
}

} // namespace spritesim
