// A child process spoken to in lines of text: its stdin and stdout are pipes, its stderr is inherited (so what it
// prints reaches the log). Replies are awaited with a timeout of wall time; the child is killed, with everything it
// started, when it is stopped or destroyed. Used by the external policy (policy/external_policy.hpp).
#pragma once

#include <string>

#include <sys/types.h>

#include "core/child_process.hpp"

namespace spritesim {

class LineChild {
public:
  /// Starts `spec` (its stdin and stdout become pipes to this object; it runs in a process group of its own and
  /// is sent SIGTERM should this process die). Throws ChildStartError when the program cannot be run.
  explicit LineChild(ChildSpec spec);
  ~LineChild();
  LineChild(const LineChild&) = delete;
  LineChild& operator=(const LineChild&) = delete;

  /// OK; END: the child closed that pipe (or died); TIMEOUT: nothing within the time allowed.
  enum class Io { OK, END, TIMEOUT };
  /// Writes `line` and a newline within `timeout_s` seconds of wall time (a child that stops reading its stdin
  /// fills the pipe).
  Io write_line(const std::string& line, double timeout_s);
  /// The next line of its stdout, without the newline, within `timeout_s` seconds of wall time.
  Io read_line(std::string& line, double timeout_s);

  /// Ends the child and reaps it: closes its stdin, waits up to `grace_s` for it to exit, then kills its process
  /// group. Returns how it ended ("exited with status 3", "was killed by signal 9 (Killed)"); idempotent.
  std::string stop(double grace_s);
  pid_t pid() const { return pid_; }

private:
  pid_t pid_ = -1;
  int to_child_ = -1;   ///< write end of its stdin
  int from_child_ = -1; ///< read end of its stdout
  std::string buffer_;  ///< read, not yet returned
  std::string ended_;   ///< stop()'s answer once reaped
};

/// How a wait status reads in a message: "exited with status 3", "was killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

} // namespace spritesim
