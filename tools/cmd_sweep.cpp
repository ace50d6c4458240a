// `spritesim sweep SWEEP.json`: runs a matrix of experiments, each a `spritesim run` child process (in its own
// process group, so stopping the sweep stops every simulation it started), resumable and shardable; then writes
// sweep.csv and sweep-summary.csv from the runs' results.json files (core/sweep). Manual: docs/sweeps.md.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "core/output_files.hpp"
#include "core/sweep.hpp"
#include "tools/commands.hpp"

namespace spritesim {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string sweep_file, out;
  int jobs = 2;
  int64_t shard = 1, shards = 1;
  std::vector<std::string> merge;
  bool merging = false;
};

int64_t parse_int(const std::string& v, int64_t lo, int64_t hi, const std::string& what)
{
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos || std::stoll(v) < lo ||
      std::stoll(v) > hi)
    throw UsageError(fmt::format("{} expects an integer in [{}, {}], got \"{}\"", what, lo, hi, v));
  return std::stoll(v);
}

Options parse_options(const Args& args)
{
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&] {
      if (i + 1 >= args.size())
        throw UsageError(fmt::format("{} needs a value", a));
      return args[++i];
    };
    if (a == "--out")
      o.out = value();
    else if (a == "--jobs")
      o.jobs = static_cast<int>(parse_int(value(), 1, 256, "--jobs"));
    else if (a == "--shard") {
      std::string v = value();
      auto slash = v.find('/');
      if (slash == std::string::npos)
        throw UsageError(fmt::format("--shard expects I/N (e.g. 1/4), got \"{}\"", v));
      o.shards = parse_int(v.substr(slash + 1), 1, 1000000, "--shard's N");
      o.shard = parse_int(v.substr(0, slash), 1, o.shards, "--shard's I");
    } else if (a == "--merge") {
      o.merging = true;
      while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0)
        o.merge.push_back(args[++i]);
      if (o.merge.empty())
        throw UsageError("--merge needs one or more sweep folders");
    } else if (!a.empty() && a[0] == '-')
      throw UsageError(fmt::format("unknown option {} (sweep SWEEP.json [--out DIR] [--jobs N] [--shard I/N] "
                                   "[--merge DIR...])",
                                   a));
    else if (o.sweep_file.empty())
      o.sweep_file = a;
    else
      throw UsageError(fmt::format("unexpected argument \"{}\": sweep takes one SWEEP.json", a));
  }
  if (o.sweep_file.empty())
    throw UsageError("sweep needs a SWEEP.json (see docs/sweeps.md)");
  if (o.merging && o.shards > 1)
    throw UsageError("--merge collects every run; it does not take --shard");
  return o;
}

// A folder's runs must all come from the same experiment and fixed overrides: DIR/sweep.json records them.
void check_identity(const std::string& dir, const nlohmann::json& identity, bool write)
{
  std::string path = dir + "/sweep.json";
  if (fs::exists(path)) {
    if (parse_json_text(read_text_file(path), path) != identity)
      throw std::runtime_error(fmt::format("{}: this folder holds runs of another experiment or other fixed "
                                           "overrides than this sweep's; use another --out",
                                           path));
  } else if (write) {
    write_file_atomic(path, identity.dump(2) + "\n");
  } else {
    throw std::runtime_error(fmt::format("{}: not a sweep folder (no sweep.json)", dir));
  }
}

std::string duration_text(double s)
{
  long t = static_cast<long>(s + 0.5);
  if (t >= 3600)
    return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
  return fmt::format("{}:{:02}", t / 60, t % 60);
}

std::string last_line(const std::string& file)
{
  std::ifstream in(file);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty())
      last = line;
  return last;
}

// Starts `spritesim ARGS` in its own process group (the sweep signals the group, reaching the run's own baseline
// child too), dying with the sweep should the sweep be killed outright.
int spawn_run(const Args& args, const std::string& log_file, const sigset_t& child_mask)
{
  std::string exe = self_exe();
  std::vector<std::string> copy = args;
  std::vector<char*> argv = {exe.data()};
  for (auto& a : copy)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
      _exit(127);
    sigprocmask(SIG_SETMASK, &child_mask, nullptr);
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  setpgid(pid, pid); // also here, so the group exists before any signal is sent to it
  return pid;
}

class Progress {
public:
  Progress(size_t total) : total_(total), tty_(isatty(2)), start_(Clock::now()) {}
  void finished(const std::string& dir, bool ok, double seconds, size_t running)
  {
    ++(ok ? done_ : failed_);
    running_ = running;
    if (ok && !tty_)
      fmt::print(stderr, "[{}/{}] {} ok in {:.1f} s, ETA {}\n", done_ + failed_, total_, dir, seconds, eta());
    draw();
  }
  void say(const std::string& line)
  {
    clear();
    fmt::print(stderr, "{}\n", line);
    draw();
  }
  void draw(size_t running = SIZE_MAX)
  {
    if (running != SIZE_MAX)
      running_ = running;
    if (!tty_)
      return;
    size_t n = done_ + failed_, width = 30, fill = total_ ? n * width / total_ : width;
    fmt::print(stderr, "\r\x1b[K[{}{}] {}/{} runs, {} running, {} failed, {} elapsed, ETA {}",
               std::string(fill, '#'), std::string(width - fill, '.'), n, total_, running_, failed_,
               duration_text(elapsed()), eta());
    std::fflush(stderr);
  }
  void clear()
  {
    if (tty_)
      fmt::print(stderr, "\r\x1b[K");
  }
  size_t failed() const { return failed_; }

private:
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  std::string eta() const
  {
    size_t n = done_ + failed_;
    return n ? duration_text(elapsed() / static_cast<double>(n) * static_cast<double>(total_ - n)) : "--";
  }
  size_t total_, done_ = 0, failed_ = 0, running_ = 0;
  bool tty_;
  Clock::time_point start_;
};

struct Live {
  const SweepRun* run;
  Clock::time_point start;
};

// SIGTERM to every run's process group, a few seconds' grace, then SIGKILL; reaps them all.
void stop_runs(std::map<int, Live>& live)
{
  for (const auto& [pid, l] : live)
    kill(-pid, SIGTERM);
  for (int tries = 0; tries < 50 && !live.empty(); ++tries) {
    int pid = waitpid(-1, nullptr, WNOHANG);
    if (pid > 0)
      live.erase(pid);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const auto& [pid, l] : live) {
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  live.clear();
}

// Runs `todo` at most `jobs` at a time. SIGCHLD, SIGINT and SIGTERM are blocked and taken with sigtimedwait, so a
// stop request is never lost between two checks. Returns the signal that stopped the sweep, or 0.
int run_matrix(const SweepSpec& spec, const SweepMatrix& m, const std::vector<const SweepRun*>& todo,
               const std::string& out, int jobs, Progress& progress)
{
  sigset_t waited, old_mask;
  sigemptyset(&waited);
  for (int sig : {SIGCHLD, SIGINT, SIGTERM})
    sigaddset(&waited, sig);
  sigprocmask(SIG_BLOCK, &waited, &old_mask);
  std::map<int, Live> live;
  size_t next = 0;
  int stop = 0;
  while ((next < todo.size() || !live.empty()) && !stop) {
    while (next < todo.size() && static_cast<int>(live.size()) < jobs) {
      const SweepRun* run = todo[next++];
      std::string dir = out + "/" + run->dir;
      fs::remove_all(dir); // a half-written run is redone from scratch
      make_directories(dir);
      Args a = {"run", spec.experiment_path, "--out", dir, "--seed", std::to_string(run->seed)};
      for (const auto& s : sweep_cell_sets(spec, m.cells[run->cell])) {
        a.push_back("--set");
        a.push_back(s);
      }
      live[spawn_run(a, dir + "/run.log", old_mask)] = {run, Clock::now()};
    }
    progress.draw(live.size());
    int status = 0;
    int pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno != EINTR && errno != ECHILD)
      throw std::runtime_error(fmt::format("waitpid failed: {}", std::strerror(errno)));
    if (pid <= 0) {
      timespec timeout = {0, 250 * 1000 * 1000}; // redraws the progress bar's clock
      int sig = sigtimedwait(&waited, nullptr, &timeout);
      if (sig == SIGINT || sig == SIGTERM)
        stop = sig;
      continue;
    }
    auto it = live.find(pid);
    if (it == live.end())
      continue;
    const SweepRun* run = it->second.run;
    double took = std::chrono::duration<double>(Clock::now() - it->second.start).count();
    live.erase(it);
    std::string dir = out + "/" + run->dir;
    int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    bool ok = code == 0 && fs::exists(dir + "/results.json");
    if (!ok)
      progress.say(fmt::format("sweep: run {} FAILED ({}): {}; log kept in {}/run.log", run->dir,
                               exit_status_text(code), last_line(dir + "/run.log"), dir));
    progress.finished(run->dir, ok, took, live.size());
  }
  if (stop)
    stop_runs(live);
  // Take any signal still pending before unblocking: a late stop request still stops the sweep.
  timespec zero = {0, 0};
  for (int sig; (sig = sigtimedwait(&waited, nullptr, &zero)) > 0;)
    if (sig != SIGCHLD && !stop)
      stop = sig;
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  progress.clear();
  return stop;
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

// Writes sweep.csv and sweep-summary.csv from every finished run, under a lock so that shards finishing at the same
// time into one folder leave the most complete tables. Returns how many runs are not finished.
size_t write_tables(const SweepSpec& spec, const SweepMatrix& m, const std::string& out)
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

} // namespace

int cmd_sweep(const Args& args)
{
  Options o = parse_options(args);
  SweepSpec spec = load_sweep(o.sweep_file);
  SweepMatrix m = sweep_matrix(spec);
  if (o.out.empty())
    o.out = "sweeps/" + spec.name;
  make_directories(o.out);
  nlohmann::json identity = sweep_identity(spec);
  check_identity(o.out, identity, true);
  if (o.merging) {
    merge_runs(m, o.out, o.merge, identity);
    return write_tables(spec, m, o.out) ? 1 : 0;
  }
  std::vector<const SweepRun*> todo;
  size_t mine = 0;
  for (const auto& run : m.runs)
    if (sweep_in_shard(run.index, o.shard, o.shards)) {
      ++mine;
      if (!fs::exists(o.out + "/" + run.dir + "/results.json"))
        todo.push_back(&run);
    }
  std::string axes;
  for (const auto& a : spec.axes)
    axes += fmt::format("{}{} {}", axes.empty() ? "" : " x ", a.values.size(), a.path);
  fmt::print(stderr, "sweep {}: {} runs = {} cells ({}) x {} seeds", spec.name, m.runs.size(), m.cells.size(),
             axes.empty() ? "no axes" : axes, spec.seeds.size());
  if (o.shards > 1)
    fmt::print(stderr, "; shard {}/{} has {}", o.shard, o.shards, mine);
  fmt::print(stderr, "; {} finished already, {} to run, {} at a time -> {}\n", mine - todo.size(), todo.size(),
             o.jobs, o.out);
  Progress progress(todo.size());
  int sig = run_matrix(spec, m, todo, o.out, o.jobs, progress);
  if (sig) {
    fmt::print(stderr, "sweep: stopped by signal {}; finished runs are kept, rerun the same command to resume\n",
               sig);
    return 128 + sig;
  }
  write_tables(spec, m, o.out);
  if (progress.failed()) {
    fmt::print(stderr, "sweep: {} run(s) failed (see their run.log); rerun to retry them\n", progress.failed());
    return 1;
  }
  return 0;
}

} // namespace spritesim
