// Loading and checking hardware profiles (see profile.hpp).
#include "models/profile.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "core/embedded.hpp"
#include "core/input_error.hpp"
#include "core/json_reader.hpp"

namespace spritesim {

const std::vector<std::string>& workstation_params()
{
  static const std::vector<std::string> names = {
      "cpu_mips",          "page_bytes",           "fs_block_bytes",          "rpc_null_rtt_ms",
      "small_rpc_wire_bytes", "rpc_client_share",  "rpc_fs_bandwidth_KBps",   "rpc_vm_bandwidth_KBps",
      "mig_connect_ms",    "mig_obtain_ms",        "mig_close_ms",            "mig_confirm_ms",
      "null_migration_ms", "open_file_ms",         "fork_exec_wait_local_ms", "fork_exec_wait_remote_ms",
      "cores",             "syscall_us"};
  return names;
}

const std::vector<std::string>& server_params()
{
  static const std::vector<std::string> names = {"cpu_mips", "cores", "lookup_cpu_ms", "disk_KBps"};
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
    pp.source = one.required_string("source");
    if (pp.source.empty())
      one.member("source").fail("every parameter must name its source");
    one.finish();
    p.params[key] = pp;
  }
  for (const auto& n : names)
    if (!p.params.count(n))
      throw InputError(file, json_path_join("$.params", n), "required parameter is missing");
  if (p.params["cpu_mips"].value <= 0)
    throw InputError(file, "$.params.cpu_mips.value", "must be > 0");
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

void override_param(HardwareProfile& profile, const std::string& param, double value, const std::string& origin)
{
  auto it = profile.params.find(param);
  if (it == profile.params.end()) {
    std::vector<std::string> names;
    for (const auto& [k, v] : profile.params)
      names.push_back(k);
    throw InputError(origin, "", fmt::format("profile {} has no parameter \"{}\" (known: {})", profile.name, param,
                                             fmt::join(names, ", ")));
  }
  it->second.value = value;
  it->second.source = "overridden by " + origin;
}

} // namespace spritesim
