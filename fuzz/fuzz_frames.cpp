// libFuzzer harness: real mode's frames as a peer sends them (4-byte big-endian length, JSON payload), read by
// Connection::receive from a socketpair until the bytes run out; every accepted message's base64 fields are
// decoded as the agent and rexec do. Only ProtocolError (ConnectionLost included) is an acceptable failure.
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz/fuzz_support.hpp"
#include "real/protocol.hpp"

using namespace spritesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  // The whole input goes into the socket before reading, so it must fit its buffer: frames beyond 64 KiB add
  // nothing the size checks do not already cover.
  std::string bytes = fuzz::text_of(data, std::min<size_t>(size, 64 * 1024));
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
    fuzz::invariant_broken("socketpair failed");
  int buffer = 256 * 1024;
  ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  ::setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  for (size_t sent = 0; sent < bytes.size();) {
    ssize_t n = ::send(fds[0], bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0)
      break; // a full buffer: the reader sees the input cut short, like a peer that stops mid-frame
    sent += static_cast<size_t>(n);
  }
  ::close(fds[0]); // end of input: a read past it is "connection closed by the peer"
  real::Connection conn(fds[1], "fuzz");
  conn.set_deadline(1); // the input is all there: a read that waits is a bug
  try {
    for (;;) {
      nlohmann::json msg = conn.receive();
      if (msg.contains("data"))
        real::base64_decode(msg["data"].get<std::string>());
      real::validate_message(nlohmann::json::parse(msg.dump())); // what a peer accepted, it could send on
    }
  } catch (const real::ProtocolError&) {
  }
  return 0;
}
