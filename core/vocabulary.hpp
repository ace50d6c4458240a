// The closed lists of names the records and the policy boundary use (migration kinds, eviction reasons, policy
// events and decisions), as enums: code compares and counts values, and text appears only at the edges (CSV,
// JSON, the journal), through to_string and parse_enum, so that a misspelt name fails to compile.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

namespace spritesim {

/// How a process moved (migrations.csv `kind`).
enum class MigrationKind {
  EXEC,      ///< "exec": exec-time migration (remote invocation)
  EVICT,     ///< "evict": sent home (owner returned, host revoked, a policy's EVICT)
  TO_HOME,   ///< "to-home": a policy's MIGRATE to the process's home
  FROM_HOME, ///< "from-home": a policy's MIGRATE away from home
  REMOTE,    ///< "remote": a policy's MIGRATE between remote hosts
  RESTART    ///< "restart": killed, rerun from scratch at home
};

/// Why a host was freed of its foreign processes (evictions.csv `reason`).
enum class EvictionReason {
  OWNER,    ///< "owner": console input
  FAIRNESS, ///< "fairness": the host was revoked for another client
  POLICY    ///< "policy": a policy's own EVICT, RESTART or SUSPEND
};

/// What happened since a policy's last call (policy/cluster_view.hpp PolicyEvent; decisions.csv `event`).
enum class EventKind {
  HOST_REQUEST,      ///< client wants `count` hosts (Mig_RequestIdleHosts)
  HOST_RETURNED,     ///< client gave `host` back
  PROCESS_ARRIVED,   ///< process `proc` exec'd at `home` and waits for a placement (PLACE, or it runs at home)
  PROCESS_EXITED,    ///< process `proc` finished on `host`
  OWNER_ACTIVE,      ///< the owner of `host` touched the console after an idle period
  OWNER_IDLE,        ///< `host` met the idle rule again
  HOST_DOWN,         ///< `host` stopped reporting
  MIGRATION_DONE,    ///< process `proc` now runs on `host`
  DECISION_REJECTED, ///< the backend could not carry out `rejected` (state changed meanwhile); see `reason`
  TIMER              ///< a WAKE_AT time was reached
};

/// What a policy may decide (policy/cluster_view.hpp Decision).
enum class DecisionKind {
  GRANT_HOST,  ///< give `host` to `client` for its exclusive use
  REVOKE_HOST, ///< take `host` back from `client`; its processes there are evicted home
  PLACE,       ///< run the WAITING process `proc` on `host` (exec-time migration, or home: run locally)
  MIGRATE,     ///< move the running process `proc` to `host` (active migration; through home unless direct)
  EVICT,       ///< send `proc` home (active migration)
  SUSPEND,     ///< stop `proc` where it is (SIGSTOP); it keeps its memory on the host
  RESUME,      ///< let a suspended `proc` run again where it is
  RESTART,     ///< kill `proc` and start it again from scratch at home (remote execution without migration)
  WAKE_AT      ///< call the policy again at `at_s` even if nothing happens
};

/// What decisions.csv lists in `kind`: every DecisionKind, in the same order, plus RETURN_HOST (a client gave a
/// host back: not a decision, but following the grants needs it). recorded() converts.
enum class RecordedKind {
  GRANT_HOST,
  REVOKE_HOST,
  PLACE,
  MIGRATE,
  EVICT,
  SUSPEND,
  RESUME,
  RESTART,
  WAKE_AT,
  RETURN_HOST ///< "return_host"
};

/// How hosts' CPUs and the Ethernet are shared by the work on them (platform.sharing; sim/sharing.hpp).
enum class SharingModel {
  PROCESSOR_SHARING, ///< "processor-sharing": queues of our own, O(log n) per event (the default)
  MAX_MIN            ///< "max-min": SimGrid's activities and max-min solver, the exact model kept for checking
};

/// The decisions.csv kind of a policy decision.
constexpr RecordedKind recorded(DecisionKind k) { return static_cast<RecordedKind>(k); }
static_assert(static_cast<int>(RecordedKind::WAKE_AT) == static_cast<int>(DecisionKind::WAKE_AT));

/// The text of a value, as the outputs spell it.
const char* to_string(MigrationKind k);
const char* to_string(EvictionReason r);
const char* to_string(EventKind k);
const char* to_string(DecisionKind k);
const char* to_string(RecordedKind k);
const char* to_string(SharingModel m);

/// Every value of an enum above, in declaration order (specialised for each).
template <typename Enum>
struct EnumValues;

template <typename Enum, size_t N>
constexpr std::array<Enum, N> enum_range()
{
  std::array<Enum, N> all{};
  for (size_t i = 0; i < N; ++i)
    all[i] = static_cast<Enum>(i);
  return all;
}
template <>
struct EnumValues<MigrationKind> {
  static constexpr auto all = enum_range<MigrationKind, 6>();
};
template <>
struct EnumValues<EvictionReason> {
  static constexpr auto all = enum_range<EvictionReason, 3>();
};
template <>
struct EnumValues<EventKind> {
  static constexpr auto all = enum_range<EventKind, 10>();
};
template <>
struct EnumValues<DecisionKind> {
  static constexpr auto all = enum_range<DecisionKind, 9>();
};
template <>
struct EnumValues<RecordedKind> {
  static constexpr auto all = enum_range<RecordedKind, 10>();
};
template <>
struct EnumValues<SharingModel> {
  static constexpr auto all = enum_range<SharingModel, 2>();
};

// The counts above end at these values; a value added to an enum goes last and moves its count and its line here.
static_assert(EnumValues<MigrationKind>::all.back() == MigrationKind::RESTART);
static_assert(EnumValues<EvictionReason>::all.back() == EvictionReason::POLICY);
static_assert(EnumValues<EventKind>::all.back() == EventKind::TIMER);
static_assert(EnumValues<DecisionKind>::all.back() == DecisionKind::WAKE_AT);
static_assert(EnumValues<RecordedKind>::all.back() == RecordedKind::RETURN_HOST);
static_assert(EnumValues<SharingModel>::all.back() == SharingModel::MAX_MIN);

/// The value whose text is `text`, or nullopt.
template <typename Enum>
std::optional<Enum> parse_enum(std::string_view text)
{
  for (Enum v : EnumValues<Enum>::all)
    if (text == to_string(v))
      return v;
  return std::nullopt;
}

/// The texts of every value, quoted and joined for an error message: "\"owner\", \"fairness\" or \"policy\"".
template <typename Enum>
std::string enum_names()
{
  std::string out;
  const auto& all = EnumValues<Enum>::all;
  for (size_t i = 0; i < all.size(); ++i)
    out += (i == 0 ? "\"" : i + 1 == all.size() ? " or \"" : ", \"") + std::string(to_string(all[i])) + "\"";
  return out;
}

} // namespace spritesim

/// The enums of this header format as their text: fmt::format("{}", MigrationKind::EXEC) is "exec".
template <typename Enum>
  requires requires { spritesim::EnumValues<Enum>::all; }
struct fmt::formatter<Enum, char, void> : fmt::formatter<fmt::string_view> {
  auto format(Enum v, fmt::format_context& ctx) const
  {
    return fmt::formatter<fmt::string_view>::format(spritesim::to_string(v), ctx);
  }
};
