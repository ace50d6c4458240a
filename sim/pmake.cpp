// The pmake driver, the command (job) actors it starts, and the write-back daemons (see pmake.hpp).
#include "sim/pmake.hpp"

#include <algorithm>
#include <deque>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "sim/remote_exec.hpp"

namespace spritesim {

namespace {

constexpr int64_t LOOKUPS_PER_BATCH = 64; // lookups simulated as one activity; bounds the event count

struct Completion {
  size_t job = 0;
  int slot = 0;    ///< the host pmake launched it on
  int ran_on = 0;  ///< where it exited (home after an eviction)
  int restarts = 0;
  double cpu_s = 0; ///< CPU it used, as measured while it ran (the last attempt)
};

struct JobContext {
  Cluster* cluster = nullptr;
  GlobalMigd* migd = nullptr;
  const ReplayTrace* trace = nullptr;
  PmakeResult* out = nullptr;
  /// Finished commands for pmake to reap, in the order they ended, and their count (pmake waits on it).
  std::deque<Completion>* done = nullptr;
  sg4::Semaphore* reaped = nullptr;
  double ref_mips = 0;
  int client = 0;
};

// The name of the file a command's output goes to (FileId{client, index} in the caches): each build session (client)
// builds in its own directory, so sessions of one trace write files of their own.
std::string output_file(const JobContext& ctx, size_t index)
{
  return fmt::format("{}/{}", ctx.client, ctx.trace->jobs[index].id);
}

// A job's state when it migrates: its dirty memory from the trace when recorded, else TH90 Table 8.3's mean
// (37 dirty 4-KB pages); about 1 dirty block (Table 8.3); the trace's open files (TH90 8.4: stdin, stdout, stderr
// and the command script for a pmake child).
ProcessFootprint job_footprint(const ReplayJob& job, const CostModel& c)
{
  auto page = static_cast<int64_t>(c.workstation().get("page_bytes"));
  int64_t pages = job.dirty_bytes > 0 ? (job.dirty_bytes + page - 1) / page : TYPICAL_DIRTY_PAGES;
  return {pages, TYPICAL_DIRTY_BLOCKS, job.files_opened};
}

// One attempt at a command, from its start on `host` to its exit; throws ProcessRestarted when killed.
void run_attempt(const JobContext& ctx, SimProcess& proc, size_t index, int home, int host)
{
  Cluster& cl = *ctx.cluster;
  const ReplayJob& job = ctx.trace->jobs[index];
  // The job's files are on its home's file server; each step is at the profile of the host that starts it.
  const int server = cl.file_server_of(home);
  if (host != home) {
    ExecRequest req{job.id, home, host, ctx.trace->tool.exec_arg_bytes, ctx.trace->tool.script_bytes,
                    job.files_opened};
    ctx.migd->record_migration(remote_exec(cl, req));
  } else {
    local_exec_start(cl, host);
  }
  proc.start_on(host);
  proc.checkpoint();
  // Inputs: a dependency's output is in this host's cache if it was made here; otherwise the server first recalls
  // it from its producer's cache if still dirty (sequential write-sharing), then this host reads it (TH90 5.4.2).
  if (job.reads_dep_outputs) {
    for (size_t d : ctx.trace->dag.deps(index)) {
      auto it = cl.files().find(FileId{ctx.client, d});
      if (it == cl.files().end() || it->second.bytes <= 0 || it->second.host == proc.host())
        continue;
      if (it->second.dirty) {
        cl.rpc(server, it->second.host, cl.costs(it->second.host, server).small_rpc()); // call-back to the producer
        cl.write_back(it->first, output_file(ctx, d));
      }
      const CostModel& c = cl.costs(proc.host(), server);
      cl.rpc(proc.host(), server, c.fs_blocks(c.blocks_for(it->second.bytes)));
    }
  }
  proc.checkpoint();
  {
    const CostModel& c = cl.costs(proc.host(), server);
    cl.rpc(proc.host(), server, c.fs_blocks(c.blocks_for(job.bytes_read)));
  }
  // The work itself, interleaved with its name lookups and (when away from home) the calls forwarded home.
  // Each command's lookups fall at its own phase in its CPU (a fraction `phase` of a batch's CPU comes first and
  // the rest last), so identical commands started together do not wait for the server in lockstep.
  int64_t batches = std::max<int64_t>(1, (job.lookups + LOOKUPS_PER_BATCH - 1) / LOOKUPS_PER_BATCH);
  double chunk = job.cpu_s / static_cast<double>(batches);
  uint64_t h = 1469598103934665603ULL; // FNV-1a of the id: the same phase on every machine
  for (char ch : job.id)
    h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
  double phase = static_cast<double>(h % 1024) / 1024.0;
  for (int64_t b = 0; b < batches; ++b) {
    proc.compute(b == 0 ? chunk * phase : chunk, ctx.ref_mips);
    Steps calls;
    const CostModel& c = cl.costs(proc.host(), server);
    int64_t n = job.lookups * (b + 1) / batches - job.lookups * b / batches;
    if (n > 0)
      calls.rpc(proc.host(), server, c.lookup() * static_cast<double>(n));
    int64_t f = job.forwarded_calls * (b + 1) / batches - job.forwarded_calls * b / batches;
    if (f > 0 && proc.host() != home)
      calls.rpc(proc.host(), home, c.small_rpc() * static_cast<double>(f));
    cl.run(calls);
  }
  proc.compute(chunk * (1 - phase), ctx.ref_mips);
  proc.checkpoint();
  if (job.bytes_written > 0) {
    int64_t readers = 0;
    for (size_t d : ctx.trace->dag.dependents(index))
      readers += ctx.trace->jobs[d].reads_dep_outputs;
    cl.cache_write(FileId{ctx.client, index}, output_file(ctx, index), proc.host(), server, job.bytes_written,
                   readers);
  }
  exec_finish(cl, home, proc.host());
}

// One command until it has run to completion once (a restart kills the attempt and runs it again at home).
void run_job(const JobContext& ctx, size_t index, int home, int host)
{
  const ReplayJob& job = ctx.trace->jobs[index];
  SimProcess& proc =
      ctx.migd->create_process(job.id, ctx.client, home, job_footprint(job, ctx.cluster->costs(home)));
  const int slot = host;
  int restarts = 0;
  while (true) {
    try {
      run_attempt(ctx, proc, index, home, host);
      break;
    } catch (const ProcessRestarted&) {
      ++restarts;
      host = home;
    }
  }
  // Its inputs will not be read again by it (an attempt killed reads them anew): the cache forgets what no
  // command is left to read.
  if (job.reads_dep_outputs)
    for (size_t d : ctx.trace->dag.deps(index))
      if (auto it = ctx.cluster->files().find(FileId{ctx.client, d}); it != ctx.cluster->files().end())
        ctx.cluster->cache_read_done(it);
  int ran_on = proc.host();
  double cpu = proc.cpu_used_s();
  ctx.migd->exited(proc, job.cpu_s * ctx.ref_mips * 1e6);
  ctx.done->push_back(Completion{index, slot, ran_on, restarts, cpu});
  ctx.reaped->release();
}

class Pmake {
public:
  Pmake(Cluster& cl, GlobalMigd& migd, const ReplayTrace& trace, const WorkloadSpec& spec, int home, int client,
        PmakeResult& out)
      : cl_(cl), migd_(migd), trace_(trace), spec_(spec), home_(home), client_(client), out_(out)
  {
  }

  void operator()()
  {
    const CostModel& c = cl_.costs(home_);
    const int server = cl_.file_server_of(home_);
    double ref_mips = load_ref_mips();
    out_.start_s = sg4::Engine::get_clock();
    // Start-up: read makefiles and stat every source, header and object (TH90 7.4.2: 19 s for the kernel).
    cl_.cpu_work(home_, trace_.tool.scan_cpu_s, ref_mips);
    for (int64_t done = 0; done < trace_.tool.scan_lookups; done += LOOKUPS_PER_BATCH)
      cl_.rpc(home_, server,
              c.lookup() * static_cast<double>(std::min(LOOKUPS_PER_BATCH, trace_.tool.scan_lookups - done)));
    out_.scan_end_s = sg4::Engine::get_clock();

    out_.jobs.resize(trace_.jobs.size());
    JobContext ctx{&cl_, &migd_, &trace_, &out_, &completions_, reaped_.get(), ref_mips, client_};
    migd_.register_client(client_, [this](int host) { revoked(host); });
    std::vector<size_t> waiting(trace_.jobs.size());
    std::deque<size_t> ready;
    for (size_t i : trace_.dag.topological_order()) {
      waiting[i] = trace_.dag.deps(i).size();
      if (waiting[i] == 0) {
        ready.push_back(i);
        out_.jobs[i].ready_s = out_.start_s;
      }
    }
    size_t running = 0, local_running = 0, finished = 0;
    out_.hosts_wanted = spec_.migrate ? std::min<int64_t>(spec_.max_jobs, static_cast<int64_t>(trace_.jobs.size())) : 0;
    bool connected = false;
    while (finished < trace_.jobs.size()) {
      while (!ready.empty() && running < static_cast<size_t>(spec_.max_jobs)) {
        int target = -1;
        if (spec_.local_first && local_running < static_cast<size_t>(spec_.max_local)) {
          // pmake -L (SRC job.c runLocalFirst): the local slots fill before anything is exported.
          target = home_;
          ++local_running;
        } else if (spec_.migrate && !free_.empty()) {
          cl_.cpu(home_, c.mig_confirm_s()); // Mig_ConfirmIdle before reusing a held host
          target = free_.back();
          free_.pop_back();
          if (held_.count(target) && !migd_.book(target).available) {
            // Not idle any more (its owner is back, or its load is high): pmake gives it back (SRC pmake asks
            // Mig_ConfirmIdle for exactly this) and looks again.
            held_.erase(target);
            migd_.release(client_, target);
            continue;
          }
        } else if (spec_.migrate && held_.size() < static_cast<size_t>(spec_.max_jobs) &&
                   sg4::Engine::get_clock() >= retry_after_) {
          if (spec_.host_selection == "shared_file") {
            select_through_shared_file();
          } else {
            if (!connected) {
              cl_.cpu(home_, c.mig_connect_s());
              connected = true;
            }
            cl_.cpu(home_, c.mig_obtain_s());
          }
          auto got = migd_.request(client_, home_, 1);
          if (got.empty()) {
            // None idle: reuse what it holds or run locally, and ask again only after a while (request_retry_s;
            // by default the 30 s of SRC migd's MIGD_STOLE_WINDOW, during which a client is not told of new hosts).
            retry_after_ = sg4::Engine::get_clock() + spec_.request_retry_s;
          } else {
            target = got.front();
            held_.insert(target);
            out_.hosts_obtained = std::max<int64_t>(out_.hosts_obtained, static_cast<int64_t>(held_.size()));
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
        // pmake's own work per job (SRC pmake make.c, job.c): examine the target (a stat), append each of its
        // prerequisites to .ALLSRC and .OODATE, create, write and remove the command script.
        const ReplayJob& tj = trace_.jobs[j];
        cl_.cpu_work(home_, trace_.tool.job_cpu_s + trace_.tool.prereq_cpu_s * static_cast<double>(tj.prereqs),
                     ref_mips);
        if (trace_.tool.job_lookups > 0)
          cl_.rpc(home_, server, c.lookup() * static_cast<double>(trace_.tool.job_lookups));
        if (target != home_ && !held_.count(target)) {
          // migd took the host back meanwhile (its owner returned): pmake's next use of it would fail, so the job
          // runs at home if a local slot is free, or waits for the next host.
          if (local_running >= static_cast<size_t>(spec_.max_local)) {
            ready.push_front(j);
            break;
          }
          target = home_;
          ++local_running;
        }
        out_.jobs[j].start_s = sg4::Engine::get_clock();
        ++running;
        cl_.actors().start(trace_.jobs[j].id, cl_.host(target), [ctx, j, h = home_, target] {
          run_job(ctx, j, h, target);
        });
      }
      if (running == 0) {
        // Nothing runs and nothing could start: only a wait for hosts (no local slot). Ask migd again later.
        sg4::this_actor::sleep_until(retry_after_);
        continue;
      }
      reaped_->acquire();
      const Completion done = completions_.front();
      completions_.pop_front();
      const ReplayJob& tj = trace_.jobs[done.job];
      JobRecord& rec = out_.jobs[done.job];
      if (!rec.id.empty())
        migd_.audit().violation(fmt::format("job {} finished twice", tj.id));
      rec.id = tj.id;
      rec.kind = trace_.kind(tj);
      rec.home_host = cl_.name(home_);
      rec.exec_host = cl_.name(done.ran_on);
      rec.end_s = sg4::Engine::get_clock();
      rec.cpu_s = done.cpu_s;
      rec.remote = done.slot != home_;
      rec.lookups = tj.lookups;
      --running;
      ++finished;
      if (done.slot == home_) {
        --local_running;
      } else if (held_.count(done.slot)) {
        if (spec_.host_per_command) {
          // EXP89: a new host for every command; the host goes back when its command ends (Mig_Done, or its
          // record in the shared file cleared: the shared file's select-and-release cost is charged at select).
          if (spec_.host_selection != "shared_file")
            cl_.cpu(home_, c.mig_release_s()); // TH90 Table 7.1: returning a host explicitly
          if (double burn = c.remote_path_background_cpu_s(); burn > 0) {
            // The rest of the remote path's CPU (a measured host profile's remote_path_cpu_ms): the daemons' work
            // beside the command's path, which competes for the machine's cores but holds up no recipe.
            Cluster& cl = cl_;
            cl_.actors().start("remote-path", cl_.host(home_), [&cl, h = home_, burn] { cl.cpu(h, burn); });
          }
          held_.erase(done.slot);
          migd_.release(client_, done.slot);
        } else {
          free_.push_back(done.slot);
        }
      }
      for (size_t d : trace_.dag.dependents(done.job))
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
    out_.ended = true;
  }

  // migd took `host` back: forget it; a job running there is evicted home by migd and reported as usual.
  void revoked(int host)
  {
    held_.erase(host);
    free_.erase(std::remove(free_.begin(), free_.end(), host), free_.end());
  }

private:
  double load_ref_mips() const;
  void select_through_shared_file();
  Cluster& cl_;
  GlobalMigd& migd_;
  const ReplayTrace& trace_;
  const WorkloadSpec& spec_;
  int home_;
  int client_;
  PmakeResult& out_;
  std::set<int> held_;   ///< hosts migd granted and has not taken back
  std::vector<int> free_; ///< held hosts with nothing running, most recently freed last
  std::deque<Completion> completions_;
  sg4::SemaphorePtr reaped_ = sg4::Semaphore::create(0);
  double retry_after_ = 0;
};

// Host selection through the shared host file (EXP89 4.1; TH90 6.3): lock the file, read the hosts' records,
// pick one and mark it, unlock: 11 file-system operations, 10 small and 1 of a block (TH90 6.3), at the file
// server. One client at a time holds the lock, so selections queue behind each other and load the server; the
// rest of the published select-and-release time (mig_obtain_ms) is the client's own CPU.
void Pmake::select_through_shared_file()
{
  const CostModel& c = cl_.costs(home_, cl_.file_server()); // the shared host file is on the main server
  static sg4::MutexPtr lock = sg4::Mutex::create(); // the one shared file of the cluster (one simulation per process)
  RpcCost ops = c.lookup() * 10.0;
  double client_cpu = std::max(0.0, c.mig_obtain_s() - unloaded_seconds(ops, c.network()) -
                                        unloaded_seconds(c.fs_blocks(1), c.network()));
  std::unique_lock lk(*lock);
  cl_.rpc(home_, cl_.file_server(), ops);
  cl_.rpc(home_, cl_.file_server(), c.fs_blocks(1));
  cl_.cpu(home_, client_cpu);
}

double Pmake::load_ref_mips() const { return load_profile(trace_.reference_profile, "workstation").get("cpu_mips"); }

} // namespace

std::function<void()> pmake_driver(Cluster& cluster, GlobalMigd& migd, const ReplayTrace& trace,
                                   const WorkloadSpec& spec, int home, int client, PmakeResult& out)
{
  auto driver = std::make_shared<Pmake>(cluster, migd, trace, spec, home, client, out);
  return [driver] { (*driver)(); };
}

void start_pmake(Cluster& cluster, GlobalMigd& migd, const ReplayTrace& trace, const WorkloadSpec& spec, int home,
                 int client, PmakeResult& out)
{
  sg4::Actor::create("pmake", cluster.host(home), pmake_driver(cluster, migd, trace, spec, home, client, out));
}

} // namespace spritesim
