// Strict parsing of experiment configs (see experiment.hpp).
#include "core/experiment.hpp"

#include <filesystem>
#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "core/limits.hpp"
#include "core/platform_spec.hpp"

namespace spritesim {

static std::vector<CostOverride> parse_costs(const JsonReader& r)
{
  std::vector<CostOverride> out;
  for (const char* target : {"workstation", "file_server"}) {
    if (auto t = r.optional_member(target)) {
      for (const auto& key : t->keys()) {
        CostOverride o{target, key, t->member(key).as_number(0, 1e12)};
        out.push_back(o);
      }
    }
  }
  r.finish();
  return out;
}

// The workload keys that are fields of WorkloadSpec, with their values; a kind's other keys are its options.
static nlohmann::json workload_fields(const WorkloadSpec& w)
{
  return {
      {"trace", w.trace},
      {"max_jobs", w.max_jobs},
      {"max_local", w.max_local},
      {"migrate", w.migrate},
      {"generator", w.generator},
      {"host_per_command", w.host_per_command},
      {"local_first", w.local_first},
      {"host_selection", w.host_selection},
      {"request_retry_s", w.request_retry_s},
      {"duration_s", w.duration_s},
      {"processes", w.processes},
      {"script", w.script},
      {"builds", w.builds},
  };
}

// Keys that another kind reads: given for this one they would be silently ignored.
static void refuse_other_kinds_keys(const JsonReader& r, const WorkloadKindInfo& kind)
{
  for (std::string_view key : workload_kind_keys())
    if (std::find(kind.keys.begin(), kind.keys.end(), key) == kind.keys.end() && r.has(key) &&
        !r.member(key).node().is_null())
      r.member(key).fail(fmt::format("only {} workload has \"{}\" (this one is \"{}\"); remove it",
                                     kinds_reading(key), key, kind.name));
}

// What the kind needs to have something to run.
static void check_kind_needs(const JsonReader& r, const WorkloadSpec& w, const WorkloadKindInfo& kind)
{
  if (kind.needs_duration && w.duration_s <= 0)
    r.member("kind").fail(fmt::format("a \"{}\" workload needs duration_s > 0", kind.name));
  auto given = [&](std::string_view key) {
    return !(key == "processes" ? w.processes : key == "builds" ? w.builds : w.script).is_null();
  };
  if (!kind.job_keys.empty() && std::none_of(kind.job_keys.begin(), kind.job_keys.end(), given))
    r.member("kind").fail(
        fmt::format("a \"{}\" workload needs {}", kind.name, quoted_alternatives(kind.job_keys)));
}

static WorkloadSpec parse_workload(const JsonReader& r)
{
  WorkloadSpec w;
  std::string name = r.choice("kind", workload_kind_name(w.kind), workload_kind_names());
  w.kind = *find_workload_kind(name);
  const WorkloadKindInfo& kind = workload_kind_info(w.kind);
  refuse_other_kinds_keys(r, kind);
  w.trace = r.string("trace", w.trace);
  if (w.trace.empty())
    r.member("trace").fail("expected a trace: builtin:NAME or a file path");
  w.max_jobs = r.integer("max_jobs", w.max_jobs, 0, 100000);
  // At least one local slot: with none, a build whose policy never grants a host would wait forever.
  w.max_local = r.integer("max_local", w.max_local, 1, 64);
  w.migrate = r.boolean("migrate", w.migrate);
  w.host_per_command = r.boolean("host_per_command", w.host_per_command);
  w.local_first = r.boolean("local_first", w.local_first);
  w.host_selection = r.choice("host_selection", w.host_selection, {"migd", "shared_file"});
  w.request_retry_s = r.number("request_retry_s", w.request_retry_s, 0, 86400);
  if (auto g = r.optional_member("generator"); g && !g->node().is_null()) {
    if (!g->node().is_object())
      g->fail("expected an object of generator options, got " + json_type_name(g->node()));
    w.generator = g->node();
  }
  w.baseline = kind.sequential_baseline ? r.choice("baseline", w.baseline, {"sequential", "none"})
                                        : r.choice("baseline", "none", {"none"}); // no sequential run is defined
  w.duration_s = r.number("duration_s", w.duration_s, 0, MAX_SIM_SECONDS);
  for (auto [key, slot] : {std::pair{"processes", &w.processes}, std::pair{"builds", &w.builds}})
    if (auto o = r.optional_member(key); o && !o->node().is_null()) {
      if (!o->node().is_object())
        o->fail("expected an object, got " + json_type_name(o->node()));
      *slot = o->node();
    }
  if (auto sc = r.optional_member("script"); sc && !sc->node().is_null()) {
    if (!sc->node().is_array())
      sc->fail("expected an array of scripted processes, got " + json_type_name(sc->node()));
    w.script = sc->node();
  }
  nlohmann::json fields = workload_fields(w);
  for (std::string_view name : kind.keys) {
    std::string key(name);
    if (auto o = r.optional_member(key); o && !fields.contains(key))
      w.options[key] = o->node();
  }
  check_kind_needs(r, w, kind);
  r.finish();
  return w;
}

static OwnersSpec parse_owners(const JsonReader& r)
{
  OwnersSpec o;
  o.model = r.choice("model", o.model, {"none", "stochastic", "trace"});
  if (o.model != "trace" && r.has("trace"))
    r.member("trace").fail(fmt::format("only model \"trace\" reads an owner trace (this one is \"{}\")", o.model));
  if (o.model != "stochastic" && r.has("params"))
    r.member("params").fail(
        fmt::format("only model \"stochastic\" has params (this one is \"{}\"); remove them", o.model));
  o.trace = r.string("trace", o.trace);
  if (o.model == "trace" && o.trace.empty())
    r.member("model").fail("model \"trace\" needs \"trace\": a CSV file of console periods");
  for (auto [key, slot] : {std::pair{"trace_offset_s", &o.trace_offset_s},
                           std::pair{"trace_offset_per_seed_s", &o.trace_offset_per_seed_s}}) {
    if (o.model != "trace" && r.has(key))
      r.member(key).fail(fmt::format("only model \"trace\" has an offset (this one is \"{}\")", o.model));
    *slot = r.number(key, *slot, 0, MAX_SIM_SECONDS);
  }
  for (auto [key, slot] : {std::pair{"params", &o.params}, std::pair{"idle_rule", &o.idle_rule}})
    if (auto m = r.optional_member(key)) {
      if (!m->node().is_object())
        m->fail("expected an object, got " + json_type_name(m->node()));
      *slot = m->node();
    }
  r.finish();
  return o;
}

static MigrationSpec parse_migration(const JsonReader& r)
{
  MigrationSpec m;
  m.direct_remote_moves = r.boolean("direct_remote_moves", m.direct_remote_moves);
  m.demand_paging = r.boolean("demand_paging", m.demand_paging);
  m.processes_migratable = r.boolean("processes_migratable", m.processes_migratable);
  r.finish();
  return m;
}

PolicySpec parse_policy(const JsonReader& r)
{
  PolicySpec p;
  p.name = r.string("name", p.name);
  if (auto params = r.optional_member("params")) {
    if (!params->node().is_object())
      params->fail("expected an object of policy parameters, got " + json_type_name(params->node()));
    p.params = params->node();
  }
  const bool external = p.name == "external";
  for (const char* key : {"command", "timeout_s"})
    if (!external && r.has(key))
      r.member(key).fail(fmt::format("only policy \"external\" has \"{}\" (this one is \"{}\")", key, p.name));
  if (external) {
    JsonReader command = r.member("command");
    if (!command.node().is_array() || command.node().empty())
      command.fail("expected the program and its arguments, a non-empty array of strings");
    for (const auto& arg : command.elements())
      p.command.push_back(arg.as_string());
    p.timeout_s = r.number("timeout_s", p.timeout_s, 0.001, 3600);
  }
  r.finish();
  return p;
}

ExperimentSpec parse_experiment(const nlohmann::json& doc, const std::string& file)
{
  JsonReader r(doc, file);
  if (!doc.is_object())
    r.fail("expected a JSON object (an experiment config), got " + json_type_name(doc));
  ExperimentSpec s;
  s.file = file;
  s.name = r.string("name", std::filesystem::path(file).stem().string());
  s.seed = static_cast<uint64_t>(r.integer("seed", 1, 0, std::numeric_limits<int32_t>::max()));
  if (auto p = r.optional_member("platform"))
    s.platform = parse_platform_member(*p, file);
  if (auto c = r.optional_member("costs"))
    s.costs = parse_costs(*c);
  if (auto w = r.optional_member("workload"))
    s.workload = parse_workload(*w);
  if (auto p = r.optional_member("policy"))
    s.policy = parse_policy(*p);
  if (auto o = r.optional_member("owners"))
    s.owners = parse_owners(*o);
  if (auto m = r.optional_member("migration"))
    s.migration = parse_migration(*m);
  r.finish();
  if (s.workload.max_jobs == 0)
    s.workload.max_jobs = std::max<int64_t>(1, hosts_of_first_architecture(s.platform) - 1);
  // Profile files and a trace file are relative to the config's folder (builtin traces and profiles need no file).
  if (s.workload.trace.rfind("builtin:", 0) != 0)
    beside_config(s.workload.trace, file);
  if (!s.owners.trace.empty())
    beside_config(s.owners.trace, file);
  std::vector<std::string*> profiles = {&s.platform.profile, &s.platform.file_server_profile};
  for (auto& g : s.platform.groups)
    profiles.push_back(&g.profile);
  for (auto& f : s.platform.file_servers)
    profiles.push_back(&f.profile);
  for (std::string* profile : profiles)
    if (profile->find(".json") != std::string::npos)
      beside_config(*profile, file);
  // An external policy's program or script given by a relative path with a slash ("policies/mine.py", not
  // "python3", nor an option such as "--rule=a/b") is one of the config's files too.
  for (std::string& arg : s.policy.command)
    if (arg.find('/') != std::string::npos && arg[0] != '-')
      beside_config(arg, file);
  return s;
}

ExperimentSpec parse_experiment_text(const std::string& text, const std::string& path,
                                     const std::vector<std::string>& set_overrides)
{
  nlohmann::json doc = parse_json_text(text, path);
  for (const auto& kv : set_overrides) {
    auto eq = kv.find('=');
    if (eq == std::string::npos)
      throw InputError("--set " + kv, "", "expected PATH=VALUE, e.g. --set platform.workstations=4");
    if (!doc.is_object())
      break; // parse_experiment reports the real problem
    json_set_dotted(doc, kv.substr(0, eq), kv.substr(eq + 1), "--set " + kv);
  }
  try {
    return parse_experiment(doc, path);
  } catch (const InputError& e) {
    throw blame_set_override(e, path, set_overrides);
  }
}

InputError blame_set_override(const InputError& e, const std::string& file, const std::vector<std::string>& sets)
{
  if (e.file() != file)
    return e;
  for (auto it = sets.rbegin(); it != sets.rend(); ++it) { // the last --set of a path is the one that holds
    auto eq = it->find('=');
    if (eq == std::string::npos)
      continue;
    std::string json_path = "$";
    std::string dotted = it->substr(0, eq);
    for (size_t start = 0; start <= dotted.size();) {
      size_t dot = std::min(dotted.find('.', start), dotted.size());
      json_path = json_path_join(json_path, std::string_view(dotted).substr(start, dot - start));
      start = dot + 1;
    }
    const std::string& w = e.where();
    if (w == json_path || w.rfind(json_path + ".", 0) == 0 || w.rfind(json_path + "[", 0) == 0)
      return InputError(fmt::format("--set {} (over {})", *it, file), w, e.message());
  }
  return e;
}

nlohmann::json to_json(const ExperimentSpec& s)
{
  nlohmann::json costs = nlohmann::json::object();
  for (const auto& o : s.costs)
    costs[o.target][o.param] = o.value;
  // Only the keys that apply to the kind: the resolved config must parse again as it is.
  const WorkloadSpec& w = s.workload;
  nlohmann::json fields = workload_fields(w);
  nlohmann::json workload = {{"kind", workload_kind_name(w.kind)}, {"baseline", w.baseline}};
  for (std::string_view name : workload_kind_info(w.kind).keys) {
    std::string key(name);
    if (fields.contains(key))
      workload[key] = fields.at(key);
    else if (w.options.contains(key))
      workload[key] = w.options.at(key);
  }
  nlohmann::json owners = {{"model", s.owners.model}, {"idle_rule", s.owners.idle_rule}};
  if (s.owners.model == "trace") {
    owners["trace"] = s.owners.trace;
    owners["trace_offset_s"] = s.owners.trace_offset_s;
    owners["trace_offset_per_seed_s"] = s.owners.trace_offset_per_seed_s;
  }
  if (s.owners.model == "stochastic")
    owners["params"] = s.owners.params;
  return {
      {"name", s.name},
      {"seed", s.seed},
      {"platform", to_json(s.platform)},
      {"costs", costs},
      {"workload", workload},
      {"owners", owners},
      {"migration",
       {{"direct_remote_moves", s.migration.direct_remote_moves}, {"demand_paging", s.migration.demand_paging},
        {"processes_migratable", s.migration.processes_migratable}}},
      {"policy", to_json(s.policy)},
  };
}

nlohmann::json to_json(const PolicySpec& p)
{
  nlohmann::json out = {{"name", p.name}, {"params", p.params}};
  if (!p.command.empty()) {
    out["command"] = p.command;
    out["timeout_s"] = p.timeout_s;
  }
  return out;
}

double owner_trace_start_s(const ExperimentSpec& spec)
{
  return spec.owners.trace_offset_s + static_cast<double>(spec.seed) * spec.owners.trace_offset_per_seed_s;
}

} // namespace spritesim
