// The coordinator's checkpoint and records (see coordinator.hpp): the state file (format "spritesim-migd-state",
// written atomically after every change and reloaded strictly on start) and the run outputs in the simulator's
// formats (write_run_outputs), so analysis/ reads real and simulated runs alike.
#include "real/coordinator.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "core/output_files.hpp"

namespace spritesim::real {

namespace {
constexpr int STATE_VERSION = 1;

const char* state_name(ProcState s) { return to_string(s); }

ProcState parse_state(const std::string& s)
{
  for (ProcState p : {ProcState::WAITING, ProcState::RUNNING, ProcState::SUSPENDED, ProcState::MIGRATING})
    if (s == to_string(p))
      return p;
  return ProcState::RUNNING;
}
} // namespace

nlohmann::json Coordinator::state_json() const
{
  nlohmann::json hosts = nlohmann::json::array(), jobs = nlohmann::json::array();
  for (const Host& h : hosts_)
    hosts.push_back({{"name", h.name}, {"holder", h.holder}});
  for (const auto& [id, j] : jobs_)
    jobs.push_back({{"id", id}, {"name", j.name}, {"home", j.home}, {"host", j.host}, {"state", state_name(j.state)},
                    {"started_s", j.started_s}});
  nlohmann::json rec_jobs = nlohmann::json::array(), rec_migs = nlohmann::json::array(),
                 rec_evs = nlohmann::json::array(), rec_decs = nlohmann::json::array();
  for (const auto& r : records_.jobs)
    rec_jobs.push_back({{"id", r.id}, {"home_host", r.home_host}, {"exec_host", r.exec_host}, {"start_s", r.start_s},
                        {"end_s", r.end_s}, {"cpu_s", r.cpu_s}, {"remote", r.remote}});
  for (const auto& r : records_.migrations)
    rec_migs.push_back({{"time_s", r.time_s}, {"job_id", r.job_id}, {"kind", r.kind}, {"from_host", r.from_host},
                        {"to_host", r.to_host}});
  for (const auto& r : records_.evictions)
    rec_evs.push_back({{"time_s", r.time_s}, {"host", r.host}, {"reason", r.reason}, {"processes", r.processes},
                       {"duration_s", r.duration_s}});
  for (const auto& r : records_.decisions)
    rec_decs.push_back({{"time_s", r.time_s}, {"event", r.event}, {"kind", r.kind}, {"client", r.client},
                        {"host", r.host}, {"process", r.process}});
  return {{"format", "spritesim-migd-state"}, {"version", STATE_VERSION}, {"elapsed_s", now()}, {"origin_epoch_s", origin_epoch_s_},
          {"next_job", std::max(next_job_, reserved_job_)}, {"hosts", hosts}, {"jobs", jobs}, {"job_records", rec_jobs},
          {"migration_records", rec_migs}, {"eviction_records", rec_evs}, {"decision_records", rec_decs}};
}

uint64_t Coordinator::checkpoint_locked()
{
  if (options_.state_file.empty() && options_.out_dir.empty())
    return 0;
  nlohmann::json state = state_json();
  RunResult r = records_;
  r.makespan_s = now();
  r.extra = {{"mode", "real"}, {"policy", options_.policy}, {"decisions_rejected", rejected_count_}};
  uint64_t seq;
  {
    std::lock_guard lock(write_mutex_);
    pending_state_ = std::move(state);
    pending_records_ = std::move(r);
    write_pending_ = true; // an older snapshot not yet written is simply replaced
    seq = pending_seq_ = ++snapshot_seq_;
  }
  write_cv_.notify_one();
  return seq;
}

void Coordinator::wait_written(uint64_t seq)
{
  std::unique_lock lock(write_mutex_);
  written_cv_.wait(lock, [&] { return written_seq_ >= seq; });
}

void Coordinator::writer_loop()
{
  nlohmann::json agents = nlohmann::json::array();
  for (const Endpoint& e : options_.agents)
    agents.push_back(e.text());
  nlohmann::json config = {{"mode", "real"},
                           {"policy", {{"name", options_.policy}, {"params", options_.policy_params}}},
                           {"agents", agents},
                           {"idle_rule", to_json(options_.idle_rule)}};
  for (;;) {
    nlohmann::json state;
    RunResult records;
    uint64_t seq;
    {
      std::unique_lock lock(write_mutex_);
      write_cv_.wait(lock, [this] { return write_pending_; });
      state = std::move(pending_state_);
      records = std::move(pending_records_);
      seq = pending_seq_;
      write_pending_ = false;
    }
    try {
      if (!options_.state_file.empty())
        write_file_atomic(options_.state_file, state.dump(1) + "\n");
    } catch (const std::exception& e) {
      fmt::print(stderr, "migd: cannot write the checkpoint: {}\n", e.what());
    }
    {
      // Waiting clients are released even when the write failed (it was logged): a full disk must not hang them.
      std::lock_guard lock(write_mutex_);
      written_seq_ = seq;
    }
    written_cv_.notify_all();
    try {
      if (!options_.out_dir.empty()) {
        make_directories(options_.out_dir);
        write_run_outputs(options_.out_dir, records, config, 0, options_.version);
      }
    } catch (const std::exception& e) {
      fmt::print(stderr, "migd: cannot write the records: {}\n", e.what());
    }
  }
}

void Coordinator::load_state()
{
  const std::string& file = options_.state_file;
  std::string text;
  try {
    text = read_text_file(file);
  } catch (const InputError&) {
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
  auto hosts = root.member("hosts").elements();
  for (const auto& h : hosts) {
    std::string name = h.required_string("name");
    int64_t holder = h.required_integer("holder", -1, 1 << 30);
    for (Host& mine : hosts_)
      if (mine.name == name)
        mine.holder = static_cast<int>(holder);
    h.finish();
  }
  int n_hosts = static_cast<int>(hosts_.size());
  for (const auto& jr : root.member("jobs").elements()) {
    Job j;
    j.id = jr.required_integer("id", 1, INT64_MAX);
    j.name = jr.required_string("name");
    j.home = static_cast<int>(jr.required_integer("home", 0, n_hosts - 1));
    j.host = static_cast<int>(jr.required_integer("host", 0, n_hosts - 1));
    j.state = parse_state(jr.choice("state", "running", {"waiting", "running", "suspended", "migrating"}));
    j.started_s = jr.required_number("started_s", 0, 1e12);
    j.run_start_s = offset_s_;
    j.orphan_since_s = offset_s_; // until its client re-attaches (coordinator_clients.cpp)
    jr.finish();
    if (j.state != ProcState::WAITING)
      jobs_[j.id] = j;
  }
  for (const auto& r : root.member("job_records").elements()) {
    JobRecord j;
    j.id = r.required_string("id");
    j.kind = "command";
    j.home_host = r.required_string("home_host");
    j.exec_host = r.required_string("exec_host");
    j.ready_s = j.start_s = r.required_number("start_s", 0, 1e12);
    j.end_s = r.required_number("end_s", 0, 1e12);
    j.cpu_s = r.number("cpu_s", 0, 0, 1e12);
    j.remote = r.boolean("remote", false);
    r.finish();
    // Job names end in their number ("cc-12"): those numbers are the finished jobs.
    if (auto dash = j.id.rfind('-'); dash != std::string::npos)
      finished_.insert(std::strtoll(j.id.c_str() + dash + 1, nullptr, 10));
    records_.jobs.push_back(j);
  }
  for (const auto& r : root.member("migration_records").elements()) {
    MigrationRecord m;
    m.time_s = r.required_number("time_s", 0, 1e12);
    m.job_id = r.required_string("job_id");
    m.kind = r.required_string("kind");
    m.from_host = r.required_string("from_host");
    m.to_host = r.required_string("to_host");
    r.finish();
    records_.migrations.push_back(m);
  }
  for (const auto& r : root.member("eviction_records").elements()) {
    EvictionRecord e;
    e.time_s = r.required_number("time_s", 0, 1e12);
    e.host = r.required_string("host");
    e.reason = r.required_string("reason");
    e.processes = r.required_integer("processes", 0, INT64_MAX);
    e.duration_s = r.required_number("duration_s", 0, 1e12);
    r.finish();
    records_.evictions.push_back(e);
  }
  for (const auto& r : root.member("decision_records").elements()) {
    DecisionRecord d;
    d.time_s = r.required_number("time_s", 0, 1e12);
    d.event = r.required_string("event");
    d.kind = r.required_string("kind");
    d.client = r.required_integer("client", -1, INT64_MAX);
    d.host = r.string("host", "");
    d.process = r.string("process", "");
    r.finish();
    records_.decisions.push_back(d);
  }
  root.finish();
  fmt::print(stderr, "migd: reloaded {} ({} running jobs, {} finished)\n", file, jobs_.size(), records_.jobs.size());
}

} // namespace spritesim::real
