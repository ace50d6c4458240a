// Reading a config's platform (inline or from a platform file), its groups and file servers, and the effective
// groups and servers of any platform (see platform_spec.hpp and docs/configs.md, "Heterogeneous platforms").
#include "core/platform_spec.hpp"

#include <filesystem>
#include <regex>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

namespace spritesim {

namespace {

// Names go into host names and CSV cells: letters, digits, '-', '_' and '.', starting with a letter.
std::string checked_name(const JsonReader& e, std::set<std::string>& seen, const char* what)
{
  JsonReader at = e.member("name");
  std::string name = at.as_string();
  static const std::regex ok("[A-Za-z][A-Za-z0-9_.-]{0,31}");
  if (!std::regex_match(name, ok))
    at.fail(fmt::format("expected a {} name of 1 to 32 letters, digits, '-', '_' or '.', starting with a letter, "
                        "got \"{}\"",
                        what, name));
  if (!seen.insert(name).second)
    at.fail(fmt::format("{} \"{}\" is named twice", what, name));
  return name;
}

// The architecture a profile stands for when a group names none: the profile's name (a file's stem).
std::string profile_architecture(const std::string& profile)
{
  return std::filesystem::path(profile).stem().string();
}

void not_both(const JsonReader& r, const char* given, std::initializer_list<const char*> others)
{
  for (const char* key : others)
    if (r.has(key))
      r.member(key).fail(fmt::format("give either platform.{} or platform.{}, not both", given, key));
}

// Reads platform.groups and platform.file_servers into `p` (r: the platform object) and fills the derived
// workstations, profile and file_server_profile. Giving groups together with workstations, profile or machine, or
// file_servers together with file_server, is an error at the path of the key given twice.
void parse_platform_groups(const JsonReader& r, PlatformSpec& p)
{
  if (auto list = r.optional_member("file_servers")) {
    not_both(r, "file_servers", {"file_server"});
    std::set<std::string> seen;
    if (list->node().is_array() && list->node().empty())
      list->fail("expected at least one file server");
    for (const JsonReader& e : list->elements()) {
      FileServerSpec s;
      s.name = checked_name(e, seen, "file server");
      static const std::regex workstation_name("ws[0-9]+");
      if (std::regex_match(s.name, workstation_name) || s.name == "ethernet")
        e.member("name").fail(fmt::format("\"{}\" is the name of a workstation or of the network", s.name));
      s.profile = e.string("profile", s.profile);
      e.finish();
      p.file_servers.push_back(s);
    }
    p.file_server_profile = p.file_servers.front().profile;
  }
  auto list = r.optional_member("groups");
  if (!list)
    return;
  not_both(r, "groups", {"workstations", "profile", "machine"});
  if (list->node().is_array() && list->node().empty())
    list->fail("expected at least one group of workstations");
  const std::vector<FileServerSpec> servers = file_servers(p);
  std::set<std::string> seen;
  int64_t total = 0;
  for (const JsonReader& e : list->elements()) {
    HostGroupSpec g;
    g.name = checked_name(e, seen, "group");
    g.hosts = e.integer("hosts", g.hosts, 1, 2000);
    g.profile = e.string("profile", g.profile);
    g.architecture = e.string("architecture", profile_architecture(g.profile));
    if (g.architecture.empty())
      e.member("architecture").fail("expected a non-empty architecture name");
    g.file_server = e.string("file_server", servers.front().name);
    bool known = false;
    for (const auto& s : servers)
      known = known || s.name == g.file_server;
    if (!known)
      e.member("file_server").fail(fmt::format("no file server is named \"{}\" (platform.file_servers)",
                                               g.file_server));
    e.finish();
    total += g.hosts;
    if (total > 2000)
      e.member("hosts").fail(fmt::format("the groups have {} workstations in all; at most 2000", total));
    p.groups.push_back(g);
  }
  p.workstations = total;
  p.profile = p.groups.front().profile;
}

nlohmann::json groups_json(const PlatformSpec& p)
{
  nlohmann::json out = nlohmann::json::array();
  for (const auto& g : p.groups)
    out.push_back({{"name", g.name},
                   {"hosts", g.hosts},
                   {"profile", g.profile},
                   {"architecture", g.architecture},
                   {"file_server", g.file_server}});
  return out;
}

nlohmann::json file_servers_json(const PlatformSpec& p)
{
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : p.file_servers)
    out.push_back({{"name", s.name}, {"profile", s.profile}});
  return out;
}

} // namespace

// Makes a relative path relative to the config's folder, and absolute, so that the resolved config written next to
// the results runs again from anywhere.
void beside_config(std::string& path, const std::string& config_file)
{
  if (config_file.empty() || std::filesystem::path(path).is_absolute())
    return;
  auto base = std::filesystem::path(config_file).parent_path();
  path = std::filesystem::absolute(base / path).lexically_normal().string();
}

static PlatformSpec parse_platform(const JsonReader& r)
{
  PlatformSpec p;
  p.workstations = r.integer("workstations", p.workstations, 1, 2000);
  p.profile = r.string("profile", p.profile);
  if (auto fs = r.optional_member("file_server")) {
    p.file_server_profile = fs->string("profile", p.file_server_profile);
    fs->finish();
  }
  if (auto net = r.optional_member("network")) {
    p.network.bandwidth_Mbps = net->number("bandwidth_Mbps", p.network.bandwidth_Mbps, 0.001, 1e6);
    p.network.latency_us = net->number("latency_us", p.network.latency_us, 0, 1e6);
    // SimGrid rounds below its timing precision (1e-9 s): a smaller positive latency is an engine error.
    if (p.network.latency_us > 0 && p.network.latency_us < 1e-3)
      net->member("latency_us").fail(fmt::format("expected 0 or a latency in [0.001, 1e6] microseconds, got {}",
                                                 p.network.latency_us));
    net->finish();
  }
  if (auto machine = r.optional_member("machine")) {
    p.hosts_per_machine = machine->integer("hosts", p.hosts_per_machine, 1, 2000);
    p.machine_cores = machine->integer("cores", p.machine_cores, 0, 4096);
    machine->finish();
  }
  if (auto sharing = r.optional_member("sharing")) {
    auto text = sharing->as_string();
    auto model = parse_enum<SharingModel>(text);
    if (!model)
      sharing->fail(fmt::format("expected {}, got \"{}\"", enum_names<SharingModel>(), text));
    p.sharing = *model;
  }
  parse_platform_groups(r, p);
  r.finish();
  return p;
}

PlatformSpec parse_platform_member(const JsonReader& r, const std::string& config_file)
{
  if (!r.node().is_string())
    return parse_platform(r);
  // A platform file (configs/platforms/): its errors name it and its own paths; its profile files are beside it.
  std::string path = r.as_string();
  beside_config(path, config_file);
  nlohmann::json doc;
  try {
    doc = parse_json_text(read_text_file(path), path);
  } catch (const InputError& e) {
    r.fail(fmt::format("cannot read the platform file: {}", e.what()));
  }
  PlatformSpec p = parse_platform(JsonReader(doc, path));
  std::vector<std::string*> profiles = {&p.profile, &p.file_server_profile};
  for (auto& g : p.groups)
    profiles.push_back(&g.profile);
  for (auto& f : p.file_servers)
    profiles.push_back(&f.profile);
  for (std::string* profile : profiles)
    if (profile->find(".json") != std::string::npos)
      beside_config(*profile, path);
  return p;
}

nlohmann::json to_json(const PlatformSpec& p)
{
  nlohmann::json out = {
      {"workstations", p.workstations},
      {"profile", p.profile},
      {"file_server", {{"profile", p.file_server_profile}}},
      {"network", {{"bandwidth_Mbps", p.network.bandwidth_Mbps}, {"latency_us", p.network.latency_us}}},
      {"sharing", to_string(p.sharing)},
      {"machine", {{"hosts", p.hosts_per_machine}, {"cores", p.machine_cores}}}};
  // A platform of groups says its hosts only through them (the derived keys would be given twice).
  if (!p.groups.empty()) {
    for (const char* key : {"workstations", "profile", "machine"})
      out.erase(key);
    out["groups"] = groups_json(p);
  }
  if (!p.file_servers.empty()) {
    out.erase("file_server");
    out["file_servers"] = file_servers_json(p);
  }
  return out;
}

std::vector<HostGroupSpec> host_groups(const PlatformSpec& p)
{
  if (!p.groups.empty())
    return p.groups;
  return {HostGroupSpec{"ws", p.workstations, p.profile, profile_architecture(p.profile), file_servers(p)[0].name}};
}

std::vector<FileServerSpec> file_servers(const PlatformSpec& p)
{
  if (!p.file_servers.empty())
    return p.file_servers;
  return {FileServerSpec{"fileserver", p.file_server_profile}};
}

int file_server_index(const std::vector<FileServerSpec>& servers, const std::string& name)
{
  for (size_t s = 0; s < servers.size(); ++s)
    if (servers[s].name == name)
      return static_cast<int>(s);
  throw std::logic_error("no file server named " + name + " (the config reader checks every group's)");
}

int64_t hosts_of_first_architecture(const PlatformSpec& p)
{
  auto groups = host_groups(p);
  int64_t n = 0;
  for (const auto& g : groups)
    n += g.architecture == groups.front().architecture ? g.hosts : 0;
  return n;
}

} // namespace spritesim
