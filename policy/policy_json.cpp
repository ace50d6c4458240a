// The external policy protocol's messages as JSON (see policy_json.hpp). Numbers go out with all their digits
// (nlohmann writes the shortest text that reads back to the same double), so a policy in another language sees
// exactly the times and loads a built-in policy sees.
#include "policy/policy_json.hpp"

#include <cstdint>
#include <limits>

#include <fmt/format.h>

namespace spritesim {

namespace {

constexpr double BIG = std::numeric_limits<double>::max();
constexpr int64_t MAX_ID = std::numeric_limits<int32_t>::max();

template <typename Enum>
Enum enum_member(const JsonReader& r, std::string_view key)
{
  JsonReader m = r.member(key);
  std::string text = m.as_string();
  auto v = parse_enum<Enum>(text);
  if (!v)
    m.fail(fmt::format("expected {}, got \"{}\"", enum_names<Enum>(), text));
  return *v;
}

int id_member(const JsonReader& r, std::string_view key, int def)
{
  return static_cast<int>(r.integer(key, def, -1, MAX_ID));
}

std::vector<int> int_array(const JsonReader& r, std::string_view key)
{
  std::vector<int> out;
  if (auto a = r.optional_member(key))
    for (const auto& e : a->elements())
      out.push_back(static_cast<int>(e.as_integer(-1, MAX_ID)));
  return out;
}

nlohmann::json host_json(const HostView& h)
{
  return {{"id", h.id},
          {"name", h.name},
          {"is_file_server", h.is_file_server},
          {"up", h.up},
          {"available", h.available},
          {"owner_active", h.owner_active},
          {"last_input_s", h.last_input_s},
          {"idle_since_s", h.idle_since_s},
          {"load", {h.load[0], h.load[1], h.load[2]}},
          {"run_queue", h.run_queue},
          {"foreign", h.foreign},
          {"holder", h.holder},
          {"speed", h.speed},
          {"architecture", h.architecture}};
}

HostView parse_host(const JsonReader& r)
{
  HostView h;
  h.id = static_cast<int>(r.required_integer("id", 0, MAX_ID));
  h.name = r.string("name", h.name);
  h.is_file_server = r.boolean("is_file_server", h.is_file_server);
  h.up = r.boolean("up", h.up);
  h.available = r.boolean("available", h.available);
  h.owner_active = r.boolean("owner_active", h.owner_active);
  h.last_input_s = r.number("last_input_s", h.last_input_s, -BIG, BIG);
  h.idle_since_s = r.number("idle_since_s", h.idle_since_s, -BIG, BIG);
  if (auto load = r.optional_member("load")) {
    auto values = load->elements();
    if (values.size() != 3)
      load->fail(fmt::format("expected the 1-, 5- and 15-minute loads, got {} values", values.size()));
    for (size_t i = 0; i < 3; ++i)
      h.load[i] = values[i].as_number(0, BIG);
  }
  h.run_queue = static_cast<int>(r.integer("run_queue", h.run_queue, 0, MAX_ID));
  h.foreign = static_cast<int>(r.integer("foreign", h.foreign, 0, MAX_ID));
  h.holder = id_member(r, "holder", h.holder);
  h.speed = r.number("speed", h.speed, 0, BIG);
  h.architecture = r.string("architecture", h.architecture);
  r.finish();
  return h;
}

nlohmann::json process_json(const ProcessView& p)
{
  return {{"id", p.id},
          {"client", p.client},
          {"home", p.home},
          {"host", p.host},
          {"state", to_string(p.state)},
          {"run_start_s", p.run_start_s},
          {"started_s", p.started_s},
          {"migration_cost_s", p.migration_cost_s},
          {"migratable", p.migratable}};
}

ProcessView parse_process(const JsonReader& r)
{
  ProcessView p;
  p.id = r.required_integer("id", 0, std::numeric_limits<int64_t>::max());
  p.client = id_member(r, "client", p.client);
  p.home = static_cast<int>(r.integer("home", p.home, 0, MAX_ID));
  p.host = static_cast<int>(r.integer("host", p.host, 0, MAX_ID));
  if (auto s = r.optional_member("state")) {
    std::string text = s->as_string();
    auto state = parse_proc_state(text);
    if (!state)
      s->fail(fmt::format("expected \"waiting\", \"running\", \"suspended\" or \"migrating\", got \"{}\"", text));
    p.state = *state;
  }
  p.run_start_s = r.number("run_start_s", p.run_start_s, -BIG, BIG);
  p.started_s = r.number("started_s", p.started_s, -BIG, BIG);
  p.migration_cost_s = r.number("migration_cost_s", p.migration_cost_s, 0, BIG);
  p.migratable = r.boolean("migratable", p.migratable);
  r.finish();
  return p;
}

} // namespace

std::optional<ProcState> parse_proc_state(std::string_view text)
{
  for (ProcState s : {ProcState::WAITING, ProcState::RUNNING, ProcState::SUSPENDED, ProcState::MIGRATING})
    if (text == to_string(s))
      return s;
  return std::nullopt;
}

nlohmann::json to_json(const ClusterView& view)
{
  nlohmann::json hosts = nlohmann::json::array(), processes = nlohmann::json::array();
  for (const auto& h : view.hosts)
    hosts.push_back(host_json(h));
  for (const auto& p : view.processes)
    processes.push_back(process_json(p));
  return {{"now_s", view.now_s},
          {"hosts", std::move(hosts)},
          {"processes", std::move(processes)},
          {"held_by_client", view.held_by_client},
          {"client_homes", view.client_homes}};
}

ClusterView parse_view(const JsonReader& r)
{
  ClusterView v;
  v.now_s = r.required_number("now_s", -BIG, BIG);
  for (const auto& h : r.member("hosts").elements())
    v.hosts.push_back(parse_host(h));
  for (const auto& p : r.member("processes").elements())
    v.processes.push_back(parse_process(p));
  v.held_by_client = int_array(r, "held_by_client");
  v.client_homes = int_array(r, "client_homes");
  r.finish();
  return v;
}

nlohmann::json to_json(const Decision& d)
{
  return {{"kind", to_string(d.kind)},
          {"client", d.client.value()},
          {"host", d.host.value()},
          {"proc", d.proc.value()},
          {"at_s", d.at_s}};
}

Decision parse_decision(const JsonReader& r)
{
  Decision d;
  d.kind = enum_member<DecisionKind>(r, "kind");
  d.client = ClientId(id_member(r, "client", -1));
  d.host = HostId(id_member(r, "host", -1));
  d.proc = ProcId(r.integer("proc", -1, -1, std::numeric_limits<int64_t>::max()));
  d.at_s = r.number("at_s", 0, -BIG, BIG);
  r.finish();
  return d;
}

nlohmann::json to_json(const PolicyEvent& ev)
{
  nlohmann::json j = {{"kind", to_string(ev.kind)}, {"client", ev.client}, {"home", ev.home},
                      {"count", ev.count},          {"host", ev.host},     {"proc", ev.proc}};
  if (ev.kind == EventKind::DECISION_REJECTED) {
    j["rejected"] = to_json(ev.rejected);
    j["reason"] = ev.reason;
  }
  return j;
}

PolicyEvent parse_event(const JsonReader& r)
{
  PolicyEvent ev;
  ev.kind = enum_member<EventKind>(r, "kind");
  ev.client = id_member(r, "client", -1);
  ev.home = id_member(r, "home", -1);
  ev.count = static_cast<int>(r.integer("count", 0, 0, MAX_ID));
  ev.host = id_member(r, "host", -1);
  ev.proc = r.integer("proc", -1, -1, std::numeric_limits<int64_t>::max());
  if (auto rejected = r.optional_member("rejected"))
    ev.rejected = parse_decision(*rejected);
  ev.reason = r.string("reason", "");
  r.finish();
  return ev;
}

} // namespace spritesim
