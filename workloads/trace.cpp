// Reading and writing build traces (schema: docs/trace-format.md). Parsing is strict: every field is type- and
// range-checked, unknown keys are errors, and the jobs must form a DAG; errors name the JSON path of the bad value.
#include "workloads/trace.hpp"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "workloads/build_dag.hpp"

namespace spritesim {

namespace {

constexpr const char* TRACE_FORMAT = "spritesim-trace";
constexpr int64_t TRACE_VERSION = 1;
constexpr double MAX_SECONDS = std::numeric_limits<double>::max();
constexpr int64_t MAX_COUNT = std::numeric_limits<int64_t>::max();

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
  return value.as_number(0, MAX_SECONDS);
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
  return value.as_integer(0, MAX_COUNT);
}

std::vector<std::string> string_list(const JsonReader& obj, std::string_view key)
{
  std::vector<std::string> out;
  if (auto list = obj.optional_member(key))
    for (const JsonReader& item : list->elements())
      out.push_back(item.as_string());
  return out;
}

TraceTool parse_tool(const JsonReader& r)
{
  TraceTool tool;
  tool.scan_cpu_s = seconds(r, "scan_cpu_s", tool.scan_cpu_s);
  tool.scan_lookups = count(r, "scan_lookups", tool.scan_lookups, "lookups");
  tool.job_cpu_s = seconds(r, "job_cpu_s", tool.job_cpu_s);
  tool.exec_arg_bytes = count(r, "exec_arg_bytes", tool.exec_arg_bytes, "bytes");
  tool.script_bytes = count(r, "script_bytes", tool.script_bytes, "bytes");
  r.finish();
  return tool;
}

TraceJob parse_job(const JsonReader& r)
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
  r.finish();
  return job;
}

std::string join_ids(const std::vector<std::string>& ids)
{
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i)
    out += (i ? " -> " : "") + ids[i];
  return out;
}

} // namespace

BuildTrace parse_trace(const nlohmann::json& doc, const std::string& file)
{
  JsonReader root(doc, file);
  BuildTrace trace;

  JsonReader format = root.member("format");
  if (format.as_string() != TRACE_FORMAT)
    format.fail(fmt::format("expected \"{}\", got \"{}\" (is this a build trace?)", TRACE_FORMAT,
                            format.as_string()));
  JsonReader version = root.member("version");
  if (!version.node().is_number_integer())
    version.fail(fmt::format("expected the integer {}, got {}", TRACE_VERSION, json_type_name(version.node())));
  trace.version = version.node().get<int64_t>();
  if (trace.version != TRACE_VERSION)
    version.fail(fmt::format("unsupported trace version {} (this spritesim reads version {})", version.node().dump(),
                             TRACE_VERSION));

  trace.name = root.string("name", trace.name);
  trace.reference_profile = root.string("reference_profile", trace.reference_profile);
  trace.sequential_s = seconds(root, "sequential_s", trace.sequential_s);
  trace.source = root.string("source", trace.source);
  if (auto tool = root.optional_member("tool"))
    trace.tool = parse_tool(*tool);

  JsonReader jobs = root.member("jobs");
  for (const JsonReader& job : jobs.elements())
    trace.jobs.push_back(parse_job(job));
  if (trace.jobs.empty())
    jobs.fail("a trace needs at least one job");
  root.finish();

  BuildDag dag(trace, file); // duplicate ids, unknown dependencies
  if (auto cycle = dag.find_cycle())
    throw InputError(file, "$.jobs", "dependency cycle: " + join_ids(*cycle));
  return trace;
}

BuildTrace load_trace_file(const std::string& path)
{
  return parse_trace(parse_json_text(read_text_file(path), path), path);
}

nlohmann::json to_json(const BuildTrace& trace)
{
  nlohmann::json doc;
  doc["format"] = TRACE_FORMAT;
  doc["version"] = trace.version;
  doc["name"] = trace.name;
  doc["reference_profile"] = trace.reference_profile;
  doc["sequential_s"] = trace.sequential_s;
  doc["source"] = trace.source;
  doc["tool"] = {
      {"scan_cpu_s", trace.tool.scan_cpu_s},         {"scan_lookups", trace.tool.scan_lookups},
      {"job_cpu_s", trace.tool.job_cpu_s},           {"exec_arg_bytes", trace.tool.exec_arg_bytes},
      {"script_bytes", trace.tool.script_bytes},
  };
  nlohmann::json jobs = nlohmann::json::array();
  for (const TraceJob& job : trace.jobs)
    jobs.push_back({
        {"id", job.id},
        {"kind", job.kind},
        {"argv", job.argv},
        {"deps", job.deps},
        {"cpu_s", job.cpu_s},
        {"lookups", job.lookups},
        {"files_opened", job.files_opened},
        {"bytes_read", job.bytes_read},
        {"bytes_written", job.bytes_written},
        {"forwarded_calls", job.forwarded_calls},
        {"reads_dep_outputs", job.reads_dep_outputs},
    });
  doc["jobs"] = std::move(jobs);
  return doc;
}

} // namespace spritesim
