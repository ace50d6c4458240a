// A build's shared marker of migd trouble (see build_state.hpp): written whole under a temporary name and linked
// into place, so that exactly one recipe's rexec wins and no one reads it half written.
#include "real/build_state.hpp"

#include <cerrno>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "real/net.hpp"

namespace spritesim::real {

BuildState::BuildState(std::string dir) : dir_(std::move(dir)) {}

std::string BuildState::marker() const { return dir_ + "/migd-trouble"; }

MigdTrouble BuildState::trouble() const
{
  if (dir_.empty())
    return MigdTrouble::NONE;
  std::ifstream in(marker());
  std::string word;
  if (!(in >> word))
    return MigdTrouble::NONE;
  return word == "refused" ? MigdTrouble::REFUSED : MigdTrouble::UNREACHABLE;
}

bool BuildState::report(MigdTrouble trouble, const std::string& why) const
{
  if (dir_.empty() || trouble == MigdTrouble::NONE)
    return true;
  return claim(marker(), fmt::format("{}\n{}\n", trouble == MigdTrouble::REFUSED ? "refused" : "unreachable", why));
}

bool BuildState::first_to_say(const std::string& what) const
{
  return dir_.empty() || claim(dir_ + "/said-" + what, "\n");
}

bool BuildState::claim(const std::string& path, const std::string& content) const
{
  std::string tmp = fmt::format("{}.{}", path, ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return true;
  bool written = write_fully(fd, content);
  ::close(fd);
  // link() fails when the file exists: only one recipe of the build gets to say it.
  bool first = written && ::link(tmp.c_str(), path.c_str()) == 0;
  bool taken = !first && errno == EEXIST;
  ::unlink(tmp.c_str());
  return !taken;
}

} // namespace spritesim::real
