// Loading and checking hardware profiles (see profile.hpp).
#include "models/profile.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "core/embedded.hpp"
#include "core/input_error.hpp"
#include "core/json_reader.hpp"

namespace spritesim {

namespace {

// What the cost model and the engine can compute with: divisors and speeds strictly positive, core counts whole,
// shares in [0, 1], times below MAX_SIM_SECONDS (docs/configs.md "Ranges" lists them).
struct ParamRange {
  const char* name;
  double min;
  double max;
  bool whole;
};

const std::vector<ParamRange>& workstation_ranges()
{
  static const std::vector<ParamRange> r = {
      {"cpu_mips", 1e-3, 1e7, false},         {"page_bytes", 1, 1 << 30, true},
      {"fs_block_bytes", 1, 1 << 30, true},    {"rpc_null_rtt_ms", 0, 1e6, false},
      {"small_rpc_wire_bytes", 0, 1 << 30, false}, {"rpc_client_share", 0, 1, false},
      {"rpc_fs_bandwidth_KBps", 1e-3, 1e9, false}, {"rpc_vm_bandwidth_KBps", 1e-3, 1e9, false},
      {"mig_connect_ms", 0, 1e6, false},       {"mig_obtain_ms", 0, 1e6, false},
      {"mig_close_ms", 0, 1e6, false},         {"mig_confirm_ms", 0, 1e6, false},
      {"null_migration_ms", 0, 1e6, false},    {"open_file_ms", 0, 1e6, false},
      {"fork_exec_wait_local_ms", 0, 1e6, false}, {"fork_exec_wait_remote_ms", 0, 1e6, false},
      {"cores", 1, 1024, true},                {"syscall_us", 0, 1e9, false}};
  return r;
}

const std::vector<ParamRange>& server_ranges()
{
  static const std::vector<ParamRange> r = {
      {"cpu_mips", 1e-3, 1e7, false}, {"cores", 1, 1024, true}, {"lookup_cpu_ms", 0, 1e6, false},
      {"disk_KBps", 1e-3, 1e9, false}};
  return r;
}

const std::vector<ParamRange>& ranges(const std::string& role)
{
  return role == "workstation" ? workstation_ranges() : server_ranges();
}

std::vector<std::string> names_of(const std::vector<ParamRange>& ranges)
{
  std::vector<std::string> out;
  for (const auto& r : ranges)
    out.emplace_back(r.name);
  return out;
}

// Refuses a value the model cannot compute with; the error names the file and the JSON path of the value.
void check_value(const std::string& role, const std::string& param, double value, const std::string& file,
                 const std::string& where)
{
  for (const auto& r : ranges(role)) {
    if (param != r.name)
      continue;
    if (!(value >= r.min && value <= r.max) || (r.whole && value != std::floor(value)))
      throw InputError(file, where,
                       fmt::format("{} {} must be {} in [{}, {}], got {}", role, param, r.whole ? "a whole number" : "a number",
                                   r.min, r.max, value));
    return;
  }
}

} // namespace

const std::vector<std::string>& workstation_params()
{
  static const std::vector<std::string> names = names_of(workstation_ranges());
  return names;
}

const std::vector<std::string>& server_params()
{
  static const std::vector<std::string> names = names_of(server_ranges());
  return names;
}

double HardwareProfile::get(const std::string& param) const
{
  auto it = params.find(param);
  if (it == params.end())
    throw std::logic_error(fmt::format("profile {} ({}) has no parameter {}", name, role, param));
  return it->second.value;
}

HardwareProfile parse_profile(const nlohmann::json& doc, const std::string& file, const std::string& expected_role)
{
  JsonReader r(doc, file);
  HardwareProfile p;
  p.name = r.required_string("name");
  p.role = r.choice("role", "workstation", {"workstation", "file_server"});
  if (!expected_role.empty() && p.role != expected_role)
    r.member("role").fail(fmt::format("expected a {} profile, got a {} profile", expected_role, p.role));
  p.description = r.string("description", "");
  const auto& names = p.role == "workstation" ? workstation_params() : server_params();
  JsonReader params = r.member("params");
  for (const auto& key : params.keys()) {
    JsonReader one = params.member(key);
    if (std::find(names.begin(), names.end(), key) == names.end())
      one.fail(fmt::format("unknown {} parameter \"{}\" (known: {})", p.role, key, fmt::join(names, ", ")));
    ProfileParam pp;
    pp.value = one.required_number("value", 0, 1e12);
    check_value(p.role, key, pp.value, file, json_path_join(one.path(), "value"));
    pp.source = one.required_string("source");
    if (pp.source.empty())
      one.member("source").fail("every parameter must name its source");
    one.finish();
    p.params[key] = pp;
  }
  for (const auto& n : names)
    if (!p.params.count(n))
      throw InputError(file, json_path_join("$.params", n), "required parameter is missing");
  r.finish();
  return p;
}

HardwareProfile load_profile(const std::string& name_or_path, const std::string& expected_role)
{
  std::string embedded = "models/profiles/" + name_or_path + ".json";
  if (auto text = embedded_file(embedded))
    return parse_profile(parse_json_text(std::string(*text), embedded), embedded, expected_role);
  if (name_or_path.find('/') == std::string::npos && name_or_path.find(".json") == std::string::npos)
    throw InputError(name_or_path, "", fmt::format("no such built-in profile (built in: {}); give a path to a JSON "
                                                   "profile otherwise", fmt::join(builtin_profiles(), ", ")));
  return parse_profile(parse_json_text(read_text_file(name_or_path), name_or_path), name_or_path, expected_role);
}

std::vector<std::string> builtin_profiles()
{
  std::vector<std::string> out;
  for (const auto& n : embedded_names("models/profiles/"))
    out.push_back(std::filesystem::path(n).stem().string());
  return out;
}

void override_param(HardwareProfile& profile, const std::string& param, double value, const std::string& file,
                    const std::string& where)
{
  auto it = profile.params.find(param);
  if (it == profile.params.end()) {
    std::vector<std::string> names;
    for (const auto& [k, v] : profile.params)
      names.push_back(k);
    throw InputError(file, where, fmt::format("profile {} has no parameter \"{}\" (known: {})", profile.name, param,
                                              fmt::join(names, ", ")));
  }
  check_value(profile.role, param, value, file, where);
  it->second.value = value;
  it->second.source = fmt::format("overridden by {} {}", file, where);
}

} // namespace spritesim
