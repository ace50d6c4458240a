// rexec's side of the coordinator for one command: the placement request, the rerun-at-home notice and the end,
// surviving a coordinator that is killed and restarted meanwhile. While the coordinator is unreachable the session
// retries; once back, it re-attaches its job (resume) and repeats an unacknowledged end, which the coordinator
// recognises, so that every command is recorded exactly once.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "real/net.hpp"

namespace spritesim::real {

class MigdSession {
public:
  /// `wait_s`: how long a placement or an end waits for an unreachable coordinator before giving up.
  MigdSession(Endpoint migd, std::string secret, std::string home, double wait_s, bool quiet);

  /// Asks where to run `name`. Returns the `placed` message, or null when no coordinator answered within the wait
  /// or it refused (the command then runs at home, unrecorded; a note says why).
  nlohmann::json place(const std::string& name);

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

  Endpoint migd_;
  std::string secret_, home_;
  double wait_s_;
  bool quiet_;
  std::unique_ptr<Connection> conn_;
  int64_t job_ = 0;
  std::string name_, addr_, token_;
  double placed_at_ = 0;
  bool ack_ = true; ///< the coordinator acknowledges the end (it keeps a checkpoint)
  double next_try_ = 0;
  bool refused_ = false; ///< the coordinator refused to re-attach the job: its end goes unrecorded
};

} // namespace spritesim::real
