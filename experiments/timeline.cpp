// Chrome/Perfetto trace-event JSON of a run (see timeline.hpp). Events are built as JSON objects (keys come out
// sorted) and sorted by time, then host and lane, so the file is byte-identical for the same run.
#include "experiments/timeline.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/output_files.hpp"

namespace spritesim {

namespace {

// Microseconds, rounded to the nanosecond so that float noise below it never changes the bytes.
double us(double seconds) { return std::round(seconds * 1e9) / 1e3; }

// Seconds in args, to the microsecond like the CSVs.
double s6(double seconds) { return std::round(seconds * 1e6) / 1e6; }

// Threads of one host: jobs on lanes 1, 2, ...; migrations leaving it on lanes MIGRATION_TID, +1, ...
constexpr int MIGRATION_TID = 1001;

// Greedy interval partitioning: each interval takes the first lane free at its start, so intervals on one lane
// never overlap and the viewer nests nothing by accident.
class Lanes {
public:
  int take(double start, double end)
  {
    for (size_t i = 0; i < ends_.size(); ++i)
      if (ends_[i] <= start) {
        ends_[i] = end;
        return static_cast<int>(i);
      }
    ends_.push_back(end);
    return static_cast<int>(ends_.size() - 1);
  }
  int count() const { return static_cast<int>(ends_.size()); }

private:
  std::vector<double> ends_;
};

std::string host_name(const std::string& h) { return h.empty() ? "unknown" : h; }

struct Event {
  double ts;
  int pid;
  int tid;
  std::string name;
  nlohmann::json json;
};

nlohmann::json metadata(const char* what, int pid, int tid, const nlohmann::json& args)
{
  return {{"name", what}, {"ph", "M"}, {"pid", pid}, {"tid", tid}, {"args", args}};
}

// The processes of the trace (one per host, pid 1, 2, ...) and each host's lanes of jobs and of migrations.
struct Tracks {
  std::vector<std::string> hosts;
  std::map<std::string, int> pid_of;
  std::map<std::string, Lanes> job_lanes, migration_lanes;
};

// Hosts that compute, in results order; then any other host an event names, sorted.
Tracks host_tracks(const RunResult& r)
{
  Tracks t;
  auto add_host = [&](const std::string& h) {
    if (!t.pid_of.count(h)) {
      t.hosts.push_back(h);
      t.pid_of[h] = static_cast<int>(t.hosts.size());
    }
  };
  for (const auto& h : r.hosts)
    if (h.role != "network" && h.role != "file_server")
      add_host(h.host);
  std::vector<std::string> others;
  for (const auto& j : r.jobs)
    if (j.end_s > 0) // a job that never finished has no interval to draw
      others.push_back(host_name(j.exec_host));
  for (const auto& m : r.migrations)
    others.push_back(host_name(m.from_host));
  std::sort(others.begin(), others.end());
  for (const auto& h : others)
    add_host(h);
  return t;
}

// One complete event per finished job, on a free lane of the host it ran on.
void job_events(const RunResult& r, Tracks& t, std::vector<Event>& events)
{
  std::vector<const JobRecord*> jobs;
  for (const auto& j : r.jobs)
    if (j.end_s > 0) // a job that never finished has no interval to draw
      jobs.push_back(&j);
  std::stable_sort(jobs.begin(), jobs.end(), [](const JobRecord* a, const JobRecord* b) {
    return std::tie(a->start_s, a->end_s, a->id) < std::tie(b->start_s, b->end_s, b->id);
  });
  for (const JobRecord* j : jobs) {
    int pid = t.pid_of.at(host_name(j->exec_host));
    int tid = 1 + t.job_lanes[host_name(j->exec_host)].take(j->start_s, j->end_s);
    nlohmann::json e = {{"name", j->id},
                        {"cat", j->kind},
                        {"ph", "X"},
                        {"ts", us(j->start_s)},
                        {"dur", us(std::max(0.0, j->end_s - j->start_s))},
                        {"pid", pid},
                        {"tid", tid},
                        {"args",
                         {{"job_id", j->id},
                          {"kind", j->kind},
                          {"home_host", j->home_host},
                          {"exec_host", j->exec_host},
                          {"ready_s", s6(j->ready_s)},
                          {"cpu_s", s6(j->cpu_s)},
                          {"remote", j->remote},
                          {"lookups", j->lookups}}}};
    events.push_back({us(j->start_s), pid, tid, j->id, std::move(e)});
  }
}

// One event per migration on its source host: complete when it took time, an instant otherwise.
void migration_events(const RunResult& r, Tracks& t, std::vector<Event>& events)
{
  std::vector<const MigrationRecord*> migrations;
  for (const auto& m : r.migrations)
    migrations.push_back(&m);
  std::stable_sort(migrations.begin(), migrations.end(), [](const MigrationRecord* a, const MigrationRecord* b) {
    return std::tie(a->time_s, a->job_id) < std::tie(b->time_s, b->job_id);
  });
  for (const MigrationRecord* m : migrations) {
    int pid = t.pid_of.at(host_name(m->from_host));
    int tid = MIGRATION_TID + t.migration_lanes[host_name(m->from_host)].take(m->time_s, m->time_s + m->duration_s);
    std::string name = std::string(to_string(m->kind)) + " " + m->job_id;
    nlohmann::json e = {{"name", name},
                        {"cat", "migration"},
                        {"ts", us(m->time_s)},
                        {"pid", pid},
                        {"tid", tid},
                        {"args",
                         {{"kind", to_string(m->kind)},
                          {"job_id", m->job_id},
                          {"from", m->from_host},
                          {"to", m->to_host},
                          {"bytes", m->bytes},
                          {"duration_s", s6(m->duration_s)}}}};
    if (m->duration_s > 0) {
      e["ph"] = "X";
      e["dur"] = us(m->duration_s);
    } else {
      e["ph"] = "i";
      e["s"] = "t"; // an instant on its thread
    }
    events.push_back({us(m->time_s), pid, tid, name, std::move(e)});
  }
}

} // namespace

std::string timeline_text(const RunResult& r)
{
  Tracks t = host_tracks(r);
  std::vector<Event> events;
  job_events(r, t, events);
  migration_events(r, t, events);
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.ts, a.pid, a.tid, a.name) < std::tie(b.ts, b.pid, b.tid, b.name);
  });
  std::vector<nlohmann::json> out;
  for (const auto& h : t.hosts) {
    int pid = t.pid_of[h];
    out.push_back(metadata("process_name", pid, 0, {{"name", h}}));
    out.push_back(metadata("process_sort_index", pid, 0, {{"sort_index", pid}}));
    for (int l = 0; l < t.job_lanes[h].count(); ++l)
      out.push_back(metadata("thread_name", pid, 1 + l, {{"name", l ? "jobs " + std::to_string(l + 1) : "jobs"}}));
    for (int l = 0; l < t.migration_lanes[h].count(); ++l)
      out.push_back(metadata("thread_name", pid, MIGRATION_TID + l,
                             {{"name", l ? "migrations " + std::to_string(l + 1) : "migrations"}}));
  }
  for (auto& e : events)
    out.push_back(std::move(e.json));

  nlohmann::json other = {{"generator", "spritesim run --timeline"},
                          {"makespan_s", s6(r.makespan_s)},
                          {"jobs", r.jobs.size()},
                          {"migrations", r.migrations.size()}};
  // One event per line: readable, diffable, and still one JSON document.
  std::string text = "{\"displayTimeUnit\":\"ms\",\"otherData\":" + other.dump() + ",\"traceEvents\":[\n";
  for (size_t i = 0; i < out.size(); ++i)
    text += out[i].dump() + (i + 1 < out.size() ? ",\n" : "\n");
  return text + "]}\n";
}

void write_timeline(const std::string& path, const RunResult& r)
{
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty())
    make_directories(parent.string());
  write_file_atomic(path, timeline_text(r));
}

} // namespace spritesim
