// The external policy protocol's messages as JSON (docs/external-policies.md): the view, the events and the
// decisions, each field under its C++ name, enums as their vocabulary.hpp text. Both directions, so that the
// round trip is tested and a recorded exchange can be read back.
#pragma once

#include <nlohmann/json.hpp>

#include "core/json_reader.hpp"
#include "policy/cluster_view.hpp"

namespace spritesim {

/// The protocol's version: a hello naming another is refused. Raise it when a message changes meaning.
constexpr int EXTERNAL_POLICY_PROTOCOL = 1;

nlohmann::json to_json(const ClusterView& view);
nlohmann::json to_json(const PolicyEvent& ev);
nlohmann::json to_json(const Decision& d);

/// The parsers are strict: unknown keys, wrong types and unknown kinds are InputErrors with the JSON path.
/// Absent fields keep their defaults (-1 for ids: none).
ClusterView parse_view(const JsonReader& r);
PolicyEvent parse_event(const JsonReader& r);
Decision parse_decision(const JsonReader& r);

/// The ProcState whose text is `text` (to_string(ProcState)), or nullopt.
std::optional<ProcState> parse_proc_state(std::string_view text);

} // namespace spritesim
