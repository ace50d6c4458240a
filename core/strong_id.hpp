// Ids that cannot be mixed up: a host index, a process id and a client id are all integers, and passing one where
// another is expected compiles silently. StrongId<Tag> wraps the integer, is built only explicitly, compares only
// with its own kind, hashes and formats as the number.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

#include <fmt/format.h>

namespace spritesim {

/// An id of the kind `Tag` held as `Rep`. Negative values mean "none" where a field says so (-1 by default).
template <typename Tag, typename Rep = int>
class StrongId {
public:
  using rep = Rep;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep v) : v_(v) {}
  /// The plain number, for indexing a table or writing it out.
  constexpr Rep value() const { return v_; }
  /// Whether it names something (not the -1 of "none").
  constexpr bool valid() const { return v_ >= 0; }
  constexpr auto operator<=>(const StrongId&) const = default;

private:
  Rep v_ = -1;
};

/// A workstation: its index in the book and in ClusterView::hosts.
using HostId = StrongId<struct HostTag>;
/// A process (a job's current attempt) as migd numbers it.
using ProcId = StrongId<struct ProcTag, int64_t>;
/// A client of migd (a pmake or a build session).
using ClientId = StrongId<struct ClientTag>;

} // namespace spritesim

template <typename Tag, typename Rep>
struct std::hash<spritesim::StrongId<Tag, Rep>> {
  size_t operator()(spritesim::StrongId<Tag, Rep> id) const noexcept { return std::hash<Rep>()(id.value()); }
};

/// Ids format as their number.
template <typename Tag, typename Rep>
struct fmt::formatter<spritesim::StrongId<Tag, Rep>> : fmt::formatter<Rep> {
  auto format(spritesim::StrongId<Tag, Rep> id, fmt::format_context& ctx) const
  {
    return fmt::formatter<Rep>::format(id.value(), ctx);
  }
};
