// The sequential baseline and its cache files (see baseline.hpp).
#include "experiments/baseline.hpp"

#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "core/child_process.hpp"
#include "core/json_reader.hpp"
#include "core/output_files.hpp"
#include "core/results.hpp"
#include "core/workload_kind.hpp"
#include "sim/simulation.hpp"

namespace spritesim {

namespace {

bool is_sequential(const ExperimentSpec& s)
{
  return s.platform.workstations == 1 || !s.workload.migrate || s.workload.max_jobs == 1;
}

} // namespace

bool wants_baseline(const ExperimentSpec& spec)
{
  return spec.workload.baseline == "sequential" && workload_kind_info(spec.workload.kind).sequential_baseline;
}

bool needs_baseline(const ExperimentSpec& spec) { return wants_baseline(spec) && !is_sequential(spec); }

// No owner (an owner trace naming other workstations would not even apply to one host); with one host and no
// migration the policy has nothing to decide, so every policy shares the default's baseline.
ExperimentSpec sequential_variant(ExperimentSpec s)
{
  s.platform.workstations = 1;
  if (!s.platform.groups.empty()) { // pmake's host, ws00, alone: the first group's first host and its file server
    s.platform.groups.resize(1);
    s.platform.groups[0].hosts = 1;
    if (!s.platform.file_servers.empty()) {
      std::erase_if(s.platform.file_servers,
                    [&](const FileServerSpec& f) { return f.name != s.platform.groups[0].file_server; });
      s.platform.file_server_profile = s.platform.file_servers[0].profile;
    }
  }
  s.owners = OwnersSpec{}; // no owners, so neither their model nor the idle rule (one host, nothing placed) matters
  s.workload.migrate = false;
  s.workload.max_jobs = 1;
  s.workload.max_local = 1;
  s.policy = PolicySpec{};
  return s;
}

nlohmann::json baseline_identity(const ExperimentSpec& spec) { return to_json(sequential_variant(spec)); }

std::string baseline_file_name(const ExperimentSpec& spec)
{
  return fmt::format("{:016x}.json", stable_hash(baseline_identity(spec).dump()));
}

double simulate_baseline(const ExperimentSpec& spec)
{
  ExperimentSpec seq = sequential_variant(spec);
  try {
    return run_simulation(seq, prepare_simulation(seq)).makespan_s;
  } catch (const InvariantViolation& e) {
    throw InvariantViolation(std::string("the sequential baseline (one host, no migration): ") + e.what());
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("the sequential baseline (one host, no migration) failed: ") + e.what());
  }
}

void write_baseline_file(const std::string& file, const ExperimentSpec& spec, double makespan_s)
{
  // %.17g: the double read back is the double written, so a cached baseline gives the same speedup bytes.
  nlohmann::json j = {{"makespan_s", fmt::format("{:.17g}", makespan_s)}, {"experiment", baseline_identity(spec)}};
  write_file_atomic(file, j.dump(2) + "\n");
}

std::optional<double> read_baseline_file(const std::string& file, const ExperimentSpec& spec)
{
  std::error_code ec;
  if (!std::filesystem::exists(file, ec))
    return std::nullopt;
  nlohmann::json j = parse_json_text(read_text_file(file), file);
  if (!j.is_object() || j.value("experiment", nlohmann::json()) != baseline_identity(spec) ||
      !j.contains("makespan_s") || !j.at("makespan_s").is_string())
    return std::nullopt;
  return std::stod(j.at("makespan_s").get<std::string>());
}

std::vector<std::string> experiment_args(const std::string& config, uint64_t seed,
                                         const std::vector<std::string>& sets)
{
  std::vector<std::string> a = {config, "--seed", std::to_string(seed)};
  for (const auto& s : sets) {
    a.push_back("--set");
    a.push_back(s);
  }
  return a;
}

double compute_baseline_in_child(const ExperimentSpec& spec, const std::vector<std::string>& args,
                                 const std::string& file)
{
  std::vector<std::string> a = {"baseline"};
  a.insert(a.end(), args.begin(), args.end());
  a.push_back("--to");
  a.push_back(file);
  std::string log = file.substr(0, file.size() - 5) + ".log";
  int code = run_child(self_child(a, log));
  if (auto v = read_baseline_file(file, spec); code == 0 && v)
    return *v;
  // The child said why in its log: "spritesim baseline: error: WHY".
  std::string why = last_line(log);
  if (auto at = why.find(": error: "); at != std::string::npos)
    why = why.substr(at + 9);
  if (code == EXIT_INVALID_RUN)
    throw InvariantViolation(why);
  throw std::runtime_error(code > 128 ? fmt::format("the sequential baseline's simulation was killed by signal {} "
                                                    "({}): a bug, please report it with this config",
                                                    code - 128, strsignal(code - 128))
                                      : why);
}

} // namespace spritesim
