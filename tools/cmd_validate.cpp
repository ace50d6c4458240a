// `spritesim validate [--kind config|sweep|trace] FILE...`: checks experiment configs, sweeps and traces without
// running anything, through the loaders the runs use (no second validator): a config as `run` reads it before it
// simulates (with SimGrid: its profiles, trace, owners and policy too, prepare_simulation), a sweep as `sweep`
// does (every axis value applied to its experiment), a trace as a pmake run loads it. Bad input: exit 4.
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/experiment.hpp"
#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "core/results.hpp"
#include "experiments/data_files.hpp"
#include "experiments/sweep_spec.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"
#include "workloads/trace.hpp"
#include "workloads/trace_jsonl.hpp"
#ifdef SPRITESIM_WITH_SIM
#include "sim/simulation.hpp"
#endif

namespace spritesim {

namespace {

const char* const VALIDATE_USAGE =
    "usage: spritesim validate [--kind config|sweep|trace] FILE...\n"
    "  check each FILE without running anything, with the loaders `run` and `sweep` use, and print\n"
    "  \"FILE: ok (KIND, summary)\"; or print the error `run` would (the file, the line or JSON path, what was\n"
    "  expected) and exit 4. The kind follows the content: an object with \"experiment\" is a sweep (or figure\n"
    "  file), one with \"jobs\" or \"format\" (or a JSON Lines file) a trace, anything else an experiment config.\n"
    "  A config's trace, profiles, owner trace and policy are checked too (not in a build without SimGrid).\n"
    "  --kind K  take every FILE as K instead";

// The kind of `path` by its content; text that is not one JSON value is a JSON Lines trace when its first line is a
// trace header, else a config (whose loader then says what is wrong with it).
std::string detect_kind(const std::string& path)
{
  if (is_jsonl_path(path))
    return "trace";
  std::string text = config_text(path);
  std::optional<nlohmann::json> doc = try_parse_json_text(text, path);
  if (!doc) {
    std::optional<nlohmann::json> head = try_parse_json_text(text.substr(0, text.find('\n')), path);
    return head && head->is_object() && head->contains("format") ? "trace" : "config";
  }
  if (doc->is_object() && doc->contains("experiment"))
    return "sweep";
  if (doc->is_object() && (doc->contains("jobs") || doc->contains("format")))
    return "trace";
  return "config";
}

std::string validate_config(const std::string& path)
{
  ExperimentSpec spec = load_experiment(path);
#ifdef SPRITESIM_WITH_SIM
  (void)prepare_simulation(spec);
  const char* checked = "its inputs loaded";
#else
  const char* checked = "its trace, profiles and owners not loaded: built without SimGrid";
#endif
  return fmt::format("config \"{}\", {} workload, {} workstations, policy {}; {}", spec.name,
                     workload_kind_name(spec.workload.kind), spec.platform.workstations, spec.policy.name, checked);
}

std::string validate_sweep(const std::string& path)
{
  SweepSpec sweep = load_sweep(path);
  SweepMatrix m = sweep_matrix(sweep);
  return fmt::format("sweep \"{}\" of {}, {} {}, {} cells, {} runs", sweep.name, sweep.experiment, sweep.axes.size(),
                     sweep.axes.size() == 1 ? "axis" : "axes", m.cells.size(), m.runs.size());
}

std::string validate_trace(const std::string& path)
{
  BuildTrace t = load_trace_file(path);
  return fmt::format("trace \"{}\", {} jobs", t.name, t.jobs.size());
}

} // namespace

int cmd_validate(const Args& args)
{
  if (asked_for_help(args, VALIDATE_USAGE))
    return 0;
  std::string kind;
  std::vector<std::string> files;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--kind") {
      kind = option_value(args, i, "spritesim validate");
      if (kind != "config" && kind != "sweep" && kind != "trace")
        throw UsageError(fmt::format("--kind expects config, sweep or trace, got \"{}\"", kind));
    } else if (args[i].size() > 1 && args[i][0] == '-')
      reject_argument("spritesim validate", args[i]);
    else
      files.push_back(args[i]);
  }
  if (files.empty())
    throw UsageError("validate needs one or more files (see spritesim validate --help)");
  int status = 0;
  for (const auto& file : files) {
    try {
      std::string k = kind.empty() ? detect_kind(file) : kind;
      std::string summary = k == "sweep" ? validate_sweep(file) : k == "trace" ? validate_trace(file)
                                                                                : validate_config(file);
      fmt::print("{}: ok ({})\n", file, summary);
    } catch (const InputError& e) {
      // Every file is checked; each bad one is said as `run` would say it.
      fmt::print(stderr, "spritesim validate: error: {}\n", e.what());
      status = EXIT_BAD_INPUT;
    }
  }
  return status;
}

} // namespace spritesim
