// The non-virtual policy runner and the registry (see policy.hpp).
#include "policy/policy.hpp"

#include <algorithm>
#include <initializer_list>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "policy/placement/sprite_longest_idle.hpp"

namespace spritesim {

const ProcessView* ClusterView::process(int64_t id) const
{
  auto it = std::lower_bound(processes.begin(), processes.end(), id,
                             [](const ProcessView& p, int64_t v) { return p.id < v; });
  return it != processes.end() && it->id == id ? &*it : nullptr;
}

const char* to_string(EventKind k)
{
  switch (k) {
    case EventKind::HOST_REQUEST: return "host_request";
    case EventKind::HOST_RETURNED: return "host_returned";
    case EventKind::PROCESS_ARRIVED: return "process_arrived";
    case EventKind::PROCESS_EXITED: return "process_exited";
    case EventKind::OWNER_ACTIVE: return "owner_active";
    case EventKind::OWNER_IDLE: return "owner_idle";
    case EventKind::HOST_DOWN: return "host_down";
    case EventKind::MIGRATION_DONE: return "migration_done";
    case EventKind::DECISION_REJECTED: return "decision_rejected";
    case EventKind::TIMER: return "timer";
  }
  return "?";
}

const char* to_string(DecisionKind k)
{
  switch (k) {
    case DecisionKind::GRANT_HOST: return "grant_host";
    case DecisionKind::REVOKE_HOST: return "revoke_host";
    case DecisionKind::PLACE: return "place";
    case DecisionKind::MIGRATE: return "migrate";
    case DecisionKind::EVICT: return "evict";
    case DecisionKind::SUSPEND: return "suspend";
    case DecisionKind::RESUME: return "resume";
    case DecisionKind::RESTART: return "restart";
    case DecisionKind::WAKE_AT: return "wake_at";
  }
  return "?";
}

const char* to_string(ProcState s)
{
  switch (s) {
    case ProcState::WAITING: return "waiting";
    case ProcState::RUNNING: return "running";
    case ProcState::SUSPENDED: return "suspended";
    case ProcState::MIGRATING: return "migrating";
  }
  return "?";
}

namespace {

[[noreturn]] void reject(const Decision& d, const std::string& why)
{
  throw std::logic_error(fmt::format("policy decision {} (client {}, host {}, process {}) is invalid: {}",
                                     to_string(d.kind), d.client, d.host, d.proc, why));
}

const HostView& checked_host(const ClusterView& view, const Decision& d)
{
  if (d.host < 0 || d.host >= static_cast<int>(view.hosts.size()))
    reject(d, "unknown host");
  const HostView& h = view.hosts[static_cast<size_t>(d.host)];
  if (h.is_file_server)
    reject(d, "the file server runs no processes");
  return h;
}

const ProcessView& checked_process(const ClusterView& view, const Decision& d, std::set<int64_t>& touched)
{
  const ProcessView* p = view.process(d.proc);
  if (!p)
    reject(d, "unknown process");
  if (!touched.insert(d.proc).second)
    reject(d, "a second decision on the same process in one answer");
  return *p;
}

void check_state(const Decision& d, const ProcessView& p, std::initializer_list<ProcState> allowed)
{
  for (ProcState s : allowed)
    if (p.state == s)
      return;
  reject(d, fmt::format("the process is {}", to_string(p.state)));
}

} // namespace

std::vector<Decision> Policy::decide(const ClusterView& view, const std::vector<PolicyEvent>& events)
{
  ++calls_;
  std::vector<Decision> out = do_decide(view, events);
  std::set<int> granted;
  std::set<int64_t> touched;
  for (const auto& d : out) {
    switch (d.kind) {
      case DecisionKind::GRANT_HOST: {
        const HostView& h = checked_host(view, d);
        if (!h.up || h.holder >= 0 || !granted.insert(d.host).second)
          reject(d, fmt::format("host {} is not free", h.name));
        for (const auto& ev : events)
          if (ev.kind == EventKind::HOST_REQUEST && ev.client == d.client && ev.home == d.host)
            reject(d, fmt::format("host {} is the client's own home", h.name));
        break;
      }
      case DecisionKind::REVOKE_HOST: {
        const HostView& h = checked_host(view, d);
        if (h.holder != d.client)
          reject(d, fmt::format("client {} does not hold host {}", d.client, h.name));
        break;
      }
      case DecisionKind::PLACE: {
        const HostView& h = checked_host(view, d);
        const ProcessView& p = checked_process(view, d, touched);
        check_state(d, p, {ProcState::WAITING});
        if (!h.up)
          reject(d, fmt::format("host {} is down", h.name));
        break;
      }
      case DecisionKind::MIGRATE: {
        const HostView& h = checked_host(view, d);
        const ProcessView& p = checked_process(view, d, touched);
        check_state(d, p, {ProcState::RUNNING, ProcState::SUSPENDED});
        if (!h.up || h.id == p.host || !p.migratable)
          reject(d, "the process cannot move there");
        break;
      }
      case DecisionKind::EVICT: {
        const ProcessView& p = checked_process(view, d, touched);
        check_state(d, p, {ProcState::RUNNING, ProcState::SUSPENDED});
        if (p.host == p.home)
          reject(d, "the process is already at home");
        break;
      }
      case DecisionKind::SUSPEND:
        check_state(d, checked_process(view, d, touched), {ProcState::RUNNING});
        break;
      case DecisionKind::RESUME:
        check_state(d, checked_process(view, d, touched), {ProcState::SUSPENDED});
        break;
      case DecisionKind::RESTART:
        check_state(d, checked_process(view, d, touched), {ProcState::RUNNING, ProcState::SUSPENDED});
        break;
      case DecisionKind::WAKE_AT:
        if (!(d.at_s > view.now_s))
          reject(d, fmt::format("wake-up at {} is not after now ({})", d.at_s, view.now_s));
        break;
    }
    ++by_kind_[static_cast<size_t>(d.kind)];
  }
  decisions_ += out.size();
  return out;
}

const std::vector<PolicyInfo>& policy_registry()
{
  static const std::vector<PolicyInfo> registry = {sprite_longest_idle_info()};
  return registry;
}

std::unique_ptr<Policy> make_policy(const std::string& name, const nlohmann::json& params, const std::string& file,
                                    const std::string& path)
{
  for (const auto& info : policy_registry()) {
    if (info.name != name)
      continue;
    static const nlohmann::json no_params = nlohmann::json::object();
    JsonReader r(params.is_null() ? no_params : params, file, path + ".params");
    PolicyParams values;
    for (const auto& p : info.params) {
      if (p.type == "boolean")
        values[p.name] = r.boolean(p.name, p.default_value != 0) ? 1 : 0;
      else if (p.type == "integer")
        values[p.name] = static_cast<double>(r.integer(p.name, static_cast<int64_t>(p.default_value),
                                                       static_cast<int64_t>(p.min), static_cast<int64_t>(p.max)));
      else
        values[p.name] = r.number(p.name, p.default_value, p.min, p.max);
    }
    r.finish();
    return info.make(values);
  }
  std::vector<std::string> names;
  for (const auto& info : policy_registry())
    names.push_back(info.name);
  throw InputError(file, path + ".name", fmt::format("unknown policy \"{}\" (known: {})", name, fmt::join(names, ", ")));
}

} // namespace spritesim
