// The migd core's owner returns (see migd_core.hpp): each owner coming back to a console is followed until the
// owner has left and the host holds no foreign process any more, then recorded (owner_returns.csv, docs/outputs.md).
#include <algorithm>

#include "migd/migd_core.hpp"

namespace spritesim {

void MigdCore::open_return(int h)
{
  const BookHost& s = hosts_[static_cast<size_t>(h)];
  OpenReturn o;
  o.rec.time_s = actuator_.now();
  o.rec.host = s.name;
  o.rec.foreign_processes = s.foreign;
  o.cpu_at_start = actuator_.foreign_cpu_s(h);
  o.freed = s.foreign == 0;
  open_returns_[static_cast<size_t>(h)].push_back(std::move(o));
}

void MigdCore::returns_owner_left(int h, double last_input_s)
{
  for (OpenReturn& o : open_returns_[static_cast<size_t>(h)])
    if (o.active) {
      o.active = false;
      o.rec.active_s = last_input_s - o.rec.time_s;
      o.rec.foreign_cpu_s = actuator_.foreign_cpu_s(h) - o.cpu_at_start;
    }
  record_returns(h);
}

void MigdCore::check_freed(int h)
{
  if (h >= 0 && hosts_[static_cast<size_t>(h)].foreign == 0)
    returns_freed(h);
}

void MigdCore::returns_freed(int h)
{
  for (OpenReturn& o : open_returns_[static_cast<size_t>(h)])
    if (!o.freed) {
      o.freed = true;
      o.rec.intrusion_s = actuator_.now() - o.rec.time_s;
    }
  record_returns(h);
}

void MigdCore::record_returns(int h)
{
  auto& open = open_returns_[static_cast<size_t>(h)];
  for (auto it = open.begin(); it != open.end();) {
    if (it->freed && !it->active) {
      owner_returns_.push_back(std::move(it->rec));
      it = open.erase(it);
    } else {
      ++it;
    }
  }
}

void MigdCore::close_returns()
{
  double now = actuator_.now();
  for (size_t h = 0; h < open_returns_.size(); ++h) {
    for (OpenReturn& o : open_returns_[h]) {
      if (!o.freed)
        o.rec.intrusion_s = now - o.rec.time_s;
      if (o.active) {
        o.rec.active_s = now - o.rec.time_s;
        o.rec.foreign_cpu_s = actuator_.foreign_cpu_s(static_cast<int>(h)) - o.cpu_at_start;
      }
      o.rec.censored = true;
      owner_returns_.push_back(std::move(o.rec));
    }
    open_returns_[h].clear();
  }
  std::stable_sort(owner_returns_.begin(), owner_returns_.end(),
                   [](const OwnerReturnRecord& a, const OwnerReturnRecord& b) { return a.time_s < b.time_s; });
}

} // namespace spritesim
