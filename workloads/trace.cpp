// Reading and writing build traces (schema: docs/trace-format.md). Parsing is strict: every field is type- and
// range-checked, unknown keys are errors, and the jobs must form a DAG; errors name the file, the JSON path of the
// bad value and, when the text is at hand, its line. The JSON Lines encoding is in trace_jsonl.cpp.
#include "workloads/trace.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/limits.hpp"
#include "workloads/build_dag.hpp"

namespace spritesim {

namespace {

constexpr const char* TRACE_FORMAT = "spritesim-trace";

// Own messages for the common mistakes: the reader's "expected a number in [0, 1.7976931348623157e+308]" would
// bury the point. The reader's as_number/as_integer still do the final conversion.
void check_quantity(const JsonReader& value, const char* unit, bool whole)
{
  const nlohmann::json& v = value.node();
  const char* kind = whole ? "a whole number of" : "a number of";
  if (!v.is_number())
    value.fail(fmt::format("expected {} {} >= 0, got {}", kind, unit, json_type_name(v)));
  if (v.get<double>() < 0)
    value.fail(fmt::format("must not be negative ({}), got {}", unit, v.dump()));
  if (whole && v.is_number_float() && std::floor(v.get<double>()) != v.get<double>())
    value.fail(fmt::format("expected {} {} >= 0, got {}", kind, unit, v.dump()));
}

double required_seconds(const JsonReader& obj, std::string_view key)
{
  JsonReader value = obj.member(key);
  check_quantity(value, "seconds", false);
  return value.as_number(0, MAX_SIM_SECONDS);
}

double seconds(const JsonReader& obj, std::string_view key, double def)
{
  return obj.has(key) ? required_seconds(obj, key) : def;
}

int64_t count(const JsonReader& obj, std::string_view key, int64_t def, const char* unit)
{
  if (!obj.has(key))
    return def;
  JsonReader value = obj.member(key);
  check_quantity(value, unit, true);
  return value.as_integer(0, std::string_view(unit) == "bytes" ? MAX_BYTES : MAX_COUNT);
}

std::vector<std::string> string_list(const JsonReader& obj, std::string_view key)
{
  std::vector<std::string> out;
  if (auto list = obj.optional_member(key))
    for (const JsonReader& item : list->elements())
      out.push_back(item.as_string());
  return out;
}

TraceTool parse_tool(const JsonReader& r, int64_t version)
{
  TraceTool tool;
  tool.scan_cpu_s = seconds(r, "scan_cpu_s", tool.scan_cpu_s);
  tool.scan_lookups = count(r, "scan_lookups", tool.scan_lookups, "lookups");
  tool.job_cpu_s = seconds(r, "job_cpu_s", tool.job_cpu_s);
  if (version >= 3) {
    tool.prereq_cpu_s = seconds(r, "prereq_cpu_s", tool.prereq_cpu_s);
    tool.job_lookups = count(r, "job_lookups", tool.job_lookups, "lookups");
  }
  tool.exec_arg_bytes = count(r, "exec_arg_bytes", tool.exec_arg_bytes, "bytes");
  tool.script_bytes = count(r, "script_bytes", tool.script_bytes, "bytes");
  r.finish();
  return tool;
}

std::string join_ids(const std::vector<std::string>& ids)
{
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i)
    out += (i ? " -> " : "") + ids[i];
  return out;
}

} // namespace

void read_trace_header(const JsonReader& root, BuildTrace& trace)
{
  JsonReader format = root.member("format");
  if (format.as_string() != TRACE_FORMAT)
    format.fail(fmt::format("expected \"{}\", got \"{}\" (is this a build trace?)", TRACE_FORMAT,
                            format.as_string()));
  JsonReader version = root.member("version");
  if (!version.node().is_number_integer())
    version.fail(fmt::format("expected the integer {} (or an older version from 1), got {}", TRACE_VERSION,
                             json_type_name(version.node())));
  trace.version = version.node().get<int64_t>();
  if (trace.version < 1 || trace.version > TRACE_VERSION)
    version.fail(fmt::format("unsupported trace version {} (this spritesim reads versions 1 to {})",
                             version.node().dump(), TRACE_VERSION));
  trace.name = root.string("name", trace.name);
  trace.reference_profile = root.string("reference_profile", trace.reference_profile);
  trace.sequential_s = seconds(root, "sequential_s", trace.sequential_s);
  trace.source = root.string("source", trace.source);
  if (auto tool = root.optional_member("tool"))
    trace.tool = parse_tool(*tool, trace.version);
}

HardwareProfile reference_profile_of(const BuildTrace& trace, const std::string& file)
{
  try {
    return load_profile(trace.reference_profile, "workstation");
  } catch (const InputError& e) {
    throw InputError(file, "$.reference_profile",
                     fmt::format("the profile the CPU seconds were measured on does not load: {}", e.what()));
  }
}

TraceJob read_trace_job(const JsonReader& r, int64_t version)
{
  TraceJob job;
  JsonReader id = r.member("id");
  job.id = id.as_string();
  if (job.id.empty())
    id.fail("a job id must not be empty");
  job.kind = r.choice("kind", job.kind, {"compile", "link", "command"});
  job.argv = string_list(r, "argv");
  job.deps = string_list(r, "deps");
  job.cpu_s = required_seconds(r, "cpu_s");
  job.lookups = count(r, "lookups", job.lookups, "lookups");
  job.files_opened = count(r, "files_opened", job.files_opened, "files");
  job.bytes_read = count(r, "bytes_read", job.bytes_read, "bytes");
  job.bytes_written = count(r, "bytes_written", job.bytes_written, "bytes");
  job.forwarded_calls = count(r, "forwarded_calls", job.forwarded_calls, "calls");
  job.reads_dep_outputs = r.boolean("reads_dep_outputs", job.reads_dep_outputs);
  if (version >= 2) { // in a version 1 file these keys are unknown keys, as they always were
    job.cwd = r.string("cwd", job.cwd);
    job.cpu_profile = r.string("cpu_profile", job.cpu_profile);
    job.wall_s = seconds(r, "wall_s", job.wall_s);
    job.dirty_bytes = count(r, "dirty_bytes", job.dirty_bytes, "bytes");
    job.exit_status = r.integer("exit_status", job.exit_status, -128, 255);
  }
  if (version >= 3)
    job.prereqs = count(r, "prereqs", job.prereqs, "prerequisites");
  r.finish();
  return job;
}

namespace {

bool seconds_ok(const nlohmann::json& x)
{
  return x.is_number() && x.get<double>() >= 0 && x.get<double>() <= MAX_SIM_SECONDS;
}
bool count_ok(const nlohmann::json& x)
{
  return (x.is_number_unsigned() && x.get<uint64_t>() <= static_cast<uint64_t>(MAX_COUNT)) ||
         (x.is_number_integer() && x.get<int64_t>() >= 0 && x.get<int64_t>() <= MAX_COUNT);
}
bool strings_ok(const nlohmann::json& x, std::vector<std::string>& out)
{
  if (!x.is_array())
    return false;
  out.clear();
  out.reserve(x.size());
  for (const auto& e : x) {
    if (!e.is_string())
      return false;
    out.push_back(e.get_ref<const std::string&>());
  }
  return true;
}

// Accepts only what the strict reader accepts, and reads the same values; false sends the job to the strict
// reader, which finds and names the problem.
bool read_job_fast(const nlohmann::json& v, int64_t version, TraceJob& job)
{
  if (!v.is_object())
    return false;
  bool has_id = false, has_cpu = false;
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& k = it.key();
    const nlohmann::json& x = it.value();
    if (k == "id") {
      if (!x.is_string() || x.get_ref<const std::string&>().empty())
        return false;
      job.id = x.get_ref<const std::string&>();
      has_id = true;
    } else if (k == "cpu_s") {
      if (!seconds_ok(x))
        return false;
      job.cpu_s = x.get<double>();
      has_cpu = true;
    } else if (k == "kind") {
      if (!x.is_string())
        return false;
      const auto& kind = x.get_ref<const std::string&>();
      if (kind != "compile" && kind != "link" && kind != "command")
        return false;
      job.kind = kind;
    } else if (k == "argv" || k == "deps") {
      if (!strings_ok(x, k == "argv" ? job.argv : job.deps))
        return false;
    } else if (k == "lookups" || k == "files_opened" || k == "bytes_read" || k == "bytes_written" ||
               k == "forwarded_calls" || (version >= 2 && k == "dirty_bytes") || (version >= 3 && k == "prereqs")) {
      if (!count_ok(x))
        return false;
      auto n = x.get<int64_t>();
      (k == "lookups"           ? job.lookups
       : k == "files_opened"    ? job.files_opened
       : k == "bytes_read"      ? job.bytes_read
       : k == "bytes_written"   ? job.bytes_written
       : k == "forwarded_calls" ? job.forwarded_calls
       : k == "prereqs"         ? job.prereqs
                                : job.dirty_bytes) = n;
    } else if (k == "reads_dep_outputs") {
      if (!x.is_boolean())
        return false;
      job.reads_dep_outputs = x.get<bool>();
    } else if (version >= 2 && (k == "cwd" || k == "cpu_profile")) {
      if (!x.is_string())
        return false;
      (k == "cwd" ? job.cwd : job.cpu_profile) = x.get_ref<const std::string&>();
    } else if (version >= 2 && k == "wall_s") {
      if (!seconds_ok(x))
        return false;
      job.wall_s = x.get<double>();
    } else if (version >= 2 && k == "exit_status") {
      if (!x.is_number_integer() || x.get<int64_t>() < -128 || x.get<int64_t>() > 255)
        return false;
      job.exit_status = x.get<int64_t>();
    } else {
      return false; // an unknown key
    }
  }
  return has_id && has_cpu;
}

} // namespace

TraceJob read_trace_job(const nlohmann::json& v, int64_t version, const std::string& file,
                        const std::function<std::string()>& where)
{
  TraceJob job;
  if (read_job_fast(v, version, job))
    return job;
  return read_trace_job(JsonReader(v, file, where()), version);
}

void validate_trace(const BuildTrace& trace, const std::string& file, const JobLocator& where)
{
  BuildDag dag(trace, file, where); // duplicate ids, unknown dependencies
  if (auto cycle = dag.find_cycle()) {
    std::vector<std::string> ids;
    for (size_t i : *cycle)
      ids.push_back(trace.jobs[i].id);
    throw InputError(file, where(cycle->front()), "dependency cycle: " + join_ids(ids));
  }
}

BuildTrace parse_trace(const nlohmann::json& doc, const std::string& file, const std::vector<int64_t>* job_lines)
{
  JsonReader root(doc, file);
  BuildTrace trace;
  read_trace_header(root, trace);

  JobLocator where = [job_lines](size_t i) {
    if (job_lines && i < job_lines->size())
      return fmt::format("line {}: $.jobs[{}]", (*job_lines)[i], i);
    return fmt::format("$.jobs[{}]", i);
  };
  JsonReader jobs = root.member("jobs");
  if (!jobs.node().is_array())
    jobs.fail("expected an array of jobs, got " + json_type_name(jobs.node()));
  trace.jobs.reserve(jobs.node().size());
  for (size_t i = 0; i < jobs.node().size(); ++i)
    trace.jobs.push_back(read_trace_job(jobs.node()[i], trace.version, file, [&where, i] { return where(i); }));
  if (trace.jobs.empty())
    jobs.fail("a trace needs at least one job");
  root.finish();
  validate_trace(trace, file, where);
  return trace;
}

nlohmann::json trace_header_to_json(const BuildTrace& trace)
{
  nlohmann::json doc;
  doc["format"] = TRACE_FORMAT;
  doc["version"] = TRACE_VERSION;
  doc["name"] = trace.name;
  doc["reference_profile"] = trace.reference_profile;
  doc["sequential_s"] = trace.sequential_s;
  doc["source"] = trace.source;
  doc["tool"] = {
      {"scan_cpu_s", trace.tool.scan_cpu_s},         {"scan_lookups", trace.tool.scan_lookups},
      {"job_cpu_s", trace.tool.job_cpu_s},           {"exec_arg_bytes", trace.tool.exec_arg_bytes},
      {"script_bytes", trace.tool.script_bytes},     {"prereq_cpu_s", trace.tool.prereq_cpu_s},
      {"job_lookups", trace.tool.job_lookups},
  };
  return doc;
}

nlohmann::json trace_job_to_json(const TraceJob& job, bool compact)
{
  static const TraceJob DEFAULTS;
  nlohmann::json j;
  // ordered_json is not used elsewhere; nlohmann::json sorts keys, which keeps the bytes deterministic.
  j["id"] = job.id;
  j["cpu_s"] = job.cpu_s;
  auto put = [&](const char* key, const auto& value, const auto& def) {
    if (!compact || value != def)
      j[key] = value;
  };
  put("kind", job.kind, DEFAULTS.kind);
  put("argv", job.argv, DEFAULTS.argv);
  put("deps", job.deps, DEFAULTS.deps);
  put("lookups", job.lookups, DEFAULTS.lookups);
  put("files_opened", job.files_opened, DEFAULTS.files_opened);
  put("bytes_read", job.bytes_read, DEFAULTS.bytes_read);
  put("bytes_written", job.bytes_written, DEFAULTS.bytes_written);
  put("forwarded_calls", job.forwarded_calls, DEFAULTS.forwarded_calls);
  put("reads_dep_outputs", job.reads_dep_outputs, DEFAULTS.reads_dep_outputs);
  put("cwd", job.cwd, DEFAULTS.cwd);
  put("cpu_profile", job.cpu_profile, DEFAULTS.cpu_profile);
  put("wall_s", job.wall_s, DEFAULTS.wall_s);
  put("dirty_bytes", job.dirty_bytes, DEFAULTS.dirty_bytes);
  put("exit_status", job.exit_status, DEFAULTS.exit_status);
  put("prereqs", job.prereqs, DEFAULTS.prereqs);
  return j;
}

nlohmann::json to_json(const BuildTrace& trace)
{
  nlohmann::json doc = trace_header_to_json(trace);
  nlohmann::json jobs = nlohmann::json::array();
  for (const TraceJob& job : trace.jobs)
    jobs.push_back(trace_job_to_json(job, false));
  doc["jobs"] = std::move(jobs);
  return doc;
}

std::vector<int64_t> find_job_lines(const std::string& text)
{
  // A small scanner over the text (strings and nesting only): the array that is the value of the top-level key
  // "jobs" opens at depth 1; each of its elements starts at the first non-blank after '[' or a ','.
  std::vector<int64_t> lines;
  int64_t line = 1;
  int depth = 0;
  bool in_string = false, escaped = false, in_jobs = false, expect_element = false;
  std::string last_string, current;
  for (char c : text) {
    if (c == '\n')
      ++line;
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false, last_string = current;
      else
        current += c;
      continue;
    }
    if (in_jobs && depth == 2 && expect_element && c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != ']') {
      lines.push_back(line);
      expect_element = false;
    }
    if (c == '"') {
      in_string = true;
      current.clear();
    } else if (c == '{' || c == '[') {
      if (c == '[' && depth == 1 && last_string == "jobs" && lines.empty()) {
        in_jobs = true;
        expect_element = true;
      }
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
      if (in_jobs && depth == 1)
        return lines;
    } else if (c == ',' && in_jobs && depth == 2) {
      expect_element = true;
    }
  }
  return in_jobs ? lines : std::vector<int64_t>{};
}

} // namespace spritesim
