// The capability sets of migd_book.hpp.
#include "migd/migd_book.hpp"

namespace spritesim {

Capabilities Capabilities::all()
{
  Capabilities c;
  c.bits_.set();
  return c;
}

Capabilities Capabilities::without(DecisionKind k) const
{
  Capabilities c = *this;
  c.bits_.reset(static_cast<size_t>(k));
  return c;
}

Capabilities simulator_capabilities() { return Capabilities::all(); }

Capabilities real_capabilities()
{
  return Capabilities::all()
      .without(DecisionKind::MIGRATE)
      .without(DecisionKind::EVICT)
      .without(DecisionKind::GRANT_HOST);
}

} // namespace spritesim
