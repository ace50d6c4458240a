// rexec's session with the coordinator (see migd_session.hpp): retries while it is unreachable, re-attaches the
// job after a restart, and repeats the end until it is acknowledged; in a build, what one recipe found out about an
// unreachable or refusing coordinator spares the others the wait and the note.
#include "real/migd_session.hpp"

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "real/auth.hpp"

namespace spritesim::real {

namespace {
constexpr double RETRY_S = 0.2; ///< between attempts to reach an unreachable coordinator
}

MigdTrouble probe_migd(const Endpoint& migd, const std::string& secret, std::string* why)
{
  try {
    auto conn = connect_to(migd);
    client_handshake(*conn, secret, "make");
    return MigdTrouble::NONE; // closing now is fine: migd drops a client that goes away without a word
  } catch (const ConnectionLost& e) {
    *why = e.what();
    return MigdTrouble::UNREACHABLE;
  } catch (const std::exception& e) {
    *why = e.what();
    return MigdTrouble::REFUSED;
  }
}

std::string describe_trouble(MigdTrouble trouble, const std::string& why)
{
  return fmt::format("{} ({})", trouble == MigdTrouble::REFUSED ? "refused this client" : "is unreachable", why);
}

MigdSession::MigdSession(Endpoint migd, std::string secret, std::string home, double wait_s, bool quiet,
                         BuildState build, bool require_remote)
    : migd_(std::move(migd)), secret_(std::move(secret)), home_(std::move(home)), wait_s_(wait_s), quiet_(quiet),
      build_(std::move(build)), require_remote_(require_remote)
{
}

void MigdSession::note(const std::string& text) const
{
  if (!quiet_)
    fmt::print(stderr, "spritesim rexec: {}\n", text);
}

nlohmann::json MigdSession::give_up(MigdTrouble trouble, const std::string& why)
{
  trouble_ = trouble;
  why_ = why;
  if (build_.in_build()) {
    // Said by the first recipe of the build only (make runs rexec with --quiet, so this is not a note).
    if (build_.report(trouble, why))
      fmt::print(stderr, "spritesim rexec: migd at {} {}: {} (said once for this build)\n", migd_.text(),
                 describe_trouble(trouble, why),
                 require_remote_ ? "--require-remote is given, so recipes fail instead of running at home"
                                 : "recipes run at home, unrecorded");
  } else if (!require_remote_) { // with it, the caller reports the failure
    note(fmt::format("migd {}; running at home, unrecorded", describe_trouble(trouble, why)));
  }
  return nullptr;
}

nlohmann::json MigdSession::place(const std::string& name)
{
  name_ = name.substr(0, 200);
  MigdTrouble known = build_.trouble();
  if (known == MigdTrouble::REFUSED) // a wrong secret or version does not mend itself during a build
    return give_up(known, "refused earlier in this build");
  // Once the build found migd unreachable, each recipe tries once, quickly, and does not wait for it again: a
  // coordinator that comes back is used, one that stays away costs no recipe more than that try.
  double wait_s = known == MigdTrouble::UNREACHABLE ? 0 : wait_s_;
  double connect_timeout_s = known == MigdTrouble::UNREACHABLE ? 0.5 : 2;
  double deadline = monotonic_s() + wait_s;
  bool waiting_noted = false;
  for (;;) {
    try {
      auto conn = connect_to(migd_, connect_timeout_s);
      nlohmann::json place = {{"type", "place"}, {"home", home_}, {"name", name_}};
      client_handshake(*conn, secret_, "rexec", 5, PROTOCOL_VERSION, &place);
      nlohmann::json placed = receive_reply(*conn);
      if (placed["type"] != "placed")
        throw ProtocolError(fmt::format("unexpected \"{}\" from migd", placed["type"].get<std::string>()));
      conn_ = std::move(conn);
      job_ = placed["job"];
      addr_ = placed["addr"];
      ack_ = placed["ack"];
      token_ = placed["token"];
      placed_at_ = monotonic_s();
      if (placed.contains("why") && build_.first_to_say("no-host")) {
        // Said once per build (make runs rexec with --quiet, so this is not a note), and always for a lone command.
        if (build_.in_build())
          fmt::print(stderr, "spritesim rexec: migd runs this build's recipes at home for now: {} (said once for "
                             "this build)\n", placed["why"].get<std::string>());
        else
          note(fmt::format("running at home: {}", placed["why"].get<std::string>()));
      }
      return placed;
    } catch (const ConnectionLost& e) {
      if (monotonic_s() >= deadline)
        return give_up(MigdTrouble::UNREACHABLE, e.what());
      if (!waiting_noted)
        note(fmt::format("migd unavailable ({}); waiting up to {:g} s for it", e.what(), wait_s));
      waiting_noted = true;
      std::this_thread::sleep_for(std::chrono::duration<double>(RETRY_S));
    } catch (const std::exception& e) {
      return give_up(MigdTrouble::REFUSED, e.what());
    }
  }
}

bool MigdSession::attach(double connect_timeout_s)
{
  try {
    auto conn = connect_to(migd_, connect_timeout_s);
    nlohmann::json resume = {{"type", "resume"}, {"job", job_},  {"name", name_},
                             {"home", home_},    {"addr", addr_}, {"elapsed_s", monotonic_s() - placed_at_},
                             {"token", token_}};
    client_handshake(*conn, secret_, "rexec", 5, PROTOCOL_VERSION, &resume);
    nlohmann::json reply = receive_reply(*conn);
    if (reply["type"] != "resumed")
      throw ProtocolError(fmt::format("unexpected \"{}\"", reply["type"].get<std::string>()));
    conn_ = std::move(conn);
    note(fmt::format("job {} re-attached to migd", job_));
    return true;
  } catch (const ConnectionLost&) {
    return false;
  } catch (const std::exception& e) {
    refused_ = true;
    note(fmt::format("migd would not take job {} back ({}); its end goes unrecorded", job_, e.what()));
    return false;
  }
}

int MigdSession::fd() const { return conn_ ? conn_->fd() : -1; }

int MigdSession::retry_ms() const { return conn_ || refused_ || job_ == 0 ? -1 : static_cast<int>(RETRY_S * 1000); }

void MigdSession::on_readable()
{
  try {
    conn_->receive(); // the coordinator says nothing while a command runs: this is its error before it hung up
  } catch (const std::exception&) {
  }
  conn_.reset();
  next_try_ = monotonic_s() + RETRY_S;
}

void MigdSession::tick()
{
  if (conn_ || refused_ || job_ == 0 || monotonic_s() < next_try_)
    return;
  if (!attach(0.5))
    next_try_ = monotonic_s() + RETRY_S;
}

void MigdSession::at_home(const std::string& reason)
{
  addr_.clear(); // a later resume says the job is at home
  if (!conn_)
    return;
  try {
    conn_->send({{"type", "at_home"}, {"job", job_}, {"reason", reason}});
  } catch (const std::exception&) {
    conn_.reset();
  }
}

void MigdSession::finish(int status, double cpu_s)
{
  if (job_ == 0)
    return;
  // In a build that found migd unreachable or refusing already, an end is tried once, not waited for.
  double wait_s = build_.trouble() == MigdTrouble::NONE ? wait_s_ : 0;
  double deadline = monotonic_s() + wait_s;
  bool waiting_noted = false;
  while (!refused_) {
    if (conn_ || attach(1)) {
      try {
        conn_->send({{"type", "done"}, {"job", job_}, {"code", std::min(status, 255)}, {"signal", 0},
                     {"cpu_s", cpu_s}});
        if (!ack_)
          return;
        nlohmann::json reply = conn_->receive();
        if (reply["type"] != "done_ok")
          note(fmt::format("migd did not record the end of job {} ({})", job_,
                           reply["type"] == "error" ? reply["reason"].get<std::string>() : reply.dump()));
        return;
      } catch (const ConnectionLost&) {
        conn_.reset(); // said again, after re-attaching, to the coordinator that comes back
      } catch (const std::exception& e) {
        note(fmt::format("migd did not record the end of job {} ({})", job_, e.what()));
        return;
      }
    }
    if (monotonic_s() >= deadline) {
      std::string why = fmt::format("unreachable for {:g} s when job {} ended", wait_s, job_);
      if (!build_.in_build())
        note(fmt::format("migd {}; its end goes unrecorded", why));
      else if (build_.report(MigdTrouble::UNREACHABLE, why))
        fmt::print(stderr, "spritesim rexec: migd at {} is {}: its end goes unrecorded, and {} (said once for this "
                           "build)\n",
                   migd_.text(), why,
                   require_remote_ ? "--require-remote is given, so later recipes fail instead of running at home"
                                   : "the build's later recipes run at home, unrecorded, without waiting for migd");
      return;
    }
    if (!waiting_noted && !refused_)
      note(fmt::format("migd unreachable; waiting up to {:g} s to report the end of job {}", wait_s, job_));
    waiting_noted = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(RETRY_S));
  }
}

} // namespace spritesim::real
