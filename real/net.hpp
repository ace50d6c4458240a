// TCP plumbing shared by the real-mode daemons and rexec: parse host:port, listen (loopback by default), connect,
// and an accept loop that serves each authenticated peer on its own thread, bounds the peers still in their
// handshake apart from them, and survives any peer's misbehaviour.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "real/protocol.hpp"

namespace spritesim::real {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string text() const;
};

/// "host:port" or "port"; throws UsageError-like std::invalid_argument naming `what` on bad text.
Endpoint parse_endpoint(const std::string& text, const std::string& what);

/// A listening socket on endpoint (port 0 = any); returns the fd and sets `bound_port`. Throws std::runtime_error.
int listen_on(const Endpoint& e, int* bound_port);

/// A loopback port nothing listens on now (bound, then closed: a test or bench's daemons take it next).
int unused_loopback_port();

/// Connects (TCP_NODELAY); throws ConnectionLost naming the endpoint when it cannot.
std::unique_ptr<Connection> connect_to(const Endpoint& e, double timeout_s = 2);

/// How many peers a daemon serves at once. Peers still in their handshake are bounded apart from authenticated ones,
/// so that slow or hostile peers (who cannot authenticate) never hold the threads real clients need.
struct AcceptLimits {
  int max_peers = 256;            ///< threads kept for authenticated peers (more wait in the listen backlog)
  int max_unauthenticated = 64;   ///< peers in their handshake at once; one more drops the oldest of them
  double handshake_timeout_s = 5; ///< the whole handshake must end within this, or the peer is dropped
};

/// Accepts forever. Each peer is served on a thread of a pool whose idle threads wait in accept() themselves (no
/// thread is created on a connection's path): the server handshake, then `serve(conn, peer_name)`. Any ProtocolError
/// or std::exception is logged as "LOG_NAME: dropped PEER: REASON" on stderr, sent back as an error message, and the
/// peer is closed while the others are served on. The pool has max_peers + max_unauthenticated threads at most, and
/// at most max_unauthenticated of them serve handshakes: a new peer beyond that drops the one longest in its
/// handshake (a real client finishes in milliseconds, so a flood of slow peers churns only itself).
void accept_loop(int listen_fd, const std::string& log_name, const std::string& secret,
                 std::function<void(Connection&, const std::string&)> serve, const AcceptLimits& limits = {});

/// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and so in every thread it starts after this) and starts
/// a thread that waits for them and calls `stop(signal)`, which ends the process: the daemons' way to clean up
/// before exiting, without a signal handler running amid their threads.
void on_stop_signal(std::function<void(int)> stop);

/// Writes all of data to fd (retrying short writes and EINTR); false on an error (errno says which).
bool write_fully(int fd, const std::string& data);

/// Monotonic seconds since an arbitrary origin (the daemons' clock).
double monotonic_s();

/// Wall-clock seconds since the epoch (file times, and a coordinator's run across restarts).
double epoch_s();

} // namespace spritesim::real
