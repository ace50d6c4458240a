// The texts of the vocabulary's enums (vocabulary.hpp), as the CSVs, results.json and real mode's journal spell
// them; docs/outputs.md documents each.
#include "core/vocabulary.hpp"

namespace spritesim {

const char* to_string(MigrationKind k)
{
  switch (k) {
    case MigrationKind::EXEC: return "exec";
    case MigrationKind::EVICT: return "evict";
    case MigrationKind::TO_HOME: return "to-home";
    case MigrationKind::FROM_HOME: return "from-home";
    case MigrationKind::REMOTE: return "remote";
    case MigrationKind::RESTART: return "restart";
  }
  return "?";
}

const char* to_string(EvictionReason r)
{
  switch (r) {
    case EvictionReason::OWNER: return "owner";
    case EvictionReason::FAIRNESS: return "fairness";
    case EvictionReason::POLICY: return "policy";
  }
  return "?";
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

const char* to_string(RecordedKind k)
{
  if (k == RecordedKind::RETURN_HOST)
    return "return_host";
  return to_string(static_cast<DecisionKind>(k));
}

const char* to_string(SharingModel m) { return m == SharingModel::MAX_MIN ? "max-min" : "processor-sharing"; }

} // namespace spritesim
