// The build trace: a DAG of commands as pmake ran them (CPU seconds on a reference machine, file activity), plus
// the work of the make tool itself (its dependency scan and per-job bookkeeping). Schema: docs/trace-format.md.
// Two encodings share one schema: a JSON document, and JSON Lines (header line, then one job per line).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_reader.hpp"
#include "models/profile.hpp"

namespace spritesim {

/// The trace version this spritesim writes; it reads this one and every older one.
constexpr int64_t TRACE_VERSION = 3;

/// One command of the build (a compile, a link, any recipe).
struct TraceJob {
  std::string id;                ///< unique within the trace
  std::string kind = "command";  ///< "compile", "link" or "command" (informational)
  std::vector<std::string> argv; ///< the command line, informational
  std::vector<std::string> deps; ///< ids of jobs that must finish first
  double cpu_s = 0;              ///< CPU seconds on the reference machine, excluding file-server waits
  int64_t lookups = 0;           ///< file-server name lookups (opens, stats, failed opens)
  int64_t files_opened = 4;      ///< open files when the command starts (transferred on migration)
  int64_t bytes_read = 0;        ///< bytes read from files not produced by its dependencies
  int64_t bytes_written = 0;     ///< bytes of output files (left dirty in the host's cache)
  int64_t forwarded_calls = 0;   ///< calls forwarded to the home machine when the command runs remotely
  bool reads_dep_outputs = false; ///< reads every dependency's output (a link reads the objects)
  // Version 2 additions (all optional in the file; defaults mean "not recorded").
  std::string cwd;               ///< working directory the command ran in
  std::string cpu_profile;       ///< profile cpu_s was measured on; "" = the trace's reference_profile
  double wall_s = 0;             ///< measured wall-clock time (0 = unknown)
  int64_t dirty_bytes = 0;       ///< peak dirty (modified) memory, bytes: what a migration would move
  int64_t exit_status = 0;       ///< exit status (negative: killed by that signal)
  // Version 3.
  int64_t prereqs = 0;           ///< prerequisites make examines for this target (sources, headers, inputs)
};

/// The make tool's own work on the host where it runs.
struct TraceTool {
  double scan_cpu_s = 0;       ///< start-up: reading makefiles, finding dependencies (CPU seconds)
  int64_t scan_lookups = 0;    ///< stats issued by the scan
  double job_cpu_s = 0;        ///< per job: what does not grow with prerequisites (script, fork, reap)
  double prereq_cpu_s = 0;     ///< per prerequisite of a job's target (version 3): .ALLSRC/.OODATE, Make_Update
  int64_t job_lookups = 0;     ///< file-server operations per job (version 3): stat the target, script create+remove
  int64_t exec_arg_bytes = 0;  ///< exec arguments and environment shipped per remote exec
  int64_t script_bytes = 0;    ///< command script written per job and flushed before a remote exec
};

struct BuildTrace {
  int64_t version = TRACE_VERSION;       ///< version of the file it was read from (writers write TRACE_VERSION)
  std::string name;
  std::string reference_profile = "ss1"; ///< hardware profile the CPU seconds were measured on
  double sequential_s = 0;               ///< measured sequential build time, if known (0 = unknown)
  std::string source;                    ///< where the trace came from (generator, capture, paper)
  TraceTool tool;
  std::vector<TraceJob> jobs;
};

/// Names where job i sits in its file, for messages: "$.jobs[3]" (JSON) or "line 5: $" (JSON Lines).
using JobLocator = std::function<std::string(size_t)>;

/// Parses a trace document; errors are InputErrors naming `file` and the JSON path of the bad field. Checks
/// unknown keys, types, ranges (no negative CPU), duplicate ids, unknown dependencies and cycles (the message
/// names the cycle). `job_lines`, when given, holds the line each job starts on, and messages name it too.
BuildTrace parse_trace(const nlohmann::json& doc, const std::string& file,
                       const std::vector<int64_t>* job_lines = nullptr);

/// Loads a trace file, JSON or JSON Lines, chosen by content (a JSON Lines file's first line is a complete header
/// object without "jobs"); .jsonl files are streamed line by line, never held as one JSON tree.
BuildTrace load_trace_file(const std::string& path);

/// The hardware profile the trace's CPU seconds were measured on (a built-in name or a profile file). An
/// InputError naming `file` and $.reference_profile when it does not resolve, so a trace that cannot be replayed is
/// refused when it is read, not mid-simulation.
HardwareProfile reference_profile_of(const BuildTrace& trace, const std::string& file);

/// Writes a trace atomically: JSON Lines when the path ends in ".jsonl", else one JSON document.
void save_trace_file(const BuildTrace& trace, const std::string& path);

/// The whole trace as one JSON document (version TRACE_VERSION).
nlohmann::json to_json(const BuildTrace& trace);

// Pieces shared by the JSON and JSON Lines readers and writers.

/// Reads the header fields (format, version, name, reference_profile, sequential_s, source, tool) of `root` into
/// `trace`; the caller reads "jobs" or "job_count" and calls root.finish().
void read_trace_header(const JsonReader& root, BuildTrace& trace);
/// Reads one job object of a trace of the given version.
TraceJob read_trace_job(const JsonReader& job, int64_t version);
/// The same, fast: well-formed jobs are read without the strict reader's bookkeeping; anything else goes through
/// the strict reader at JSON path where() of `file`, whose message is thrown.
TraceJob read_trace_job(const nlohmann::json& job, int64_t version, const std::string& file,
                        const std::function<std::string()>& where);
/// Checks ids, dependencies and cycles; messages locate jobs with `where`.
void validate_trace(const BuildTrace& trace, const std::string& file, const JobLocator& where);
/// The header fields as JSON (no jobs).
nlohmann::json trace_header_to_json(const BuildTrace& trace);
/// One job as JSON; `compact` leaves out fields equal to their defaults (JSON Lines, to keep big files small).
nlohmann::json trace_job_to_json(const TraceJob& job, bool compact);

/// The line (1-based) where each element of the top-level "jobs" array starts, from the document's text; empty
/// when the text has no such array. Lets JSON errors found after parsing name a line as well as a path.
std::vector<int64_t> find_job_lines(const std::string& text);

} // namespace spritesim
