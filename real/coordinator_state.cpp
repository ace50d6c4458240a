// The coordinator's checkpoint and records (see coordinator.hpp). With --state FILE: a small snapshot (format
// "spritesim-migd-state": the run's clock, reserved job ids, grants, running jobs), rewritten atomically, and the
// records in a journal FILE.records.jsonl, appended and synced, never rewritten, so that a checkpoint costs the
// same after a million commands as after one. With --out DIR: the run outputs in the simulator's formats
// (write_run_outputs), rewritten from a thread of their own at most every OUTPUTS_EVERY_S, so that analysis/ reads
// real and simulated runs alike. The journal's lines are coordinator_journal.cpp's.
#include "real/coordinator.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "core/output_files.hpp"

namespace spritesim::real {

namespace {
constexpr int STATE_VERSION = 2; ///< 1 kept the records inside the state file
constexpr double OUTPUTS_EVERY_S = 0.2;
constexpr double OUTPUTS_DUTY = 9; ///< the wait after a rewrite, at least, in rewrites' times (so at most 10% busy)

const char* state_name(ProcState s) { return to_string(s); }

ProcState parse_state(const std::string& s)
{
  for (ProcState p : {ProcState::WAITING, ProcState::RUNNING, ProcState::SUSPENDED, ProcState::MIGRATING})
    if (s == to_string(p))
      return p;
  return ProcState::RUNNING;
}

} // namespace

std::string Coordinator::host_key(const Host& h) { return h.is_home ? "home" : h.endpoint.text(); }

std::string Coordinator::journal_file() const { return options_.state_file + ".records.jsonl"; }

nlohmann::json Coordinator::state_json() const
{
  nlohmann::json hosts = nlohmann::json::array(), jobs = nlohmann::json::array();
  for (size_t i = 0; i < hosts_.size(); ++i) {
    const BookHost& b = core_.host(static_cast<int>(i));
    hosts.push_back({{"endpoint", host_key(hosts_[i])}, {"name", b.name}, {"holder", b.holder}});
  }
  // Hosts by endpoint, not by position: the --agents list of the restarted coordinator may differ.
  for (const auto& [id, j] : core_.processes())
    jobs.push_back({{"id", id},
                    {"name", j.name},
                    {"home", host_key(hosts_[static_cast<size_t>(j.home)])},
                    {"host", host_key(hosts_[static_cast<size_t>(j.host)])},
                    {"state", state_name(j.state)},
                    {"started_s", j.started_s}});
  return {{"format", "spritesim-migd-state"}, {"version", STATE_VERSION},
          {"elapsed_s", now()},               {"origin_epoch_s", origin_epoch_s_},
          {"job_key", job_key_},
          {"next_job", std::max(next_job_, reserved_job_)},
          {"hosts", hosts},                   {"jobs", jobs}};
}

uint64_t Coordinator::checkpoint_locked()
{
  if (!options_.out_dir.empty()) {
    outputs_dirty_ = true;
    outputs_cv_.notify_one();
  }
  if (options_.state_file.empty())
    return 0;
  std::string lines = new_journal_lines();
  nlohmann::json state = state_json();
  uint64_t seq;
  {
    std::lock_guard lock(write_mutex_);
    pending_lines_ += lines; // records are never dropped; an older snapshot not yet written is simply replaced
    pending_state_ = std::move(state);
    write_pending_ = true;
    seq = pending_seq_ = ++snapshot_seq_;
  }
  write_cv_.notify_one();
  return seq;
}

void Coordinator::wait_written(uint64_t seq, bool records_only)
{
  std::unique_lock lock(write_mutex_);
  written_cv_.wait(lock, [&] { return (records_only ? journaled_seq_ : written_seq_) >= seq; });
}

void Coordinator::writer_loop()
{
  int journal = -1;
  for (;;) {
    nlohmann::json state;
    std::string lines;
    uint64_t seq;
    {
      std::unique_lock lock(write_mutex_);
      write_cv_.wait(lock, [this] { return write_pending_; });
      state = std::move(pending_state_);
      lines.swap(pending_lines_);
      seq = pending_seq_;
      write_pending_ = false;
    }
    try {
      // Records first, synced: a snapshot never refers to a job whose end is not on disk.
      if (!lines.empty()) {
        if (journal < 0) {
          // 0600 like the snapshot; a journal left by an older version with a looser mode is tightened.
          journal = ::open(journal_file().c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
          if (journal < 0 || ::fchmod(journal, 0600) != 0) {
            std::string why = std::strerror(errno);
            if (journal >= 0)
              ::close(journal);
            journal = -1;
            throw std::runtime_error(fmt::format("{}: {}", journal_file(), why));
          }
        }
        off_t before = ::lseek(journal, 0, SEEK_END);
        try {
          if (!write_fully(journal, lines))
            throw std::runtime_error(fmt::format("{}: write failed: {}", journal_file(), std::strerror(errno)));
          if (::fdatasync(journal) != 0)
            throw std::runtime_error(fmt::format("{}: sync failed: {}", journal_file(), std::strerror(errno)));
        } catch (...) {
          // No half line left in the middle of the journal, and the records are kept for the next attempt.
          if (before >= 0)
            (void)!::ftruncate(journal, before);
          std::lock_guard lock(write_mutex_);
          pending_lines_.insert(0, lines);
          throw;
        }
      }
      {
        // The records are on disk: an end waiting for its acknowledgement need not wait for the snapshot too (a
        // restart from an older snapshot finds the end in the journal: load_state).
        std::lock_guard lock(write_mutex_);
        journaled_seq_ = seq;
      }
      written_cv_.notify_all();
      write_file_atomic(options_.state_file, state.dump(1) + "\n", 0600); // holds the job-token key
      disk_next_job_ = state["next_job"].get<int64_t>();
    } catch (const std::exception& e) {
      // Logged, retried a second later with whatever came since; waiting clients are answered meanwhile (a full
      // disk must not hang the builds), so their records are durable only once the disk takes them again.
      fmt::print(stderr, "migd: cannot write the checkpoint (retrying): {}\n", e.what());
      {
        std::lock_guard lock(write_mutex_);
        if (pending_state_.is_null()) // no newer snapshot since: this one again
          pending_state_ = std::move(state);
        write_pending_ = true;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    {
      // Waiting clients are released even when the write failed (it was logged): a full disk must not hang them.
      std::lock_guard lock(write_mutex_);
      journaled_seq_ = std::max(journaled_seq_, seq);
      written_seq_ = seq;
    }
    written_cv_.notify_all();
  }
}

namespace {

// The records only grow (a reload replaces them before the first write): what `to` lacks of `from` is appended.
template <class T> void append_new(std::vector<T>& to, const std::vector<T>& from)
{
  if (from.size() < to.size())
    to = from;
  else
    to.insert(to.end(), from.begin() + static_cast<std::ptrdiff_t>(to.size()), from.end());
}

} // namespace

void Coordinator::write_outputs()
{
  std::lock_guard writing(outputs_mutex_);
  nlohmann::json agents = nlohmann::json::array();
  for (const Endpoint& e : options_.agents)
    agents.push_back(e.text());
  nlohmann::json config = {{"mode", "real"},
                           {"policy", to_json(options_.policy)},
                           {"agents", agents},
                           {"idle_rule", to_json(options_.idle_rule)}};
  RunResult& r = outputs_view_;
  std::vector<std::pair<std::string, bool>> host_names; // name, is the home pseudo-host
  {
    // Under the coordinator's lock only what is new since the last rewrite: a long run's records are not copied
    // whole while placements wait.
    std::lock_guard lock(mutex_);
    append_new(r.jobs, records_.jobs);
    append_new(r.migrations, core_.migrations());
    append_new(r.evictions, core_.evictions());
    append_new(r.decisions, core_.decisions());
    r.owner_returns = core_.owner_returns(); // closed ones are sorted in place: a few, copied whole
    for (size_t h = 0; h < hosts_.size(); ++h)
      host_names.emplace_back(host_name(static_cast<int>(h)), hosts_[h].is_home);
    r.extra = {{"mode", "real"},
               {"policy", options_.policy.name},
               {"decisions_rejected", core_.stats().rejected},
               {"elapsed_s", std::stod(fixed(now()))},
               {"seed", nullptr}};
    outputs_dirty_ = false;
  }
  // The span of the work (first placement to last end) is the makespan; migd's own running time is elapsed_s. Real
  // runs have no seed. hosts.csv: each agent's (and the clients' machines') finished commands and their CPU.
  double first = 0, last = 0;
  for (size_t i = 0; i < r.jobs.size(); ++i) {
    first = i == 0 ? r.jobs[i].start_s : std::min(first, r.jobs[i].start_s);
    last = std::max(last, r.jobs[i].end_s);
  }
  r.makespan_s = std::max(0.0, last - first);
  std::map<std::string, HostRecord> by_host;
  for (const auto& [name, is_home] : host_names)
    by_host[name] = {name, is_home ? "home" : "workstation", 0, 0, 0};
  for (const JobRecord& j : r.jobs) {
    HostRecord& hr = by_host[j.exec_host];
    hr.host = j.exec_host;
    hr.role = hr.role.empty() ? "workstation" : hr.role; // an agent no longer in --agents
    hr.busy_s += j.cpu_s;
    ++hr.jobs;
  }
  r.hosts.clear();
  for (auto& [name, hr] : by_host) {
    hr.utilization = r.makespan_s > 0 ? hr.busy_s / r.makespan_s : 0;
    r.hosts.push_back(hr);
  }
  try {
    make_directories(options_.out_dir);
    // A view of the journal, rewritten soon after each change (outputs_loop) and at every start: renamed into place
    // whole, not synced (an fsync per file per rewrite was most of migd's CPU during a build).
    write_run_outputs(options_.out_dir, r, config, 0, options_.version, Durability::RENAMED);
  } catch (const std::exception& e) {
    fmt::print(stderr, "migd: cannot write the records: {}\n", e.what());
  }
}

void Coordinator::outputs_loop()
{
  double last_write_s = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      outputs_cv_.wait(lock, [this] { return outputs_dirty_; });
    }
    // The outputs are a view of the records (the journal is the record of the run): rewriting them at most every
    // OUTPUTS_EVERY_S keeps their O(records) cost off every command's path, and waiting OUTPUTS_DUTY times as long
    // as the last rewrite took keeps a long run's (a day of builds: a hundred thousand rows) to a tenth of a core.
    std::this_thread::sleep_for(std::chrono::duration<double>(std::max(OUTPUTS_EVERY_S, OUTPUTS_DUTY * last_write_s)));
    const double t0 = monotonic_s();
    write_outputs();
    last_write_s = monotonic_s() - t0;
  }
}

int Coordinator::host_index(const std::string& key) const
{
  // An agent no longer in --agents: its jobs count as at home (their clients say where they are when they resume).
  for (size_t i = 0; i < hosts_.size(); ++i)
    if (host_key(hosts_[i]) == key)
      return static_cast<int>(i);
  return static_cast<int>(hosts_.size()) - 1;
}

void Coordinator::reload_hosts(const JsonReader& hosts)
{
  for (const auto& h : hosts.elements()) {
    std::string key = h.required_string("endpoint");
    std::string name = h.required_string("name");
    int64_t holder = h.required_integer("holder", -1, 1 << 30);
    h.finish();
    int i = host_index(key);
    if (host_key(hosts_[static_cast<size_t>(i)]) != key)
      continue;
    BookHost& mine = core_.host(i);
    mine.holder = static_cast<int>(holder);
    if (!hosts_[static_cast<size_t>(i)].is_home)
      mine.name = name; // the agent's --name, so that records written before its first report use it
  }
}

void Coordinator::load_state()
{
  const std::string& file = options_.state_file;
  std::string text;
  try {
    text = read_text_file(file);
  } catch (const InputError&) {
    if (::access(journal_file().c_str(), F_OK) == 0)
      throw InputError(file, "file",
                       fmt::format("missing, but its records journal {} exists: restore the state file, or move "
                                   "the journal away to start a new run",
                                   journal_file()));
    return; // first start: nothing to reload
  }
  nlohmann::json doc = parse_json_text(text, file);
  JsonReader root(doc, file);
  if (root.required_string("format") != "spritesim-migd-state")
    root.member("format").fail("expected \"spritesim-migd-state\"");
  root.required_integer("version", STATE_VERSION, STATE_VERSION);
  double elapsed = root.required_number("elapsed_s", 0, 1e12);
  // The run's clock goes on from its first start by the wall clock, so the time the coordinator was down counts
  // (and never runs backwards if the wall clock does).
  origin_epoch_s_ = root.number("origin_epoch_s", epoch_s() - elapsed, 0, 1e12);
  offset_s_ = std::max(elapsed, epoch_s() - origin_epoch_s_);
  next_job_ = root.required_integer("next_job", 1, INT64_MAX);
  job_key_ = root.required_string("job_key");
  if (job_key_.size() != 64 || job_key_.find_first_not_of("0123456789abcdef") != std::string::npos)
    root.member("job_key").fail("expected 64 lowercase hex digits");
  reload_hosts(root.member("hosts"));
  std::vector<BookProcess> reloaded; // host and state as the snapshot says
  for (const auto& jr : root.member("jobs").elements()) {
    BookProcess& j = reloaded.emplace_back();
    j.id = jr.required_integer("id", 1, INT64_MAX);
    j.name = jr.required_string("name");
    j.home = host_index(jr.required_string("home"));
    j.host = host_index(jr.required_string("host"));
    j.state = parse_state(jr.choice("state", "running", {"waiting", "running", "suspended", "migrating"}));
    j.started_s = jr.required_number("started_s", 0, 1e12);
    jr.finish();
  }
  root.finish();
  load_journal();
  for (const BookProcess& j : reloaded) {
    // Ended after the snapshot was written: the journal, written first, knows.
    if (j.state == ProcState::WAITING || finished_.count(j.id))
      continue;
    add_job(j);
    core_.process_changed(j.id, j.host, j.state);
    links_[j.id].orphan_since_s = offset_s_; // until its client re-attaches (coordinator_clients.cpp)
  }
  fmt::print(stderr, "migd: reloaded {} ({} running jobs, {} finished)\n", file, core_.processes().size(),
             records_.jobs.size());
}

} // namespace spritesim::real
