// Sockets for real mode (see net.hpp).
#include "real/net.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "real/auth.hpp"

namespace spritesim::real {

std::string Endpoint::text() const { return fmt::format("{}:{}", host, port); }

Endpoint parse_endpoint(const std::string& text, const std::string& what)
{
  Endpoint e;
  std::string port = text;
  if (auto colon = text.rfind(':'); colon != std::string::npos) {
    e.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (e.host.empty() || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535)
    throw std::invalid_argument(fmt::format("{}: expected host:port or port, got \"{}\"", what, text));
  e.port = std::stoi(port);
  return e;
}

namespace {
sockaddr_in resolve(const Endpoint& e)
{
  sockaddr_in numeric{};
  numeric.sin_family = AF_INET;
  numeric.sin_port = htons(static_cast<uint16_t>(e.port));
  if (::inet_pton(AF_INET, e.host.c_str(), &numeric.sin_addr) == 1)
    return numeric; // no resolver files read for a numeric address (rexec pays this on every command)
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(e.host.c_str(), nullptr, &hints, &res) != 0 || !res)
    throw ProtocolError(fmt::format("cannot resolve host \"{}\"", e.host));
  sockaddr_in a = *reinterpret_cast<sockaddr_in*>(res->ai_addr);
  ::freeaddrinfo(res);
  a.sin_port = htons(static_cast<uint16_t>(e.port));
  return a;
}
} // namespace

int listen_on(const Endpoint& e, int* bound_port)
{
  sockaddr_in a = resolve(e);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 64) != 0) {
    std::string why = std::strerror(errno);
    if (fd >= 0)
      ::close(fd);
    throw std::runtime_error(fmt::format("cannot listen on {}: {}", e.text(), why));
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  if (bound_port)
    *bound_port = ntohs(a.sin_port);
  return fd;
}

int unused_loopback_port()
{
  int port = 0;
  ::close(listen_on(Endpoint{"127.0.0.1", 0}, &port));
  return port;
}

std::unique_ptr<Connection> connect_to(const Endpoint& e, double timeout_s)
{
  sockaddr_in a = resolve(e);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    throw ConnectionLost(fmt::format("cannot create a socket: {}", std::strerror(errno)));
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    rc = ::poll(&p, 1, static_cast<int>(timeout_s * 1000)) == 1 ? 0 : -1;
    int err = ETIMEDOUT;
    socklen_t len = sizeof err;
    if (rc == 0 && (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0))
      rc = -1;
    errno = err;
  }
  if (rc != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    throw ConnectionLost(fmt::format("cannot connect to {}: {}", e.text(), why));
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::make_unique<Connection>(fd, e.text());
}

namespace {

/// The serving threads of one listening socket. Each idle worker blocks in accept() itself, so a new connection
/// wakes a thread that already exists: creating a thread per connection cost ~45 us on every rexec.
struct AcceptPool : std::enable_shared_from_this<AcceptPool> {
  /// A connection in its handshake: the oldest is cut (shut down, waking its thread) when too many are.
  struct Handshake {
    int fd;
    bool cut = false;
  };

  int listen_fd;
  std::string log_name, secret;
  std::function<void(Connection&, const std::string&)> serve;
  AcceptLimits limits;
  int max_threads;
  std::mutex mutex;
  int threads = 0;
  int idle = 0;
  std::list<Handshake*> handshakes; ///< oldest first
  int cuts_unlogged = 0;            ///< cut peers not yet named in the log (it notes them at most once a second)
  double cut_logged_at = -1e9;
  static constexpr int SPARE_MIN = 1; ///< a thread is added when fewer are left waiting in accept()
  static constexpr int SPARE_MAX = 8; ///< a thread exits when more than this are waiting

  void spawn_locked()
  {
    ++threads;
    ++idle;
    std::thread([self = shared_from_this()] { self->work(false); }).detach();
  }

  /// Accepts and serves connections; a permanent worker (the caller's thread) never exits.
  void work(bool permanent)
  {
    for (;;) {
      sockaddr_in a{};
      socklen_t len = sizeof a;
      int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&a), &len, SOCK_CLOEXEC);
      if (fd < 0) {
        // Only a socket that is not (or no longer) listening is fatal; anything else (a peer that went away, no
        // descriptors or memory for a moment, a firewall's EPERM) is retried: a daemon must not die of it.
        if (errno == EBADF || errno == EINVAL || errno == ENOTSOCK)
          throw std::runtime_error(fmt::format("{}: accept failed: {}", log_name, std::strerror(errno)));
        if (errno != EINTR && errno != ECONNABORTED)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      {
        std::lock_guard lock(mutex);
        if (--idle < SPARE_MIN && threads < max_threads) {
          try {
            spawn_locked();
          } catch (const std::system_error& e) { // no thread for now: this one serves, and the next will try
            --threads;
            --idle;
            fmt::print(stderr, "{}: cannot start a serving thread: {}\n", log_name, e.what());
          }
        }
      }
      serve_one(fd, a);
      std::lock_guard lock(mutex);
      if (!permanent && idle >= SPARE_MAX) {
        --threads;
        return;
      }
      ++idle;
    }
  }

  /// Counts this handshake in, cutting the oldest one beyond the limit.
  std::list<Handshake*>::iterator begin_handshake(Handshake* h)
  {
    std::lock_guard lock(mutex);
    auto it = handshakes.insert(handshakes.end(), h);
    if (static_cast<int>(handshakes.size()) > limits.max_unauthenticated) {
      Handshake* oldest = handshakes.front();
      handshakes.pop_front();
      oldest->cut = true;
      ::shutdown(oldest->fd, SHUT_RDWR); // its thread wakes with "closed" and sees `cut`
    }
    return it;
  }

  /// Counts it out; returns whether it was cut meanwhile.
  bool end_handshake(Handshake* h, std::list<Handshake*>::iterator it)
  {
    std::lock_guard lock(mutex);
    if (!h->cut)
      handshakes.erase(it);
    return h->cut;
  }

  /// A flood of peers would write a line each: the cut ones are named at most once a second, with a count.
  void note_cut(const std::string& peer)
  {
    std::lock_guard lock(mutex);
    ++cuts_unlogged;
    double now = monotonic_s();
    if (now - cut_logged_at < 1)
      return;
    std::string others =
        cuts_unlogged > 1 ? fmt::format(" and {} other(s) since the last note", cuts_unlogged - 1) : "";
    fmt::print(stderr, "{}: dropped {}{}: more than {} peers in their handshake at once (--max-unauthenticated); "
                       "the oldest is dropped\n",
               log_name, peer, others, limits.max_unauthenticated);
    cuts_unlogged = 0;
    cut_logged_at = now;
  }

  void serve_one(int fd, const sockaddr_in& a)
  {
    char ip[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    Connection conn(fd, fmt::format("{}:{}", ip, ntohs(a.sin_port)));
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Handshake handshake{fd};
    auto slot = begin_handshake(&handshake);
    std::string name;
    try {
      name = server_handshake(conn, secret, limits.handshake_timeout_s);
    } catch (const std::exception& e) {
      if (end_handshake(&handshake, slot))
        return note_cut(conn.peer());
      fmt::print(stderr, "{}: dropped {}: {}\n", log_name, conn.peer(), e.what());
      conn.send_error(e.what());
      return;
    }
    if (end_handshake(&handshake, slot))
      return note_cut(conn.peer()); // cut just as it finished: its socket is shut down already
    try {
      serve(conn, name);
    } catch (const std::exception& e) {
      fmt::print(stderr, "{}: dropped {}: {}\n", log_name, conn.peer(), e.what());
      conn.send_error(e.what());
    }
  }
};

} // namespace

void accept_loop(int listen_fd, const std::string& log_name, const std::string& secret,
                 std::function<void(Connection&, const std::string&)> serve, const AcceptLimits& limits)
{
  auto pool = std::make_shared<AcceptPool>();
  pool->listen_fd = listen_fd;
  pool->log_name = log_name;
  pool->secret = secret;
  pool->serve = std::move(serve);
  pool->limits = limits;
  pool->limits.max_unauthenticated = std::max(1, limits.max_unauthenticated);
  pool->max_threads = std::max(1, limits.max_peers) + pool->limits.max_unauthenticated;
  {
    std::lock_guard lock(pool->mutex);
    pool->threads = 1; // this thread
    pool->idle = 1;
    for (int i = 1; i < std::min(4, pool->max_threads); ++i)
      pool->spawn_locked();
  }
  pool->work(true);
}

void on_stop_signal(std::function<void(int)> stop)
{
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP})
    sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set, stop = std::move(stop)] {
    int sig = 0;
    sigwait(&set, &sig);
    stop(sig);
  }).detach();
}

bool write_fully(int fd, const std::string& data)
{
  const char* p = data.data();
  size_t n = data.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

double epoch_s()
{
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double monotonic_s()
{
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

} // namespace spritesim::real
