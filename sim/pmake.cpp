// The pmake driver, the command (job) actors it starts, and the write-back daemons (see pmake.hpp).
#include "sim/pmake.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>

#include "sim/remote_exec.hpp"

namespace spritesim {

namespace {

constexpr int64_t LOOKUPS_PER_BATCH = 64; // lookups simulated as one activity; bounds the event count

struct Completion {
  size_t job = 0;
  int host = 0;
};

struct JobContext {
  Cluster* cluster = nullptr;
  const BuildTrace* trace = nullptr;
  const BuildDag* dag = nullptr;
  PmakeResult* out = nullptr;
  sg4::Mailbox* done = nullptr;
  double ref_mips = 0;
};

// One command, from its start on `host` to its exit being sent home.
void run_job(const JobContext& ctx, size_t index, int home, int host)
{
  Cluster& cl = *ctx.cluster;
  const CostModel& c = cl.costs();
  const TraceJob& job = ctx.trace->jobs[index];
  const int server = cl.file_server();
  const bool remote = host != home;
  if (remote) {
    ExecRequest req{job.id, home, host, ctx.trace->tool.exec_arg_bytes, ctx.trace->tool.script_bytes,
                    job.files_opened};
    ctx.out->migrations.push_back(remote_exec(cl, req));
  } else {
    local_exec_start(cl, host);
  }
  // Inputs: a dependency's output is in this host's cache if it was made here; otherwise the server first recalls
  // it from its producer's cache if still dirty (sequential write-sharing), then this host reads it (TH90 5.4.2).
  if (job.reads_dep_outputs) {
    for (size_t d : ctx.dag->deps(index)) {
      auto it = cl.files().find(ctx.trace->jobs[d].id);
      if (it == cl.files().end() || it->second.bytes <= 0 || it->second.host == host)
        continue;
      if (it->second.dirty) {
        cl.rpc(server, it->second.host, c.small_rpc()); // the server's call-back to the producer
        cl.write_back(it->first);
      }
      cl.rpc(host, server, c.fs_blocks(c.blocks_for(it->second.bytes)));
    }
  }
  cl.rpc(host, server, c.fs_blocks(c.blocks_for(job.bytes_read)));
  // The work itself, interleaved with its name lookups and (when remote) the calls forwarded home.
  int64_t batches = std::max<int64_t>(1, (job.lookups + LOOKUPS_PER_BATCH - 1) / LOOKUPS_PER_BATCH);
  int64_t forwarded = remote ? job.forwarded_calls : 0;
  for (int64_t b = 0; b < batches; ++b) {
    cl.cpu_work(host, job.cpu_s / static_cast<double>(batches), ctx.ref_mips);
    int64_t n = job.lookups * (b + 1) / batches - job.lookups * b / batches;
    if (n > 0)
      cl.rpc(host, server, c.lookup() * static_cast<double>(n));
    int64_t f = forwarded * (b + 1) / batches - forwarded * b / batches;
    if (f > 0)
      cl.rpc(host, home, c.small_rpc() * static_cast<double>(f));
  }
  if (job.bytes_written > 0)
    cl.files()[job.id] = CachedFile{host, job.bytes_written, true, sg4::Engine::get_clock()};
  exec_finish(cl, home, host);
  ctx.done->put(new Completion{index, host}, 0);
}

class Pmake {
public:
  Pmake(Cluster& cl, GlobalMigd& migd, const BuildTrace& trace, const WorkloadSpec& spec, int home, int client,
        PmakeResult& out)
      : cl_(cl), migd_(migd), trace_(trace), spec_(spec), home_(home), client_(client), out_(out),
        dag_(trace, "trace")
  {
  }

  void operator()()
  {
    const CostModel& c = cl_.costs();
    double ref_mips = load_ref_mips();
    out_.start_s = sg4::Engine::get_clock();
    // Start-up: read makefiles and stat every source, header and object (TH90 7.4.2: 19 s for the kernel).
    cl_.cpu_work(home_, trace_.tool.scan_cpu_s, ref_mips);
    for (int64_t done = 0; done < trace_.tool.scan_lookups; done += LOOKUPS_PER_BATCH)
      cl_.rpc(home_, cl_.file_server(),
              c.lookup() * static_cast<double>(std::min(LOOKUPS_PER_BATCH, trace_.tool.scan_lookups - done)));
    out_.scan_end_s = sg4::Engine::get_clock();

    JobContext ctx{&cl_, &trace_, &dag_, &out_, sg4::Mailbox::by_name("pmake-" + std::to_string(client_)), ref_mips};
    out_.jobs.resize(trace_.jobs.size());
    std::vector<size_t> waiting(trace_.jobs.size());
    std::deque<size_t> ready;
    for (size_t i : dag_.topological_order()) {
      waiting[i] = dag_.deps(i).size();
      if (waiting[i] == 0)
        ready.push_back(i);
    }
    std::vector<int> free_hosts; // held remote hosts with nothing running, most recently freed last
    size_t held = 0, running = 0, local_running = 0, finished = 0;
    bool connected = false;
    while (finished < trace_.jobs.size()) {
      while (!ready.empty() && running < static_cast<size_t>(spec_.max_jobs)) {
        int target = -1;
        if (spec_.migrate && !free_hosts.empty()) {
          cl_.cpu(home_, c.mig_confirm_s()); // Mig_ConfirmIdle before reusing a held host
          target = free_hosts.back();
          free_hosts.pop_back();
        } else if (spec_.migrate && held < static_cast<size_t>(spec_.max_jobs) && !migd_exhausted_) {
          if (!connected) {
            cl_.cpu(home_, c.mig_connect_s());
            connected = true;
          }
          cl_.cpu(home_, c.mig_obtain_s());
          auto got = migd_.request(client_, home_, 1);
          if (got.empty()) {
            migd_exhausted_ = true; // none idle: from now on pmake reuses what it holds or runs locally
          } else {
            target = got.front();
            ++held;
          }
        }
        if (target < 0) {
          if (local_running >= static_cast<size_t>(spec_.max_local))
            break;
          target = home_;
          ++local_running;
        }
        size_t j = ready.front();
        ready.pop_front();
        // pmake's own work per job: examine the target, write the command script, fork (TH90 7.4.2).
        cl_.cpu_work(home_, trace_.tool.job_cpu_s, ref_mips);
        JobRecord& rec = out_.jobs[j];
        rec.start_s = sg4::Engine::get_clock();
        ++running;
        sg4::Actor::create(trace_.jobs[j].id, cl_.host(target), [ctx, j, h = home_, target] {
          run_job(ctx, j, h, target);
        });
      }
      auto done = ctx.done->get_unique<Completion>();
      const TraceJob& tj = trace_.jobs[done->job];
      JobRecord& rec = out_.jobs[done->job];
      rec.id = tj.id;
      rec.kind = tj.kind;
      rec.home_host = cl_.name(home_);
      rec.exec_host = cl_.name(done->host);
      rec.end_s = sg4::Engine::get_clock();
      rec.cpu_s = CostModel::scale_cpu(tj.cpu_s, ref_mips, cl_.host(done->host)->get_speed() / 1e6);
      rec.remote = done->host != home_;
      rec.lookups = tj.lookups;
      --running;
      ++finished;
      if (done->host == home_)
        --local_running;
      else
        free_hosts.push_back(done->host);
      for (size_t d : dag_.dependents(done->job))
        if (--waiting[d] == 0) {
          out_.jobs[d].ready_s = sg4::Engine::get_clock();
          ready.push_back(d);
        }
    }
    if (connected) {
      cl_.cpu(home_, c.mig_close_s()); // closing the connection returns every held host
      migd_.release_all(client_);
    }
    out_.end_s = sg4::Engine::get_clock();
  }

private:
  double load_ref_mips() const;
  Cluster& cl_;
  GlobalMigd& migd_;
  const BuildTrace& trace_;
  const WorkloadSpec& spec_;
  int home_;
  int client_;
  PmakeResult& out_;
  BuildDag dag_;
  bool migd_exhausted_ = false;
};

double Pmake::load_ref_mips() const { return load_profile(trace_.reference_profile, "workstation").get("cpu_mips"); }

} // namespace

void start_pmake(Cluster& cluster, GlobalMigd& migd, const BuildTrace& trace, const WorkloadSpec& spec, int home,
                 int client, PmakeResult& out)
{
  auto driver = std::make_shared<Pmake>(cluster, migd, trace, spec, home, client, out);
  sg4::Actor::create("pmake", cluster.host(home), [driver] { (*driver)(); });
}

void start_writeback_daemons(Cluster& cluster)
{
  for (int h = 0; h < cluster.workstations(); ++h) {
    // Daemons are staggered over the period: Sprite hosts' sync daemons were not synchronised.
    double phase = WRITEBACK_DELAY_S * h / std::max(1, cluster.workstations());
    sg4::Actor::create("writeback-" + cluster.name(h), cluster.host(h), [&cluster, h, phase] {
      sg4::this_actor::sleep_for(phase);
      while (true) {
        sg4::this_actor::sleep_for(WRITEBACK_DELAY_S);
        double now = sg4::Engine::get_clock();
        std::vector<std::string> due;
        for (const auto& [name, f] : cluster.files())
          if (f.host == h && f.dirty && now - f.written_s >= WRITEBACK_DELAY_S)
            due.push_back(name);
        for (const auto& name : due)
          cluster.write_back(name);
      }
    })->daemonize();
  }
}

} // namespace spritesim
