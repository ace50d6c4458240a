// The spritesim verbs. Each takes its own arguments (after the verb) and returns the process exit status;
// bad input is reported as an InputError or UsageError and turned into a message and its exit status by run_verb
// (tools/verb_main.hpp).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace spritesim {

/// A malformed command line; the message says what was expected.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Args = std::vector<std::string>;

int cmd_run(const Args& args);
/// The hidden `baseline` verb a run or sweep starts (tools/cmd_run.cpp).
int cmd_baseline(const Args& args);
int cmd_reproduce(const Args& args);
int cmd_policies(const Args& args);
/// The hidden `columns` verb: each CSV of a run with its columns (tools/cmd_columns.cpp, tests/docs_outputs.py).
int cmd_columns(const Args& args);
int cmd_calibrate(const Args& args);
int cmd_sweep(const Args& args);
/// `trace` dispatches to its subverbs; `trace capture` is cmd_trace_capture.
int cmd_trace(const Args& args);
int cmd_trace_capture(const Args& args);
int cmd_host_profile(const Args& args);
int cmd_agent(const Args& args);
int cmd_coordinator(const Args& args);
int cmd_rexec(const Args& args);
/// `status`: a real-mode coordinator's hosts and jobs, now or every few seconds (tools/cmd_status.cpp).
int cmd_status(const Args& args);
/// `validate FILE...`: configs, sweeps and traces checked with the runs' own loaders, nothing run.
int cmd_validate(const Args& args);
/// `make`: GNU make with spritesim-rexec as its SHELL (tools/cmd_make.cpp); make's exit status (or signal) is its own.
int cmd_make(const Args& args);

} // namespace spritesim
