// JSON Lines traces (see trace_jsonl.hpp), and the file-level entry points load_trace_file/save_trace_file, which
// choose between the two encodings.
#include "workloads/trace_jsonl.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "core/input_error.hpp"

namespace spritesim {

namespace {

std::string line_where(int64_t line) { return fmt::format("line {}: $", line); }

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r") == std::string::npos; }

nlohmann::json parse_line(const std::string& text, const std::string& file, int64_t line)
{
  try {
    return parse_json_text(text, file, line);
  } catch (const InputError& e) {
    // A syntax error in one line of a JSON Lines file is most often a write cut short.
    const std::string prefix = "invalid JSON: syntax error";
    if (e.message().rfind(prefix, 0) != 0)
      throw;
    throw InputError(file, e.where(), "invalid JSON (is the line truncated?): " + e.message().substr(14));
  }
}

} // namespace

bool is_jsonl_path(const std::string& path)
{
  return path.size() >= 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
}

BuildTrace read_trace_jsonl(std::istream& in, const std::string& file)
{
  BuildTrace trace;
  std::string text;
  int64_t line = 0, header_line = 0, job_count = -1;
  std::vector<int64_t> job_lines;
  while (std::getline(in, text)) {
    ++line;
    if (blank(text))
      continue; // blank lines (a trailing newline, spacing) carry nothing
    nlohmann::json value = parse_line(text, file, line);
    if (header_line == 0) {
      header_line = line;
      JsonReader root(value, file, line_where(line));
      if (value.is_object() && value.contains("jobs"))
        root.fail("this line holds a whole JSON trace document; a JSON Lines trace has the header on its first "
                  "line (no \"jobs\") and one job object per line after it");
      read_trace_header(root, trace);
      job_count = root.integer("job_count", -1, 0, INT64_MAX);
      root.finish();
      if (job_count > 0)
        trace.jobs.reserve(static_cast<size_t>(std::min<int64_t>(job_count, 100'000'000)));
      continue;
    }
    trace.jobs.push_back(read_trace_job(value, trace.version, file, [line] { return line_where(line); }));
    job_lines.push_back(line);
  }
  if (in.bad())
    throw InputError(file, fmt::format("line {}", line + 1), "read error");
  if (header_line == 0)
    throw InputError(file, "line 1", "empty file: expected a header object on the first line");
  if (job_count >= 0 && job_count != static_cast<int64_t>(trace.jobs.size()))
    throw InputError(file, fmt::format("line {}", line),
                     fmt::format("the file ends after {} job(s), but its header (line {}) announces job_count {}: is "
                                 "it truncated?",
                                 trace.jobs.size(), header_line, job_count));
  if (trace.jobs.empty())
    throw InputError(file, fmt::format("line {}", line), "a trace needs at least one job (one object per line)");
  validate_trace(trace, file, [&job_lines](size_t i) { return line_where(job_lines[i]); });
  return trace;
}

TraceJsonlWriter::TraceJsonlWriter(const std::string& path, const BuildTrace& header, int64_t job_count)
    : path_(path), out_(path), announced_(job_count)
{
  nlohmann::json h = trace_header_to_json(header);
  h["job_count"] = job_count;
  write_line(h.dump());
}

void TraceJsonlWriter::write_line(const std::string& text)
{
  out_.write(text);
  out_.write("\n");
}

void TraceJsonlWriter::add(const TraceJob& job)
{
  write_line(trace_job_to_json(job, true).dump());
  ++written_;
}

void TraceJsonlWriter::commit()
{
  if (written_ != announced_)
    throw std::logic_error(fmt::format("{}: {} jobs written, {} announced", path_, written_, announced_));
  out_.commit();
}

std::string trace_to_jsonl(const BuildTrace& trace)
{
  nlohmann::json h = trace_header_to_json(trace);
  h["job_count"] = trace.jobs.size();
  std::string out = h.dump() + "\n";
  for (const TraceJob& job : trace.jobs)
    out += trace_job_to_json(job, true).dump() + "\n";
  return out;
}

BuildTrace load_trace_file(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InputError(path, "", "cannot open file (does it exist and is it readable?)");
  bool jsonl = is_jsonl_path(path);
  if (!jsonl) {
    // By content: a JSON Lines trace's first line is a complete object with "format" and without "jobs".
    std::string first;
    std::getline(in, first);
    auto head = nlohmann::json::parse(first, nullptr, false);
    jsonl = head.is_object() && head.contains("format") && !head.contains("jobs");
    in.clear();
    in.seekg(0);
  }
  BuildTrace trace;
  if (jsonl) {
    trace = read_trace_jsonl(in, path);
  } else {
    std::string text = read_text_file(path);
    std::vector<int64_t> lines = find_job_lines(text);
    trace = parse_trace(parse_json_text(text, path), path, &lines);
  }
  // A profile file named by a relative path is beside the trace; the check refuses a trace that cannot be replayed.
  std::filesystem::path prof(trace.reference_profile);
  if (prof.is_relative() && (trace.reference_profile.find('/') != std::string::npos || prof.extension() == ".json"))
    trace.reference_profile = (std::filesystem::path(path).parent_path() / prof).lexically_normal().string();
  reference_profile_of(trace, path);
  return trace;
}

void save_trace_file(const BuildTrace& trace, const std::string& path)
{
  if (is_jsonl_path(path)) {
    TraceJsonlWriter w(path, trace, static_cast<int64_t>(trace.jobs.size()));
    for (const TraceJob& job : trace.jobs)
      w.add(job);
    w.commit();
  } else {
    write_file_atomic(path, to_json(trace).dump(1) + "\n");
  }
}

} // namespace spritesim
