// The agent's console-idleness probes (`spritesim agent --idle-probe SPEC`): an owner-control file, terminal access
// times, Linux input-device events, logind's idle hints, or a command of the user's. Each answers "is the owner at
// the console, and since when has there been no input?" at wall-clock time now. The parsers are pure functions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spritesim::real {

/// Input less than this old means someone is at the console (every probe's rule, as the owner-control file's).
constexpr double OWNER_ACTIVE_WINDOW_S = 1;

/// What an idleness probe saw.
struct OwnerState {
  bool active = false;
  double input_idle_s = 1e9; ///< "idle since boot" when nothing is known (SRC migd.c counts that as idle)
};

/// A console-idleness probe. read() is called from the agent's monitor thread only, at every poll.
class IdleProbe {
public:
  virtual ~IdleProbe() = default;
  /// The owner's state at wall-clock time now (seconds since the epoch). Never blocks for long: probes that run a
  /// command answer from a result at most about a second old.
  virtual OwnerState read(double now_epoch_s) = 0;
  /// One line for the agent's log: which probe, reading what.
  virtual std::string describe() const = 0;
};

/// The probe a spec names: `file:PATH`, `tty`, `tty:DIR`, `input`, `input:DIR`, `logind` or `command:CMD`. Throws
/// InputError naming `--idle-probe` for a bad spec, and when a probe cannot work here (no readable input device,
/// loginctl missing or failing), so that the agent refuses to start rather than call a busy workstation idle.
std::unique_ptr<IdleProbe> make_idle_probe(const std::string& spec);

/// The probes make_idle_probe() builds for `command:CMD` and `logind` (idle_probe_sampled.cpp).
std::unique_ptr<IdleProbe> make_command_probe(const std::string& cmd);
std::unique_ptr<IdleProbe> make_logind_probe();

/// Reads an owner-control file at wall-clock time now (seconds since the epoch): content "active" -> active;
/// "idle" -> idle since the file's mtime; anything else -> the mtime is the last console input, active if it is
/// less than 1 s old. A missing file is idle since boot.
OwnerState read_owner_control(const std::string& path, double now_epoch_s);

/// The first `max_words` words of `text`, split on white space.
std::vector<std::string> split_words(std::string_view text, size_t max_words = SIZE_MAX);

/// The first words of a small file read with one read() (none when it cannot be read). The agent reads the
/// owner-control and load-average files at every poll (every 20 ms by default): no stream set-up each time.
std::vector<std::string> read_words(const std::string& path, size_t max_words);

/// The state given the newest last-input time a probe sees (epoch s; <= 0: none) and the one it saw at its previous
/// look (< 0: this is the first look): active while the input is less than 1 s old, and also at a look that finds
/// the time moved forward (terminal times have whole seconds, so a fresh input can already look 1 s old).
OwnerState owner_state_from_input_time(double newest_epoch_s, double previous_epoch_s, double now_epoch_s);

/// One logind session as `loginctl show-session -p Id -p Type -p Class -p IdleHint -p IdleSinceHint` prints it.
struct LogindSession {
  std::string id, type, session_class;
  bool idle_hint = false;
  double idle_since_s = 0; ///< IdleSinceHint in epoch seconds; 0 when logind does not know
};

/// The session ids in `loginctl list-sessions --no-legend` output (the first word of each line). Throws
/// std::runtime_error on a line whose first word is not a plausible session id.
std::vector<std::string> parse_loginctl_sessions(const std::string& output);

/// The sessions in `loginctl show-session ID... -p ...` output: blocks of KEY=VALUE lines separated by blank lines.
/// Throws std::runtime_error on a line without '=' or an IdleSinceHint that is not a number.
std::vector<LogindSession> parse_loginctl_show(const std::string& output);

/// The owner's state from the user sessions of type x11, wayland, mir or tty (others, and non-user classes such as
/// greeters, are ignored). A graphical session with IdleHint=no means active now. Otherwise the freshest last-input
/// time wins: a graphical session's IdleSinceHint when it is idle, a tty session's IdleSinceHint always (logind
/// sets it to the terminal's access time and leaves IdleHint=no until IdleAction's delay). `previous_epoch_s` is
/// as for owner_state_from_input_time; `*freshest_epoch_s` (if given) receives the time used.
OwnerState logind_owner_state(const std::vector<LogindSession>& sessions, double previous_epoch_s,
                              double now_epoch_s, double* freshest_epoch_s = nullptr);

/// A `command:` probe's answer: the first word of its stdout.
struct ProbeAnswer {
  enum Kind { ACTIVE, IDLE, SECONDS, BAD } kind = BAD;
  double seconds = 0;  ///< SECONDS: seconds since the last console input
  std::string error;   ///< BAD: what was wrong
};
ProbeAnswer parse_probe_answer(const std::string& output);

/// What the `command:` probe knows between runs: updated by each answer, read at any time.
struct CommandProbeState {
  ProbeAnswer::Kind last = ProbeAnswer::BAD; ///< the last valid answer; BAD: none yet (idle since boot)
  double since_epoch_s = 0; ///< ACTIVE: when said; SECONDS: the last input; IDLE: when "idle" was first said
  void apply(const ProbeAnswer& answer, double at_epoch_s);
  OwnerState at(double now_epoch_s) const;
};

/// The result of running a probe's command.
struct CommandRun {
  int status = -1;     ///< exit status, or -1 when it did not exit normally
  std::string out, err;
  std::string error;   ///< set when it could not be started, was killed by a signal, or timed out
};

/// Runs argv (looked up in PATH) with stdin from /dev/null in its own process group, capturing stdout and stderr
/// (64 KiB each at most); kills the group after timeout_s.
CommandRun run_probe_command(const std::vector<std::string>& argv, double timeout_s);

} // namespace spritesim::real
