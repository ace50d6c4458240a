// libFuzzer harness: experiment configs as `spritesim run CONFIG --set PATH=VALUE...` reads them. Input: the config
// text, then NUL-separated --set overrides. The sections that models/, workloads/ and policy/ check when a run
// starts (policy params, idle rule, owner model, processes, builds) are parsed too, and the resolved config must
// parse again. Only InputError is an acceptable failure.
#include "core/experiment.hpp"
#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "fuzz/fuzz_support.hpp"
#include "models/idle_rule.hpp"
#include "models/owner_activity.hpp"
#include "policy/policy.hpp"
#include "workloads/build_sessions.hpp"
#include "workloads/process_workload.hpp"

using namespace spritesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  std::vector<std::string> parts = fuzz::split_parts(fuzz::text_of(data, size), 4);
  std::vector<std::string> sets;
  for (size_t i = 1; i < parts.size(); ++i)
    if (!parts[i].empty())
      sets.push_back(parts[i]);
  const std::string file = "fuzz/experiment.json";
  ExperimentSpec spec;
  try {
    spec = parse_experiment_text(parts[0], file, sets);
  } catch (const InputError&) {
    return 0;
  }
  try {
    // config.resolved.json must be writable and load as a config.
    parse_experiment(parse_json_text(to_json(spec).dump(2), file), file);
  } catch (const std::exception& e) {
    fuzz::invariant_broken(std::string("the resolved config does not write or parse: ") + e.what());
  }
  try {
    make_policy(spec.policy.name, spec.policy.params, file, "$.policy");
    parse_idle_rule(spec.owners.idle_rule, file, "$.owners.idle_rule");
    if (spec.owners.model == "stochastic")
      parse_owner_model(spec.owners.params, file, "$.owners.params");
    if (!spec.workload.processes.is_null())
      parse_process_workload(spec.workload.processes, file, "$.workload.processes");
    if (!spec.workload.builds.is_null())
      parse_build_sessions(spec.workload.builds, file, "$.workload.builds");
  } catch (const InputError&) {
  }
  return 0;
}
