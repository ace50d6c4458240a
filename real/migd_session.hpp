// rexec's side of the coordinator for one command: the placement request, the rerun-at-home notice and the end,
// surviving a coordinator that is killed and restarted meanwhile. While the coordinator is unreachable the session
// retries; once back, it re-attaches its job (resume) and repeats an unacknowledged end, which the coordinator
// recognises, so that every command is recorded exactly once.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "real/build_state.hpp"
#include "real/net.hpp"

namespace spritesim::real {

/// One connection and handshake to the coordinator, without waiting for it: NONE when it answers, else why not
/// (`why` says it). `spritesim make` asks once before the build starts.
MigdTrouble probe_migd(const Endpoint& migd, const std::string& secret, std::string* why);

/// How a coordinator's trouble reads in a message: "is unreachable (WHY)" or "refused this client (WHY)".
std::string describe_trouble(MigdTrouble trouble, const std::string& why);

class MigdSession {
public:
  /// `wait_s`: how long a placement or an end waits for an unreachable coordinator before giving up. `build`: what
  /// the other recipes of the build found (a coordinator found unreachable or refusing is not waited for again, and
  /// said so once per build). `require_remote`: giving up is the caller's failure, not a note.
  MigdSession(Endpoint migd, std::string secret, std::string home, double wait_s, bool quiet,
              BuildState build = BuildState(), bool require_remote = false);

  /// Asks where to run `name`. Returns the `placed` message, or null when no coordinator answered within the wait
  /// or it refused (trouble() says which; the command then runs at home, unrecorded, and a note says why: once
  /// per build in a build, unless quiet alone).
  nlohmann::json place(const std::string& name);
  MigdTrouble trouble() const { return trouble_; }
  const std::string& trouble_reason() const { return why_; }

  const std::string& secret() const { return secret_; }

  /// The descriptor to watch while the command runs (-1 while disconnected): readable means the coordinator went
  /// away (call on_readable()).
  int fd() const;
  void on_readable();
  /// While disconnected, call at least every retry_ms(): tries to re-attach now and then.
  void tick();
  /// Poll timeout while the command runs: -1 when connected, else the retry interval.
  int retry_ms() const;

  /// The command's remote attempt was given up (evicted, or its agent lost): it reruns at home.
  void at_home(const std::string& reason);
  /// The command ended with `status` after `cpu_s` of CPU (the attempt that finished): reported and acknowledged,
  /// re-attaching first if need be.
  void finish(int status, double cpu_s);

private:
  bool attach(double connect_timeout_s);
  void note(const std::string& text) const;
  /// Gives up on the coordinator for this command: says so (once per build) and returns null.
  nlohmann::json give_up(MigdTrouble trouble, const std::string& why);

  Endpoint migd_;
  std::string secret_, home_;
  double wait_s_;
  bool quiet_;
  BuildState build_;
  bool require_remote_;
  MigdTrouble trouble_ = MigdTrouble::NONE;
  std::string why_;
  std::unique_ptr<Connection> conn_;
  int64_t job_ = 0;
  std::string name_, addr_, token_;
  double placed_at_ = 0;
  bool ack_ = true; ///< the coordinator acknowledges the end (it keeps a checkpoint)
  double next_try_ = 0;
  bool refused_ = false; ///< the coordinator refused to re-attach the job: its end goes unrecorded
};

} // namespace spritesim::real
