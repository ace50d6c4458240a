// Sockets for real mode (see net.hpp).
#include "real/net.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

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

std::unique_ptr<Connection> connect_to(const Endpoint& e, double timeout_s)
{
  sockaddr_in a = resolve(e);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    throw ProtocolError(fmt::format("cannot create a socket: {}", std::strerror(errno)));
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
    throw ProtocolError(fmt::format("cannot connect to {}: {}", e.text(), why));
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::make_unique<Connection>(fd, e.text());
}

void accept_loop(int listen_fd, const std::string& log_name, const std::string& secret,
                 std::function<void(Connection&, const std::string&)> serve, int max_peers)
{
  auto active = std::make_shared<std::atomic<int>>(0);
  for (;;) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&a), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
        if (errno == EMFILE || errno == ENFILE)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      throw std::runtime_error(fmt::format("{}: accept failed: {}", log_name, std::strerror(errno)));
    }
    char ip[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    auto conn = std::make_shared<Connection>(fd, fmt::format("{}:{}", ip, ntohs(a.sin_port)));
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (active->load() >= max_peers) {
      fmt::print(stderr, "{}: dropped {}: too many connections ({})\n", log_name, conn->peer(), max_peers);
      conn->send_error("too many connections");
      continue;
    }
    ++*active;
    std::thread([conn, active, log_name, secret, serve] {
      try {
        std::string name = server_handshake(*conn, secret);
        serve(*conn, name);
      } catch (const std::exception& e) {
        fmt::print(stderr, "{}: dropped {}: {}\n", log_name, conn->peer(), e.what());
        conn->send_error(e.what());
      }
      --*active;
    }).detach();
  }
}

double monotonic_s()
{
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

} // namespace spritesim::real
