// The JSON Lines encoding of build traces, for builds too big to hold as one JSON tree: line 1 is the header object
// (the JSON document's fields without "jobs", plus "job_count"), then one job object per line. The reader streams
// line by line; the writer streams job by job into a temporary file renamed into place when complete.
#pragma once

#include <cstdint>
#include <istream>
#include <string>

#include "core/output_files.hpp"
#include "workloads/trace.hpp"

namespace spritesim {

/// Reads a JSON Lines trace from `in`; `file` names it in messages, which give the line of the bad job (and the
/// column of a syntax error). Checks the same as parse_trace, and that "job_count", when present, matches.
BuildTrace read_trace_jsonl(std::istream& in, const std::string& file);

/// Writes a JSON Lines trace job by job: the header first (with the number of jobs that will follow), then add()
/// each job, then commit(). Nothing appears at `path` until commit() has written every job; an uncommitted writer
/// removes its temporary file. Output is deterministic (nlohmann's sorted keys, shortest round-trip doubles).
class TraceJsonlWriter {
public:
  TraceJsonlWriter(const std::string& path, const BuildTrace& header, int64_t job_count);
  TraceJsonlWriter(const TraceJsonlWriter&) = delete;
  TraceJsonlWriter& operator=(const TraceJsonlWriter&) = delete;
  void add(const TraceJob& job);
  /// Flushes, syncs and renames into place; throws if fewer or more jobs were added than announced.
  void commit();

private:
  void write_line(const std::string& text);
  std::string path_;
  AtomicFile out_; ///< dropped unless committed
  int64_t announced_ = 0;
  int64_t written_ = 0;
};

/// The whole trace as JSON Lines text (small traces and tests; big ones go through TraceJsonlWriter).
std::string trace_to_jsonl(const BuildTrace& trace);

/// True when the path ends in ".jsonl".
bool is_jsonl_path(const std::string& path);

} // namespace spritesim
