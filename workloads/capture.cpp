// Records of a captured make build and their assembly into a trace (see capture.hpp, docs/capture.md).
#include "workloads/capture.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"

namespace spritesim {

namespace fs = std::filesystem;

nlohmann::json to_json(const ShellRecord& r)
{
  return {{"id", r.id},
          {"parent", r.parent},
          {"make_level", r.make_level},
          {"cwd", r.cwd},
          {"target", r.target},
          {"prereqs", r.prereqs},
          {"argv", r.argv},
          {"start_s", r.start_s},
          {"end_s", r.end_s},
          {"cpu_s", r.cpu_s},
          {"shim_cpu_s", r.shim_cpu_s},
          {"make_cpu_s", r.make_cpu_s},
          {"make_children_cpu_s", r.make_children_cpu_s},
          {"env_bytes", r.env_bytes},
          {"exit_status", r.exit_status},
          {"signal", r.signal},
          {"output_bytes", r.output_bytes}};
}

namespace {

std::vector<std::string> strings(const JsonReader& obj, std::string_view key)
{
  std::vector<std::string> out;
  for (const auto& e : obj.member(key).elements())
    out.push_back(e.as_string());
  return out;
}

} // namespace

ShellRecord parse_shell_record(const std::string& line, const std::string& file, int64_t line_no)
{
  std::string where = fmt::format("line {}", line_no);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(file, where, fmt::format("not a JSON record (a capture log line is one JSON object): {}",
                                              e.what()));
  }
  try {
    JsonReader r(doc, file);
    ShellRecord s;
    s.id = r.required_string("id");
    s.parent = r.string("parent", "");
    s.make_level = r.integer("make_level", -1, -1, 1 << 20);
    s.cwd = r.required_string("cwd");
    s.target = r.string("target", "");
    s.prereqs = strings(r, "prereqs");
    s.argv = strings(r, "argv");
    s.start_s = r.required_number("start_s", 0, 1e12);
    s.end_s = r.required_number("end_s", s.start_s, 1e12);
    s.cpu_s = r.required_number("cpu_s", 0, 1e12);
    s.shim_cpu_s = r.number("shim_cpu_s", 0, 0, 1e12);
    s.make_cpu_s = r.number("make_cpu_s", -1, -1, 1e12);
    s.make_children_cpu_s = r.number("make_children_cpu_s", -1, -1, 1e12);
    s.env_bytes = r.integer("env_bytes", 0, 0, int64_t{1} << 40);
    s.exit_status = static_cast<int>(r.integer("exit_status", 0, 0, 255));
    s.signal = static_cast<int>(r.integer("signal", 0, 0, 128));
    s.output_bytes = r.integer("output_bytes", -1, -1, int64_t{1} << 50);
    r.finish();
    return s;
  } catch (const InputError& e) {
    throw InputError(file, fmt::format("{}, {}", where, e.where()), e.message());
  }
}

std::vector<ShellRecord> parse_capture_log(const std::string& text, const std::string& file)
{
  std::vector<ShellRecord> out;
  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos)
      throw InputError(file, fmt::format("line {}", line_no + 1), "truncated record (no newline at the end)");
    ++line_no;
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    out.push_back(parse_shell_record(line, file, line_no));
  }
  return out;
}

std::string guess_job_kind(const std::vector<std::string>& command_lines)
{
  static const std::set<std::string> compilers = {"cc", "gcc", "g++", "c++", "clang", "clang++", "c89", "c99"};
  bool linked = false;
  for (const auto& line : command_lines) {
    std::vector<std::string> words;
    size_t p = 0;
    while ((p = line.find_first_not_of(" \t\n", p)) != std::string::npos) {
      size_t e = line.find_first_of(" \t\n", p);
      words.push_back(line.substr(p, e == std::string::npos ? std::string::npos : e - p));
      p = e;
    }
    if (words.empty())
      continue;
    std::string tool = fs::path(words[0]).filename().string();
    // Cross compilers are named after their target triplet (x86_64-linux-gnu-gcc): compare the last part.
    if (auto dash = tool.rfind('-'); dash != std::string::npos && !compilers.count(tool))
      tool = tool.substr(dash + 1);
    bool compiler = compilers.count(tool) > 0;
    if (compiler && std::find(words.begin(), words.end(), "-c") != words.end())
      return "compile";
    if (compiler || tool == "ld" || tool == "ar")
      linked = true;
  }
  return linked ? "link" : "command";
}

namespace {

// One job in the making: every recipe line one make ran for one target.
struct Group {
  std::string parent; // the record that ran this group's make
  std::string cwd;
  std::string target;
  std::vector<size_t> records;
  std::string id;
  std::vector<size_t> nested; // groups run by the make this group's recipe ran
  bool ran_make = false;
};

std::string normal_path(const std::string& cwd, const std::string& name)
{
  return (fs::path(cwd) / name).lexically_normal().string();
}

// The job id: the target's path relative to where make was started (so a recursive build's ids stay distinct).
std::string job_id_for(const std::string& root, const std::string& cwd, const std::string& target)
{
  fs::path rel = fs::path(normal_path(cwd, target)).lexically_relative(root);
  if (rel.empty() || rel.string().rfind("..", 0) == 0)
    return normal_path(cwd, target);
  return rel.string();
}

// Measured seconds to the microsecond: finer digits are noise of the sums, not measurement.
double micro(double s) { return std::round(s * 1e6) / 1e6; }

double median(std::vector<double> v)
{
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The recipe lines grouped into jobs, and which record's group each record ran in.
struct Grouping {
  std::vector<Group> groups;
  std::map<std::string, size_t> group_of_record; // record id -> group
  std::vector<long> enclosing;                   // the group whose recipe ran this group's make, or -1
};

// Recipe lines of the same target in the same make form one job, in order of their first line's start; a group
// whose recipe ran a make holds the groups that make ran. Ids are relative target paths, unique in that order.
Grouping group_records(const std::vector<ShellRecord>& records, const std::string& make_cwd,
                       const std::string& log_file)
{
  std::vector<size_t> order(records.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return records[a].start_s < records[b].start_s; });
  Grouping out;
  auto& groups = out.groups;
  std::map<std::tuple<std::string, std::string, std::string>, size_t> group_of_key;
  for (size_t i : order) {
    const ShellRecord& r = records[i];
    if (r.target.empty())
      continue; // a $(shell ...) while make read its makefiles: make's own work, in its CPU
    auto [it, fresh] = group_of_key.emplace(std::make_tuple(r.parent, r.cwd, r.target), groups.size());
    if (fresh)
      groups.push_back(Group{r.parent, r.cwd, r.target, {}, "", {}, false});
    groups[it->second].records.push_back(i);
    out.group_of_record[r.id] = it->second;
  }
  if (groups.empty())
    throw InputError(log_file, "", "make ran no recipe, so there is nothing to trace (was everything up to date?)");
  out.enclosing.assign(groups.size(), -1);
  for (size_t g = 0; g < groups.size(); ++g)
    if (auto it = out.group_of_record.find(groups[g].parent); !groups[g].parent.empty() &&
                                                               it != out.group_of_record.end()) {
      groups[it->second].nested.push_back(g);
      groups[it->second].ran_make = true;
      out.enclosing[g] = static_cast<long>(it->second);
    }
  std::set<std::string> used;
  for (auto& g : groups) {
    std::string base = job_id_for(make_cwd, g.cwd, g.target), id = base;
    for (int n = 2; used.count(id); ++n)
      id = fmt::format("{}#{}", base, n);
    used.insert(id);
    g.id = id;
  }
  return out;
}

// Direct edges: a prerequisite rebuilt by a group of the same make (else the last one finished before).
std::vector<std::vector<size_t>> direct_edges(const std::vector<ShellRecord>& records, const std::vector<Group>& groups)
{
  std::map<std::string, std::vector<size_t>> groups_of_path;
  for (size_t g = 0; g < groups.size(); ++g)
    groups_of_path[normal_path(groups[g].cwd, groups[g].target)].push_back(g);
  auto start_of = [&](size_t g) { return records[groups[g].records.front()].start_s; };
  auto end_of = [&](size_t g) { return records[groups[g].records.back()].end_s; };
  std::vector<std::vector<size_t>> direct(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    std::set<size_t> seen;
    for (size_t ri : groups[g].records)
      for (const auto& p : records[ri].prereqs) {
        auto it = groups_of_path.find(normal_path(groups[g].cwd, p));
        if (it == groups_of_path.end())
          continue;
        long pick = -1;
        for (size_t c : it->second)
          if (c != g && groups[c].parent == groups[g].parent)
            pick = static_cast<long>(c);
        if (pick < 0)
          for (size_t c : it->second)
            if (c != g && end_of(c) <= start_of(g))
              pick = static_cast<long>(c);
        if (pick >= 0 && seen.insert(static_cast<size_t>(pick)).second)
          direct[g].push_back(static_cast<size_t>(pick));
      }
  }
  return direct;
}

// What "g is done" means, for each g: g itself and, when its recipe ran a make, every job of that make (its sinks
// suffice). Nesting follows process parenthood, so it has no cycles.
std::vector<std::vector<size_t>> completion_sets(const std::vector<Group>& groups,
                                                 const std::vector<std::vector<size_t>>& direct)
{
  std::vector<std::vector<size_t>> done(groups.size());
  std::vector<bool> computed(groups.size(), false);
  auto completion = [&](auto&& self, size_t g) -> const std::vector<size_t>& {
    if (computed[g])
      return done[g];
    computed[g] = true;
    std::vector<size_t> out = {g};
    std::set<size_t> inner;
    for (size_t n : groups[g].nested)
      for (size_t d : direct[n])
        inner.insert(d);
    for (size_t n : groups[g].nested)
      if (!inner.count(n))
        for (size_t c : self(self, n))
          out.push_back(c);
    done[g] = out;
    return done[g];
  };
  for (size_t g = 0; g < groups.size(); ++g)
    completion(completion, g);
  return done;
}

// One group's job without its edges; the exec argument and script sizes it measured go to `arg_bytes` and
// `script_bytes`. `nested_cpu`: the CPU of the recipes its own make ran, which its rusage holds too.
TraceJob group_job(const std::vector<ShellRecord>& records, const Group& gr, double nested_cpu,
                   std::vector<double>& arg_bytes, std::vector<double>& script_bytes)
{
  TraceJob job;
  job.id = gr.id;
  std::vector<std::string> lines;
  double cpu = 0;
  int64_t written = 0;
  std::set<std::string> prereqs;
  for (size_t ri : gr.records) {
    const ShellRecord& r = records[ri];
    cpu += r.cpu_s;
    lines.push_back(r.argv.empty() ? "" : r.argv.back());
    written = std::max(written, r.output_bytes);
    size_t argv_bytes = 0;
    for (const auto& a : r.argv)
      argv_bytes += a.size() + 1;
    arg_bytes.push_back(static_cast<double>(argv_bytes + static_cast<size_t>(r.env_bytes)));
    // Prerequisites make examined for this target: $^ as the recipe's shell saw it (headers included when the
    // makefile lists them, e.g. from the compiler's dependency files).
    prereqs.insert(r.prereqs.begin(), r.prereqs.end());
  }
  cpu -= nested_cpu; // a recipe that ran a make keeps only that make's own work
  std::string script;
  for (const auto& l : lines)
    script += l + "\n";
  script_bytes.push_back(static_cast<double>(script.size()));
  const ShellRecord& first = records[gr.records.front()];
  const ShellRecord& last = records[gr.records.back()];
  job.argv.assign(first.argv.begin(), first.argv.end() - (first.argv.empty() ? 0 : 1));
  job.argv.push_back(script.substr(0, script.size() - 1)); // lines joined by newlines: one shell script
  job.kind = gr.ran_make ? "command" : guess_job_kind(lines);
  job.cpu_s = micro(std::max(0.0, cpu));
  job.bytes_written = written;
  job.reads_dep_outputs = job.kind == "link";
  job.prereqs = static_cast<int64_t>(prereqs.size());
  job.cwd = gr.cwd;
  job.wall_s = micro(last.end_s - first.start_s);
  job.exit_status = last.signal ? -last.signal : last.exit_status; // make stops a recipe at its failing line
  return job;
}

} // namespace

BuildTrace assemble_trace(const std::vector<ShellRecord>& records, const MakeRun& run, const std::string& log_file)
{
  Grouping grouping = group_records(records, run.cwd, log_file);
  const auto& groups = grouping.groups;
  auto direct = direct_edges(records, groups);
  auto done = completion_sets(groups, direct);
  // A recipe's rusage holds everything it reaped: for a recipe that ran a make, its recipes and their shims.
  std::vector<double> nested_cpu(groups.size(), 0.0);
  for (const auto& r : records)
    if (auto it = grouping.group_of_record.find(r.parent); !r.target.empty() && it != grouping.group_of_record.end())
      nested_cpu[it->second] += r.cpu_s + r.shim_cpu_s;

  BuildTrace trace;
  trace.name = run.name;
  trace.reference_profile = run.reference_profile;
  std::vector<double> arg_bytes, script_bytes;
  size_t top_jobs = 0;
  const ShellRecord* first_top = nullptr;
  for (size_t g = 0; g < groups.size(); ++g) {
    TraceJob job = group_job(records, groups[g], nested_cpu[g], arg_bytes, script_bytes);
    std::set<std::string> deps;
    auto add_dep = [&](size_t d) {
      if (d != g && deps.insert(groups[d].id).second)
        job.deps.push_back(groups[d].id);
    };
    for (size_t d : direct[g])
      for (size_t c : done[d])
        add_dep(c);
    const long enclosing = grouping.enclosing[g];
    if (enclosing >= 0) // a nested job starts after the make that runs it (redundant edges are harmless)
      add_dep(static_cast<size_t>(enclosing));
    trace.jobs.push_back(std::move(job));
    const ShellRecord& first = records[groups[g].records.front()];
    if (enclosing < 0) {
      ++top_jobs;
      if (!first_top || first.start_s < first_top->start_s)
        first_top = &first;
    }
  }

  // make's own work: what it used before its first recipe (reading makefiles, $(shell)s, deciding what is out of
  // date), and per job what it used after that (examine, fork, wait), from /proc/PID/stat of make.
  if (first_top && first_top->make_cpu_s >= 0) {
    trace.tool.scan_cpu_s = micro(first_top->make_cpu_s + std::max(0.0, first_top->make_children_cpu_s));
    if (run.self_cpu_s >= 0 && top_jobs > 0)
      trace.tool.job_cpu_s =
          micro(std::max(0.0, run.self_cpu_s - first_top->make_cpu_s) / static_cast<double>(top_jobs));
  }
  trace.tool.exec_arg_bytes = static_cast<int64_t>(median(arg_bytes));
  trace.tool.script_bytes = static_cast<int64_t>(median(script_bytes));
  return trace;
}

} // namespace spritesim
