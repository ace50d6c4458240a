// The agent's idleness probes that read the system at every poll (see idle_probe.hpp), since an owner's return must
// be seen within milliseconds: the owner-control file, terminal access times and evdev input events; and the spec
// parser. The probes that run a process (logind, command) are in idle_probe_sampled.cpp.
#include "real/idle_probe.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fcntl.h>
#include <linux/input.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "real/net.hpp"

namespace spritesim::real {

namespace fs = std::filesystem;

namespace {
const char* SPECS = "expected file:PATH, tty, tty:DIR, input, input:DIR, logind or command:CMD";
constexpr double RESCAN_S = 3;          // how often new terminals and input devices are looked for

double file_time(const struct timespec& t) { return static_cast<double>(t.tv_sec) + t.tv_nsec * 1e-9; }

bool all_digits(const std::string& s)
{
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// `file:PATH`: the owner-control file, read at every poll.
class FileProbe : public IdleProbe {
public:
  explicit FileProbe(std::string path) : path_(std::move(path)) {}
  OwnerState read(double now) override { return read_owner_control(path_, now); }
  std::string describe() const override { return "owner-control file " + path_; }

private:
  std::string path_;
};

// `tty[:DIR]`: the newest access time of the terminals, which the kernel moves when a terminal's reader gets input
// (what `w` shows as IDLE). The kernel keeps whole seconds and moves the time only when it falls in another 8-s block
// (drivers/tty/tty_io.c, tty_update_time): an owner back after 8 s or more is seen at the first keystroke, and the idle
// time can read up to 8 s short (never long). Terminals are listed every few seconds; their times read every poll.
class TtyProbe : public IdleProbe {
public:
  explicit TtyProbe(const std::string& dir) : custom_(!dir.empty())
  {
    if (custom_) {
      if (!fs::is_directory(dir))
        throw InputError("--idle-probe", "tty:" + dir, "not a directory (expected tty:DIR of terminal files)");
      roots_.push_back(dir);
    } else {
      roots_ = {"/dev", "/dev/pts"};
    }
    rescan(0);
    if (paths_.empty())
      fmt::print(stderr, "idle probe tty: no terminal found yet; idle until one appears and gets input\n");
  }
  OwnerState read(double now) override
  {
    if (now - last_scan_ >= RESCAN_S || now < last_scan_)
      rescan(now);
    double newest = 0;
    for (const auto& p : paths_) {
      struct stat st {};
      if (::stat(p.c_str(), &st) == 0)
        newest = std::max(newest, file_time(st.st_atim));
    }
    OwnerState s = owner_state_from_input_time(newest, previous_, now);
    previous_ = newest;
    return s;
  }
  std::string describe() const override
  {
    return custom_ ? "terminal access times in " + roots_[0] : "terminal access times (/dev/tty[0-9]*, /dev/pts/*)";
  }

private:
  void rescan(double now)
  {
    last_scan_ = now;
    paths_.clear();
    for (size_t r = 0; r < roots_.size(); ++r) {
      std::error_code ec;
      for (fs::directory_iterator it(roots_[r], ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        bool wanted = custom_ ? name[0] != '.' && !it->is_directory(ec)
                              : r == 0 ? name.size() > 3 && name.rfind("tty", 0) == 0 && all_digits(name.substr(3))
                                       : all_digits(name);
        if (wanted)
          paths_.push_back(it->path().string());
      }
    }
  }
  bool custom_;
  std::vector<std::string> roots_, paths_;
  double last_scan_ = 0;
  double previous_ = -1;
};

// `input[:DIR]`: Linux evdev devices. Any key, button, pointer motion or absolute-axis event read is input now.
class InputProbe : public IdleProbe {
public:
  explicit InputProbe(std::string dir) : dir_(std::move(dir))
  {
    std::error_code ec;
    if (!fs::is_directory(dir_, ec))
      throw InputError("--idle-probe", "input:" + dir_,
                       "no such directory of input devices (expected input:DIR holding event* devices)");
    start_ = epoch_s();
    size_t seen = rescan(start_);
    if (fds_.empty())
      throw InputError("--idle-probe", "input:" + dir_,
                       seen ? fmt::format("none of the {} event devices is readable: run the agent as a member of "
                                          "group input (or root), or use --idle-probe logind or tty", seen)
                            : "no event* device here: use --idle-probe logind, tty or file:PATH on this host");
  }
  ~InputProbe() override
  {
    for (auto& [path, fd] : fds_)
      ::close(fd);
  }
  OwnerState read(double now) override
  {
    if (now - last_scan_ >= RESCAN_S || now < last_scan_)
      rescan(now);
    bool input = false;
    for (auto it = fds_.begin(); it != fds_.end();) {
      input_event ev[64];
      ssize_t n;
      while ((n = ::read(it->second, ev, sizeof ev)) > 0)
        for (size_t i = 0; i < static_cast<size_t>(n) / sizeof(input_event); ++i)
          input |= ev[i].type == EV_KEY || ev[i].type == EV_REL || ev[i].type == EV_ABS;
      if (n < 0 && errno != EAGAIN && errno != EINTR) { // unplugged (ENODEV): a rescan picks it up if it returns
        ::close(it->second);
        it = fds_.erase(it);
      } else {
        ++it;
      }
    }
    if (input)
      last_input_ = now;
    OwnerState s;
    s.input_idle_s = std::max(0.0, now - (last_input_ > 0 ? last_input_ : start_));
    s.active = last_input_ > 0 && s.input_idle_s < OWNER_ACTIVE_WINDOW_S;
    return s;
  }
  std::string describe() const override
  {
    return fmt::format("input-device events in {} ({} readable device(s))", dir_, fds_.size());
  }

private:
  size_t rescan(double now)
  {
    last_scan_ = now;
    size_t seen = 0;
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string(), path = it->path().string();
      if (name.rfind("event", 0) != 0)
        continue;
      ++seen;
      if (fds_.count(path))
        continue;
      int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0)
        fds_[path] = fd;
      else if (noted_.insert(path).second)
        fmt::print(stderr, "idle probe input: skipping {}: {}\n", path, std::strerror(errno));
    }
    return seen;
  }
  std::string dir_;
  std::map<std::string, int> fds_;
  std::set<std::string> noted_; // unreadable devices already reported once
  double start_ = 0, last_scan_ = 0, last_input_ = 0;
};

} // namespace

std::vector<std::string> split_words(std::string_view text, size_t max_words)
{
  std::vector<std::string> words;
  for (size_t i = 0; i < text.size() && words.size() < max_words;) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    if (i > start)
      words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

std::vector<std::string> read_words(const std::string& path, size_t max_words)
{
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return {};
  char buf[512];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  return split_words(std::string_view(buf, n > 0 ? static_cast<size_t>(n) : 0), max_words);
}

OwnerState read_owner_control(const std::string& path, double now_epoch_s)
{
  OwnerState s;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return s;
  std::vector<std::string> first = read_words(path, 1);
  std::string word = first.empty() ? "" : first[0];
  double since = std::max(0.0, now_epoch_s - file_time(st.st_mtim));
  if (word == "active") {
    s.active = true;
    s.input_idle_s = 0;
  } else if (word == "idle") {
    s.input_idle_s = since;
  } else {
    s.active = since < OWNER_ACTIVE_WINDOW_S;
    s.input_idle_s = since;
  }
  return s;
}

OwnerState owner_state_from_input_time(double newest_epoch_s, double previous_epoch_s, double now_epoch_s)
{
  OwnerState s;
  if (newest_epoch_s <= 0)
    return s;
  s.input_idle_s = std::max(0.0, now_epoch_s - newest_epoch_s);
  s.active = s.input_idle_s < OWNER_ACTIVE_WINDOW_S || (previous_epoch_s >= 0 && newest_epoch_s > previous_epoch_s);
  return s;
}

std::unique_ptr<IdleProbe> make_idle_probe(const std::string& spec)
{
  auto colon = spec.find(':');
  std::string kind = spec.substr(0, colon), arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  bool has_arg = colon != std::string::npos;
  if (has_arg && arg.empty())
    throw InputError("--idle-probe", spec, fmt::format("nothing after \"{}:\"; {}", kind, SPECS));
  if (kind == "file" && has_arg)
    return std::make_unique<FileProbe>(arg);
  if (kind == "tty")
    return std::make_unique<TtyProbe>(arg);
  if (kind == "input")
    return std::make_unique<InputProbe>(has_arg ? arg : "/dev/input");
  if (kind == "logind" && !has_arg)
    return make_logind_probe();
  if (kind == "command" && has_arg)
    return make_command_probe(arg);
  throw InputError("--idle-probe", spec.empty() ? "\"\"" : spec, SPECS);
}

} // namespace spritesim::real
