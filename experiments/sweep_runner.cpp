// Running a sweep (see sweep_runner.hpp).
#include "experiments/sweep_runner.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/experiment.hpp"
#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "core/output_files.hpp"
#include "experiments/baseline.hpp"
#include "experiments/data_files.hpp"
#include "experiments/job_pool.hpp"
#include "experiments/progress.hpp"
#include "experiments/sweep_tables.hpp"

namespace spritesim {

namespace {

namespace fs = std::filesystem;

// A folder's runs must all come from the same experiment, fixed overrides and zip labels: DIR/sweep.json records
// them (zip labels new to the folder are added to it).
void check_identity(const std::string& dir, const nlohmann::json& identity, bool write)
{
  std::string path = dir + "/sweep.json";
  if (fs::exists(path)) {
    nlohmann::json stored = parse_json_text(read_text_file(path), path), merged;
    if (!sweep_identity_fits(stored, identity, &merged))
      throw InputError(path, "$", "this folder holds runs of another experiment, other fixed overrides or zip "
                                  "labels setting other values than this sweep's; use another --out");
    if (write && merged != stored)
      write_file_atomic(path, merged.dump(2) + "\n");
  } else if (write) {
    write_file_atomic(path, identity.dump(2) + "\n");
  } else {
    throw std::runtime_error(fmt::format("{}: not a sweep folder (no sweep.json)", dir));
  }
}

// Copies finished runs that `out` lacks from the merged folders; results.json goes last, as a run writes it.
void merge_runs(const SweepMatrix& m, const std::string& out, const std::vector<std::string>& from,
                const nlohmann::json& identity)
{
  for (const auto& src : from)
    check_identity(src, identity, false);
  size_t copied = 0;
  for (const auto& run : m.runs) {
    if (fs::exists(out + "/" + run.dir + "/results.json"))
      continue;
    for (const auto& src : from) {
      fs::path s = fs::path(src) / run.dir, d = fs::path(out) / run.dir;
      if (!fs::exists(s / "results.json"))
        continue;
      fs::remove_all(d);
      make_directories(d.string());
      for (const auto& e : fs::directory_iterator(s))
        if (e.path().filename() != "results.json")
          fs::copy(e.path(), d / e.path().filename(), fs::copy_options::recursive);
      write_file_atomic((d / "results.json").string(), read_text_file((s / "results.json").string()));
      ++copied;
      break;
    }
  }
  fmt::print(stderr, "sweep: merged {} run(s) from {} folder(s) into {}\n", copied, from.size(), out);
}

struct Planned {
  const SweepRun* run;
  std::vector<std::string> args; ///< experiment_args of the run
  std::string baseline;          ///< its baseline cache file, when it needs one
};

// Each run's arguments, and the sequential baselines its runs share: simulated once each, before the runs, into
// OUT/baselines/ (a cache a resumed sweep reuses). Returns false when stopped.
bool plan_runs(const SweepSpec& spec, const SweepMatrix& m, const std::vector<const SweepRun*>& todo,
               const std::string& out, JobPool& pool, std::vector<Planned>& planned)
{
  std::map<size_t, ExperimentSpec> cells;
  std::map<std::string, PoolJob> baselines; // by file
  for (const SweepRun* run : todo) {
    std::vector<std::string> sets = sweep_cell_sets(spec, m.cells[run->cell]);
    Planned p{run, experiment_args(spec.experiment_path, static_cast<uint64_t>(run->seed), sets), ""};
    if (!cells.count(run->cell))
      cells.emplace(run->cell, load_experiment(spec.experiment_path, sets));
    ExperimentSpec e = cells.at(run->cell);
    e.seed = static_cast<uint64_t>(run->seed);
    if (needs_baseline(e)) {
      p.baseline = out + "/baselines/" + baseline_file_name(e);
      if (!baselines.count(p.baseline) && !read_baseline_file(p.baseline, e)) {
        std::vector<std::string> a = {"baseline"};
        a.insert(a.end(), p.args.begin(), p.args.end());
        a.insert(a.end(), {"--to", p.baseline});
        std::string log = p.baseline.substr(0, p.baseline.size() - 5) + ".log";
        baselines[p.baseline] = {self_child(a, log), [log](int code, double) {
                                   if (code != 0) // each run that needs it will say so again, in its run.log
                                     fmt::print(stderr, "sweep: a sequential baseline FAILED ({}); see {}\n",
                                                exit_status_text(code), log);
                                 },
                                 {}};
      }
    }
    planned.push_back(std::move(p));
  }
  if (baselines.empty())
    return true;
  make_directories(out + "/baselines");
  fmt::print(stderr, "sweep: {} sequential baseline(s) to simulate first, shared by the runs of the same seed\n",
             baselines.size());
  std::vector<PoolJob> jobs;
  for (auto& [file, job] : baselines)
    jobs.push_back(std::move(job));
  return pool.run(std::move(jobs)) == 0;
}

} // namespace

SweepTodo sweep_todo(const SweepSpec& spec, const std::string& out, int64_t shard, int64_t shards)
{
  make_directories(out);
  check_identity(out, sweep_identity(spec), true);
  SweepTodo todo{sweep_matrix(spec), 0, {}};
  for (const auto& run : todo.matrix.runs)
    if (sweep_in_shard(run.index, shard, shards)) {
      ++todo.mine;
      if (!fs::exists(out + "/" + run.dir + "/results.json"))
        todo.runs.push_back(run.index);
    }
  return todo;
}

std::vector<PoolJob> sweep_jobs(const SweepSpec& spec, const SweepTodo& todo, const std::string& out, JobPool& pool,
                                const SweepRunDone& done)
{
  std::vector<const SweepRun*> runs;
  for (size_t i : todo.runs)
    runs.push_back(&todo.matrix.runs.at(i));
  std::vector<Planned> planned;
  if (!plan_runs(spec, todo.matrix, runs, out, pool, planned))
    return {};
  std::vector<PoolJob> jobs;
  for (const Planned& p : planned) {
    std::string dir = out + "/" + p.run->dir;
    std::vector<std::string> a = {"run"};
    a.insert(a.end(), p.args.begin(), p.args.end());
    a.insert(a.end(), {"--out", dir});
    if (!p.baseline.empty() && fs::exists(p.baseline))
      a.insert(a.end(), {"--baseline-file", p.baseline});
    auto fresh = [dir] { // a half-written run is redone from scratch
      fs::remove_all(dir);
      make_directories(dir);
    };
    jobs.push_back({self_child(a, dir + "/run.log"), [done, dir, run = *p.run](int code, double took) {
                      done(run, code == 0 && fs::exists(dir + "/results.json"), code, took);
                    },
                    fresh});
  }
  return jobs;
}

size_t run_sweep_matrix(const SweepSpec& spec, const std::string& out, JobPool& pool, int64_t shard, int64_t shards)
{
  SweepTodo todo = sweep_todo(spec, out, shard, shards);
  std::string axes;
  for (const auto& a : spec.axes)
    axes += fmt::format("{}{} {}", axes.empty() ? "" : " x ", a.values.size(), a.name);
  fmt::print(stderr, "sweep {}: {} runs = {} cells ({}) x {} seeds", spec.name, todo.matrix.runs.size(),
             todo.matrix.cells.size(), axes.empty() ? "no axes" : axes, spec.seeds.size());
  if (shards > 1)
    fmt::print(stderr, "; shard {}/{} has {}", shard, shards, todo.mine);
  fmt::print(stderr, "; {} finished already, {} to run, {} at a time -> {}\n", todo.mine - todo.runs.size(),
             todo.runs.size(), pool.jobs(), out);
  std::optional<Progress> progress; // made once the baselines are simulated, so that its ETA counts runs only
  auto done = [&progress, &pool, &out](const SweepRun& run, bool ok, int code, double took) {
    std::string dir = out + "/" + run.dir;
    if (!ok)
      progress->say(fmt::format("sweep: run {} FAILED ({}): {}; log kept in {}/run.log", run.dir,
                                exit_status_text(code), last_line(dir + "/run.log"), dir));
    progress->finished(run.dir, ok, took, pool.running());
  };
  std::vector<PoolJob> jobs = sweep_jobs(spec, todo, out, pool, done);
  if (pool.stopped())
    return 0;
  progress.emplace(todo.runs.size());
  pool.run(std::move(jobs), [&progress](size_t running) { progress->draw(running); });
  progress->clear();
  if (!pool.stopped())
    write_sweep_tables(spec, todo.matrix, out);
  return progress->failed();
}

// Under a lock, so that shards finishing at the same time into one folder leave the most complete tables.
size_t write_sweep_tables(const SweepSpec& spec, const SweepMatrix& m, const std::string& out)
{
  std::string lock_path = out + "/.sweep.lock";
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock >= 0)
    flock(lock, LOCK_EX);
  std::vector<std::optional<nlohmann::json>> results;
  size_t missing = 0;
  for (const auto& run : m.runs) {
    results.push_back(read_run_results(out + "/" + run.dir));
    missing += results.back() ? 0 : 1;
  }
  write_file_atomic(out + "/sweep.csv", sweep_csv(spec, m, results));
  write_file_atomic(out + "/sweep-summary.csv", sweep_summary_csv(spec, m, results));
  if (lock >= 0)
    ::close(lock); // releases the lock
  for (const auto& metric : spec.metrics) {
    bool any = false;
    for (const auto& r : results)
      any = any || (r && sweep_metric(*r, metric));
    if (!any && missing < m.runs.size())
      fmt::print(stderr, "sweep: warning: metric \"{}\" has no value in any finished run (absent or null)\n",
                 metric);
  }
  fmt::print(stderr, "sweep: {}/sweep.csv has {} of {} runs; {}/sweep-summary.csv\n", out, m.runs.size() - missing,
             m.runs.size(), out);
  if (missing)
    fmt::print(stderr, "sweep: {} run(s) not finished yet (other shards, failed or stopped runs); rerun or merge "
                       "to complete the tables\n",
               missing);
  return missing;
}

int run_sweep(const SweepRequest& req)
{
  SweepSpec spec = load_sweep(req.sweep_file);
  std::string out = req.out.empty() ? "sweeps/" + spec.name : req.out;
  if (req.merging) {
    make_directories(out);
    nlohmann::json identity = sweep_identity(spec);
    check_identity(out, identity, true);
    merge_runs(sweep_matrix(spec), out, req.merge, identity);
    return write_sweep_tables(spec, sweep_matrix(spec), out) ? 1 : 0;
  }
  JobPool pool(req.jobs);
  size_t failed = run_sweep_matrix(spec, out, pool, req.shard, req.shards);
  if (int sig = pool.stopped()) {
    fmt::print(stderr, "sweep: stopped by signal {}; finished runs are kept, rerun the same command to resume\n",
               sig);
    return 128 + sig;
  }
  if (failed) {
    fmt::print(stderr, "sweep: {} run(s) failed (see their run.log); rerun to retry them\n", failed);
    return 1;
  }
  return 0;
}

} // namespace spritesim
