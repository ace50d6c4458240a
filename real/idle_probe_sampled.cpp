// The idleness probes that run a process (see idle_probe.hpp): `command:CMD` and `logind` (loginctl). A thread of
// their own runs it at most once a second, so the agent's poll (20 ms by default) never waits; the poll reads the last result.
// Also the pure parsers of their outputs (the process runner they share is probe_command.cpp).
#include "real/idle_probe.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <pthread.h>
#include <signal.h>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "real/net.hpp"

namespace spritesim::real {

namespace {
constexpr double SAMPLE_S = 1;          // at most one logind or command run a second
constexpr double COMMAND_TIMEOUT_S = 5; // a probe command that hangs is killed and counts as a failure

bool all_digits(const std::string& s)
{
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// A probe that runs a process: a thread samples at most once a second, the poll reads the last sample. The first
// sample is taken before the agent starts listening, so that it never reports a state it has not looked at.
class SampledProbe : public IdleProbe {
public:
  OwnerState read(double now) override
  {
    std::lock_guard lock(mutex_);
    return state_at(now);
  }

protected:
  /// Runs the process and updates the state (under mutex_); returns an error text, empty on success.
  virtual std::string sample(double now) = 0;
  virtual OwnerState state_at(double now) const = 0;
  /// The first sample, taken in the derived constructor; returns its error text, noted on stderr if `note`.
  std::string first_sample(bool note)
  {
    std::string error = sample(epoch_s());
    if (note && !error.empty())
      fmt::print(stderr, "idle probe {}: {}\n", describe(), error);
    last_error_ = error;
    return error;
  }
  void start_thread()
  {
    // The agent takes its stop signals in a thread of its own, with them blocked in every other: so here too.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    thread_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!cv_.wait_for(lock, std::chrono::duration<double>(SAMPLE_S), [this] { return stop_; })) {
        lock.unlock();
        take_sample();
        lock.lock();
      }
    });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  /// Each derived destructor calls it first: the thread calls the derived sample().
  void stop_thread()
  {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable())
      thread_.join();
  }
  mutable std::mutex mutex_;

private:
  void take_sample()
  {
    std::string error = sample(epoch_s());
    if (error != last_error_) // a failure is noted once, and its end too, not once a second
      fmt::print(stderr, "idle probe {}: {}\n", describe(),
                 error.empty() ? "works again" : error + " (state unchanged)");
    last_error_ = error;
  }
  std::condition_variable cv_;
  std::thread thread_;
  bool stop_ = false;
  std::string last_error_;
};

// `command:CMD`: `/bin/sh -c CMD` says active, idle, or the seconds since the last input.
class CommandProbe : public SampledProbe {
public:
  explicit CommandProbe(std::string cmd) : cmd_(std::move(cmd))
  {
    // Until it answers, the host is idle since the agent started: a broken command must not make the workstation
    // look idle since boot (a target at once), and an "idle" answer keeps this start.
    state_.last = ProbeAnswer::IDLE;
    state_.since_epoch_s = epoch_s();
    first_sample(true);
    start_thread();
  }
  ~CommandProbe() override { stop_thread(); }
  std::string describe() const override { return fmt::format("command \"{}\"", cmd_); }

private:
  std::string sample(double now) override
  {
    CommandRun r = run_probe_command({"/bin/sh", "-c", cmd_}, COMMAND_TIMEOUT_S);
    if (!r.error.empty())
      return r.error;
    if (r.status != 0)
      return fmt::format("exit status {}", r.status);
    ProbeAnswer a = parse_probe_answer(r.out);
    if (a.kind == ProbeAnswer::BAD)
      return a.error;
    std::lock_guard lock(mutex_);
    state_.apply(a, now);
    return "";
  }
  OwnerState state_at(double now) const override { return state_.at(now); }
  std::string cmd_;
  CommandProbeState state_;
};

// `logind`: the user sessions' idle hints through loginctl (no D-Bus library needed).
class LogindProbe : public SampledProbe {
public:
  LogindProbe()
  {
    if (std::string error = first_sample(false); !error.empty())
      throw InputError("--idle-probe", "logind", error + " (expected a host where logind runs)");
    start_thread();
  }
  ~LogindProbe() override { stop_thread(); }
  std::string describe() const override { return "logind idle hints (loginctl)"; }

private:
  std::string sample(double now) override
  {
    auto fail = [](const CommandRun& r) {
      std::string why = !r.error.empty() ? r.error : r.err.substr(0, r.err.find('\n'));
      return "loginctl failed: " + (why.empty() ? fmt::format("exit status {}", r.status) : why);
    };
    CommandRun list = run_probe_command({"loginctl", "list-sessions", "--no-legend"}, COMMAND_TIMEOUT_S);
    if (!list.error.empty() || list.status != 0)
      return fail(list);
    std::vector<LogindSession> sessions;
    try {
      std::vector<std::string> argv = {"loginctl", "show-session"};
      for (const auto& id : parse_loginctl_sessions(list.out))
        argv.push_back(id);
      if (argv.size() > 2) {
        for (const char* p : {"Id", "Type", "Class", "IdleHint", "IdleSinceHint"})
          argv.insert(argv.end(), {"-p", p});
        CommandRun show = run_probe_command(argv, COMMAND_TIMEOUT_S);
        if (!show.error.empty() || show.status != 0)
          return fail(show);
        sessions = parse_loginctl_show(show.out);
      }
    } catch (const std::runtime_error& e) {
      return std::string("unexpected loginctl output: ") + e.what();
    }
    std::lock_guard lock(mutex_);
    state_ = logind_owner_state(sessions, previous_, now, &previous_);
    sampled_at_ = now;
    return "";
  }
  OwnerState state_at(double now) const override
  {
    OwnerState s = state_;
    if (!s.active && s.input_idle_s < 1e9)
      s.input_idle_s += std::max(0.0, now - sampled_at_);
    return s;
  }
  OwnerState state_;
  double previous_ = -1, sampled_at_ = 0;
};
} // namespace

std::vector<std::string> parse_loginctl_sessions(const std::string& output)
{
  std::vector<std::string> ids;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string id;
    if (!(words >> id) || id == "SESSION") // a header, if --no-legend was ignored
      continue;
    if (id.size() > 64 || id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
                              std::string::npos)
      throw std::runtime_error(fmt::format("\"{}\" is not a session id", line.substr(0, 80)));
    ids.push_back(id);
  }
  return ids;
}

std::vector<LogindSession> parse_loginctl_show(const std::string& output)
{
  std::vector<LogindSession> sessions;
  bool open = false;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      open = false;
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos)
      throw std::runtime_error(fmt::format("\"{}\" is not KEY=VALUE", line.substr(0, 80)));
    if (!open)
      sessions.emplace_back();
    open = true;
    LogindSession& s = sessions.back();
    std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "Id")
      s.id = value;
    else if (key == "Type")
      s.type = value;
    else if (key == "Class")
      s.session_class = value;
    else if (key == "IdleHint")
      s.idle_hint = value == "yes";
    else if (key == "IdleSinceHint") {
      if (!all_digits(value))
        throw std::runtime_error(fmt::format("IdleSinceHint=\"{}\" is not microseconds", value.substr(0, 40)));
      s.idle_since_s = std::stod(value) * 1e-6;
    }
  }
  return sessions;
}

OwnerState logind_owner_state(const std::vector<LogindSession>& sessions, double previous_epoch_s,
                              double now_epoch_s, double* freshest_epoch_s)
{
  double freshest = 0;
  for (const auto& s : sessions) {
    bool graphical = s.type == "x11" || s.type == "wayland" || s.type == "mir";
    if (s.session_class != "user" || (!graphical && s.type != "tty"))
      continue;
    if (graphical && !s.idle_hint) { // the desktop says someone is using it
      if (freshest_epoch_s)
        *freshest_epoch_s = now_epoch_s;
      return OwnerState{true, 0};
    }
    freshest = std::max(freshest, s.idle_since_s);
  }
  if (freshest_epoch_s)
    *freshest_epoch_s = freshest;
  return owner_state_from_input_time(freshest, previous_epoch_s, now_epoch_s);
}

ProbeAnswer parse_probe_answer(const std::string& output)
{
  ProbeAnswer a;
  std::istringstream in(output);
  std::string word;
  if (!(in >> word)) {
    a.error = "no output (expected active, idle or the seconds since the last input)";
    return a;
  }
  if (word == "active") {
    a.kind = ProbeAnswer::ACTIVE;
    return a;
  }
  if (word == "idle") {
    a.kind = ProbeAnswer::IDLE;
    return a;
  }
  size_t used = 0;
  try {
    a.seconds = std::stod(word, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != word.size() || !(a.seconds >= 0) || a.seconds > 1e12) {
    a.error = fmt::format("\"{}\": expected active, idle or the seconds since the last input (a number >= 0)",
                          word.substr(0, 40));
    return a;
  }
  a.kind = ProbeAnswer::SECONDS;
  return a;
}

void CommandProbeState::apply(const ProbeAnswer& answer, double at_epoch_s)
{
  if (answer.kind == ProbeAnswer::BAD)
    return;
  if (answer.kind == ProbeAnswer::SECONDS)
    since_epoch_s = at_epoch_s - answer.seconds;
  else if (answer.kind == ProbeAnswer::ACTIVE || last != ProbeAnswer::IDLE)
    since_epoch_s = at_epoch_s; // "idle" keeps the time it was first said
  last = answer.kind;
}

OwnerState CommandProbeState::at(double now_epoch_s) const
{
  OwnerState s;
  if (last == ProbeAnswer::BAD)
    return s; // no answer yet: idle since boot
  double since = std::max(0.0, now_epoch_s - since_epoch_s);
  s.active = last == ProbeAnswer::ACTIVE || (last == ProbeAnswer::SECONDS && since < OWNER_ACTIVE_WINDOW_S);
  s.input_idle_s = last == ProbeAnswer::ACTIVE ? 0 : since;
  return s;
}

std::unique_ptr<IdleProbe> make_command_probe(const std::string& cmd)
{
  return std::make_unique<CommandProbe>(cmd);
}

std::unique_ptr<IdleProbe> make_logind_probe()
{
  return std::make_unique<LogindProbe>();
}

} // namespace spritesim::real
