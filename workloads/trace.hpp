// The build trace: a DAG of commands as pmake ran them (CPU seconds on a reference machine, file activity), plus
// the work of the make tool itself (its dependency scan and per-job bookkeeping). Schema: docs/trace-format.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace spritesim {

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
};

/// The make tool's own work on the host where it runs.
struct TraceTool {
  double scan_cpu_s = 0;       ///< start-up: reading makefiles, finding dependencies (CPU seconds)
  int64_t scan_lookups = 0;    ///< stats issued by the scan
  double job_cpu_s = 0;        ///< per job: examining the target, writing the command script, forking, waiting
  int64_t exec_arg_bytes = 0;  ///< exec arguments and environment shipped per remote exec
  int64_t script_bytes = 0;    ///< command script written per job and flushed before a remote exec
};

struct BuildTrace {
  int64_t version = 1;
  std::string name;
  std::string reference_profile = "ss1"; ///< hardware profile the CPU seconds were measured on
  double sequential_s = 0;               ///< measured sequential build time, if known (0 = unknown)
  std::string source;                    ///< where the trace came from (generator, capture, paper)
  TraceTool tool;
  std::vector<TraceJob> jobs;
};

/// Parses a trace document; errors are InputErrors naming `file` and the JSON path of the bad field. Checks
/// unknown keys, types, ranges (no negative CPU), duplicate ids, unknown dependencies and cycles (the message
/// names the cycle).
BuildTrace parse_trace(const nlohmann::json& doc, const std::string& file);

/// Loads a trace file (JSON).
BuildTrace load_trace_file(const std::string& path);

nlohmann::json to_json(const BuildTrace& trace);

} // namespace spritesim
