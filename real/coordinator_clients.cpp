// The coordinator's rexec clients (see coordinator.hpp): placement requests, commands rerun at home, commands' ends,
// and clients re-attaching their jobs after a coordinator restart (resume). A job's end is acknowledged only once
// it is in the checkpoint, and a repeated end is recognised, so a restart neither loses a job nor counts one twice.
#include "real/coordinator.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "real/auth.hpp"

namespace spritesim::real {

namespace {
/// Reloaded jobs whose clients have not re-attached within this time are forgotten (their clients died with the
/// old coordinator). A client that comes back later still gets its job recorded (on_resume recreates it).
constexpr double ORPHAN_GRACE_S = 30;
} // namespace

int Coordinator::host_at(const std::string& addr, int fallback) const
{
  for (size_t i = 0; i + 1 < hosts_.size(); ++i)
    if (hosts_[i].endpoint.text() == addr || host_name(static_cast<int>(i)) == addr)
      return static_cast<int>(i);
  return fallback;
}

std::optional<MigrationKind> Coordinator::last_move(const std::string& job_name) const
{
  for (auto it = core_.migrations().rbegin(); it != core_.migrations().rend(); ++it)
    if (it->job_id == job_name)
      return it->kind;
  return std::nullopt;
}

void Coordinator::add_job(BookProcess j)
{
  j.migratable = false; // no checkpoint/restore of a running command (real_capabilities: no MIGRATE, no EVICT)
  links_[j.id] = JobLink{};
  core_.add_process(std::move(j));
}

void Coordinator::forget_job(int64_t id)
{
  links_.erase(id);
  core_.process_exited(id);
}

void Coordinator::sweep_orphans()
{
  double t = now();
  std::vector<int64_t> orphans;
  for (const auto& [id, link] : links_)
    if (const BookProcess* p = core_.process(id);
        p && p->client < 0 && link.orphan_since_s >= 0 && t - link.orphan_since_s > ORPHAN_GRACE_S)
      orphans.push_back(id);
  for (int64_t id : orphans) {
    fmt::print(stderr, "migd: job {} was not re-attached by its client within {:.0f} s; forgotten\n",
               core_.process(id)->name, ORPHAN_GRACE_S);
    forget_job(id);
  }
  if (!orphans.empty())
    checkpoint_locked(); // the policy's answers to those exits are records too
}

nlohmann::json Coordinator::on_place(int client, const nlohmann::json& msg, std::set<int64_t>& mine,
                                     uint64_t* wait_for)
{
  BookProcess j;
  j.id = next_job_++;
  if (!options_.state_file.empty()) {
    // Ids are reserved on disk in blocks before they are handed out: a coordinator killed and restarted never
    // hands out an id twice, whatever its last checkpoint missed. The next block is reserved when half of this one
    // is used, so that a placement normally finds its id on disk already; one that does not waits for it.
    if (next_job_ + JOB_ID_BLOCK / 2 > reserved_job_) {
      reserved_job_ = next_job_ + JOB_ID_BLOCK;
      reservation_seq_ = checkpoint_locked();
    }
    if (j.id >= disk_next_job_.load())
      *wait_for = reservation_seq_;
  }
  j.name = fmt::format("{}-{}", msg["name"].get<std::string>(), j.id);
  j.client = client;
  j.home = host_at(msg["home"], static_cast<int>(hosts_.size()) - 1);
  j.started_s = now();
  add_job(j);
  mine.insert(j.id);
  int where = core_.place(j.id);
  core_.process_changed(j.id, where, ProcState::RUNNING);
  bool remote = where != j.home && !hosts_[static_cast<size_t>(where)].is_home;
  if (remote)
    core_.record_migration({now(), j.name, MigrationKind::EXEC, host_name(j.home), host_name(where), 0, 0});
  checkpoint_locked();
  // With a state file, the end is acknowledged once checkpointed (on_done); without one, a restart forgets the run
  // anyway and the client need not wait for an answer.
  // The token lets this client, and only it, re-attach the job after a restart (every client knows the shared
  // secret; none knows job_key_).
  nlohmann::json placed = {{"type", "placed"},
                           {"job", j.id},
                           {"host", remote ? host_name(where) : ""},
                           {"addr", remote ? hosts_[static_cast<size_t>(where)].endpoint.text() : ""},
                           {"ack", !options_.state_file.empty()},
                           {"token", job_token(j.id)}};
  // Run at home because no host takes foreign work: the client says why (once per build).
  if (std::string why = remote ? "" : no_host_reason(); !why.empty())
    placed["why"] = why;
  return placed;
}

nlohmann::json Coordinator::on_resume(int client, const nlohmann::json& msg, std::set<int64_t>& mine)
{
  int64_t id = msg["job"];
  if (id >= next_job_)
    throw ProtocolError(fmt::format("resume: job {} was never handed out by this coordinator", id));
  const std::string expected = job_token(id);
  const std::string& token = msg["token"].get_ref<const std::string&>();
  if (!same_token(token, expected))
    throw ProtocolError(fmt::format("resume: job {}: wrong token (only the client it was placed for may resume it)",
                                    id));
  nlohmann::json reply = {{"type", "resumed"}, {"job", id}};
  mine.insert(id);
  if (finished_.count(id))
    return reply; // its end is recorded; the client is repeating a `done` whose answer it did not get
  int home = host_at(msg["home"], static_cast<int>(hosts_.size()) - 1);
  const std::string& addr = msg["addr"];
  if (!core_.process(id)) {
    // Handed out, but the checkpoint the coordinator restarted from was written before: take the client's word.
    BookProcess j;
    j.id = id;
    j.name = fmt::format("{}-{}", msg["name"].get<std::string>(), id);
    j.home = home;
    // Clamped: a client's clock must not put a record outside what the journal's reader accepts.
    j.started_s = std::clamp(now() - msg["elapsed_s"].get<double>(), 0.0, now());
    add_job(j);
    int host = addr.empty() ? home : host_at(addr, home);
    core_.process_changed(id, host, ProcState::RUNNING);
    if (host != home && last_move(j.name) != MigrationKind::EXEC) // the journal may hold it, the snapshot not
      core_.record_migration({now(), j.name, MigrationKind::EXEC, host_name(home), host_name(host), 0, 0});
    fmt::print(stderr, "migd: job {} re-attached by its client (it was not in the checkpoint)\n", j.name);
  }
  core_.process_client(id, client);
  links_[id].orphan_since_s = -1;
  const BookProcess& j = *core_.process(id);
  if (addr.empty() && j.host != j.home) // rerun at home while the coordinator was away; the journal may have it
    core_.process_restarted(id, j.host, last_move(j.name) != MigrationKind::RESTART);
  checkpoint_locked();
  return reply;
}

void Coordinator::on_at_home(const nlohmann::json& msg, const std::set<int64_t>& mine)
{
  int64_t id = msg["job"];
  const BookProcess* j = core_.process(id);
  if (!j || !mine.count(id))
    throw ProtocolError(fmt::format("at_home: job {} is not one of this client's", id));
  // The agent was lost or the client gave up on it (an eviction already moved it home); the row may be in the
  // journal already if the snapshot lagged.
  core_.process_restarted(id, j->host, j->host != j->home && last_move(j->name) != MigrationKind::RESTART);
  checkpoint_locked();
}

nlohmann::json Coordinator::on_done(const nlohmann::json& msg, std::set<int64_t>& mine, uint64_t* wait_for)
{
  int64_t id = msg["job"];
  nlohmann::json reply = {{"type", "done_ok"}, {"job", id}};
  if (finished_.count(id) && mine.count(id)) {
    // Said again (its answer was lost): answered once the record is on disk, which may still be on its way.
    std::lock_guard lock(write_mutex_);
    *wait_for = snapshot_seq_;
    return options_.state_file.empty() ? nlohmann::json() : reply;
  }
  const BookProcess* p = core_.process(id);
  if (!p || !mine.count(id))
    throw ProtocolError(fmt::format("done: job {} is not one of this client's", id));
  const BookProcess& j = *p;
  JobRecord r;
  r.id = j.name;
  r.kind = "command";
  r.home_host = host_name(j.home);
  r.exec_host = host_name(j.host);
  r.ready_s = r.start_s = j.started_s;
  r.end_s = now();
  r.cpu_s = std::clamp(msg["cpu_s"].get<double>(), 0.0, 1e9); // the protocol's range is symmetric
  r.remote = j.host != j.home;
  records_.jobs.push_back(r);
  finished_.insert(id);
  mine.erase(id);
  forget_job(id);
  *wait_for = checkpoint_locked(); // acknowledged once on disk: a client whose migd dies meanwhile says it again
  return options_.state_file.empty() ? nlohmann::json() : reply;
}

nlohmann::json Coordinator::on_status() const
{
  const double t = now();
  nlohmann::json hosts = nlohmann::json::array();
  for (size_t h = 0; h < hosts_.size() && static_cast<double>(hosts.size()) < MAX_STATUS_ROWS; ++h) {
    if (hosts_[h].is_home)
      continue;
    const BookHost& s = core_.host(static_cast<int>(h));
    const std::string why = s.up && !s.owner_active && s.available ? "" : refusal(static_cast<int>(h));
    hosts.push_back({{"host", s.name},
                     {"addr", hosts_[h].endpoint.text()},
                     {"state", !s.up ? "down" : s.owner_active ? "owner" : s.available ? "available" : "busy"},
                     {"input_idle_s", s.last_input_s < -1e17 ? nullptr : nlohmann::json(std::max(0.0, t - s.last_input_s))},
                     {"load1", s.load[0]},
                     {"load5", s.load[1]},
                     {"load15", s.load[2]},
                     {"running", s.running},
                     {"foreign", s.foreign},
                     {"why", why}});
  }
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& [id, p] : core_.processes()) {
    if (static_cast<double>(jobs.size()) >= MAX_STATUS_ROWS)
      break;
    jobs.push_back({{"job", id},
                    {"name", p.name},
                    {"home", host_name(p.home)},
                    {"host", host_name(p.host)},
                    {"state", to_string(p.state)},
                    {"for_s", std::max(0.0, t - p.run_start_s)}});
  }
  return {{"type", "status_report"}, {"policy", options_.policy.name},        {"now_s", t},
          {"hosts", hosts},          {"jobs", jobs}, {"jobs_total", core_.processes().size()}};
}

void Coordinator::serve_client(Connection& conn)
{
  int client;
  {
    std::lock_guard lock(mutex_);
    client = next_client_++;
  }
  std::set<int64_t> mine;
  try {
    for (;;) {
      nlohmann::json msg = conn.receive();
      nlohmann::json reply;
      uint64_t wait_for = 0;
      bool records_only = false; // an end is acknowledged once its record is on disk; an id once its reservation is
      {
        std::lock_guard lock(mutex_);
        const std::string type = msg["type"];
        if (type == "place")
          reply = on_place(client, msg, mine, &wait_for);
        else if (type == "resume")
          reply = on_resume(client, msg, mine);
        else if (type == "at_home")
          on_at_home(msg, mine);
        else if (type == "done") {
          reply = on_done(msg, mine, &wait_for);
          records_only = true;
        } else if (type == "status")
          reply = on_status();
        else
          throw ProtocolError(fmt::format("a client may not send \"{}\"", type));
      }
      if (wait_for)
        wait_written(wait_for, records_only);
      if (!reply.is_null())
        conn.send(reply);
    }
  } catch (const std::exception& e) {
    // A client that goes away (or is dropped) while this coordinator lives takes its unfinished jobs with it.
    std::lock_guard lock(mutex_);
    bool forgot = false;
    for (int64_t id : mine)
      if (const BookProcess* p = core_.process(id); p && p->client == client) {
        forget_job(id);
        forgot = true;
      }
    if (forgot)
      checkpoint_locked();
    if (!dynamic_cast<const ConnectionLost*>(&e))
      throw;
  }
}

} // namespace spritesim::real
