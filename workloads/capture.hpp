// Capture of real GNU make builds, the SimGrid-free half: the record the SHELL shim appends for every recipe line
// it runs, reading the record log back, and assembling the records into a build trace (jobs, edges, make's own
// costs). The processes themselves (make, the shim) are run by tools/cmd_trace_capture.cpp. See docs/capture.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "workloads/trace.hpp"

namespace spritesim {

/// One shell invocation by make, as the shim saw it: one recipe line (or one $(shell ...) when `target` is empty).
struct ShellRecord {
  std::string id;                   ///< unique in the build: "PID.START_NS" of the shim
  std::string parent;               ///< id of the record whose recipe ran the make that ran this ("" = top make)
  int64_t make_level = 0;           ///< MAKELEVEL of the make that ran this (0 = top; -1 unknown)
  std::string cwd;                  ///< absolute working directory of the recipe
  std::string target;               ///< $@ ("" = not a recipe: a $(shell ...) while make read its makefiles)
  std::vector<std::string> prereqs; ///< $^ then $| (order-only), as make named them, relative to cwd
  std::vector<std::string> argv;    ///< the real shell, its flags (.SHELLFLAGS) and the recipe line
  double start_s = 0;               ///< CLOCK_MONOTONIC seconds when the shell was started
  double end_s = 0;                 ///< CLOCK_MONOTONIC seconds when the shell was reaped
  double cpu_s = 0;                 ///< user + system CPU of the shell and everything it waited for (wait4)
  double shim_cpu_s = 0;            ///< the shim's own CPU (not part of the build; excluded everywhere)
  double make_cpu_s = -1;           ///< own CPU used so far by the make that ran this (/proc/PPID/stat at
                                    ///< start; -1 unknown)
  double make_children_cpu_s = -1;  ///< CPU of the children that make had reaped by then (-1 unknown)
  int64_t env_bytes = 0;            ///< bytes of the environment the shell was started with
  int exit_status = 0;              ///< the shell's exit status (0 when it was killed by a signal)
  int signal = 0;                   ///< the signal that killed the shell (0 = it exited)
  int64_t output_bytes = -1;        ///< size of cwd/target if the line left it modified after start_s (-1: no)
};

/// One line of the record log (JSON, no newline inside).
nlohmann::json to_json(const ShellRecord& record);
/// Parses one log line; errors name the file and line.
ShellRecord parse_shell_record(const std::string& line, const std::string& file, int64_t line_no);
/// Parses a whole record log (one JSON object per line; blank lines are skipped).
std::vector<ShellRecord> parse_capture_log(const std::string& text, const std::string& file);

/// The make run that was captured, as the capture command measured it from outside.
struct MakeRun {
  std::vector<std::string> argv;        ///< the make command line as the user gave it (without the SHELL override)
  std::string cwd;                      ///< absolute directory make was started in
  double start_s = 0;                   ///< CLOCK_MONOTONIC when make was started
  double end_s = 0;                     ///< CLOCK_MONOTONIC when make was reaped
  double self_cpu_s = -1;               ///< make's own CPU at exit, children excluded (-1 unknown)
  int exit_status = 0;                  ///< make's exit status
  std::string reference_profile = "host"; ///< profile of the machine the CPU times were measured on
  std::string name;                     ///< trace name
};

/// "compile", "link" or "command", guessed from a recipe's command lines (cc -c = compile, cc/ld/ar without -c =
/// link).
std::string guess_job_kind(const std::vector<std::string>& command_lines);

/// Assembles the records of one build into a trace: recipe lines of one target in one make are one job; a recipe
/// that ran a make is kept as a job holding that make's own CPU, its nested jobs depend on it, and whoever
/// depends on it also depends on the nested jobs; edges are the prerequisites that were themselves rebuilt.
/// Throws InputError (naming `log_file`) when the log has no recipe at all.
BuildTrace assemble_trace(const std::vector<ShellRecord>& records, const MakeRun& run, const std::string& log_file);

} // namespace spritesim
