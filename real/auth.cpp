// Shared-secret file, HMAC-SHA256 (Nettle) and the challenge-response handshake (see auth.hpp).
#include "real/auth.hpp"

#include <cerrno>

#include <sys/random.h>
#include <sys/stat.h>

#include <nettle/hmac.h>
#include <nettle/memops.h>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"

namespace spritesim::real {

namespace {

std::string hex(const unsigned char* p, size_t n)
{
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out += fmt::format("{:02x}", p[i]);
  return out;
}

bool is_hex64(const std::string& s)
{
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

/// Receives one message; an "error" from the peer becomes a ProtocolError carrying its reason.
nlohmann::json expect(Connection& conn, const std::string& type)
{
  nlohmann::json m = conn.receive();
  if (m["type"] == "error")
    throw ProtocolError("refused by the peer: " + m["reason"].get<std::string>());
  if (m["type"] != type)
    throw ProtocolError(fmt::format("expected a \"{}\" message, got \"{}\"", type, m["type"].get<std::string>()));
  return m;
}

} // namespace

std::string read_secret_file(const std::string& path)
{
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError(path, "file", "the secret file does not exist or cannot be read");
  if (st.st_mode & 077)
    throw InputError(path, "file",
                     fmt::format("the secret file has mode {:04o}; it must be readable by its owner only "
                                 "(chmod 600 {})",
                                 st.st_mode & 07777, path));
  std::string text = read_text_file(path);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  if (text.size() < 16)
    throw InputError(path, "file", "the secret must be at least 16 bytes long");
  return text;
}

// Nettle, not OpenSSL: OpenSSL 3 sets up its providers on the first HMAC of a process, 3.5 ms of CPU on the
// development VM, paid by every spritesim-rexec (a process per recipe line); Nettle has nothing to set up.
std::string hmac_sha256_hex(const std::string& key, const std::string& message)
{
  hmac_sha256_ctx ctx;
  hmac_sha256_set_key(&ctx, key.size(), reinterpret_cast<const uint8_t*>(key.data()));
  hmac_sha256_update(&ctx, message.size(), reinterpret_cast<const uint8_t*>(message.data()));
  uint8_t mac[SHA256_DIGEST_SIZE];
  hmac_sha256_digest(&ctx, sizeof mac, mac);
  return hex(mac, sizeof mac);
}

bool same_token(const std::string& a, const std::string& b)
{
  return a.size() == b.size() && memeql_sec(a.data(), b.data(), a.size()) != 0;
}

std::string random_nonce()
{
  // The kernel's CSPRNG (getrandom, Linux 3.17 and later): every connection is served by a thread that draws one.
  unsigned char bytes[32];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t r = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += static_cast<size_t>(r);
  }
  if (got < sizeof bytes)
    throw std::runtime_error("no random bytes from the system");
  return hex(bytes, sizeof bytes);
}

namespace {
/// Runs one side of a handshake under a single deadline over all its messages: a peer that sends a byte now and
/// then is cut when the deadline passes, and is told why.
template <class F> auto within_deadline(Connection& conn, double timeout_s, F&& steps)
{
  conn.set_deadline(timeout_s);
  try {
    auto result = steps();
    conn.set_deadline(0);
    return result;
  } catch (const DeadlinePassed&) {
    throw ConnectionLost(fmt::format("the handshake did not finish within {:g} s", timeout_s));
  }
}
} // namespace

std::string server_handshake(Connection& conn, const std::string& secret, double timeout_s)
{
  return within_deadline(conn, timeout_s, [&] {
    nlohmann::json hello = expect(conn, "hello");
    if (hello["version"] != PROTOCOL_VERSION)
      throw ProtocolError(fmt::format("protocol version {} is not supported (this daemon speaks version {})",
                                      hello["version"].dump(), PROTOCOL_VERSION));
    std::string client_nonce = hello["nonce"];
    if (!is_hex64(client_nonce))
      throw ProtocolError("hello: the nonce must be 64 lowercase hex digits");
    std::string nonce = random_nonce();
    conn.send({{"type", "challenge"}, {"version", PROTOCOL_VERSION}, {"nonce", nonce},
               {"mac", hmac_sha256_hex(secret, "server|" + client_nonce + "|" + nonce)}});
    nlohmann::json auth = expect(conn, "auth");
    if (!same_token(auth["mac"].get<std::string>(), hmac_sha256_hex(secret, "client|" + nonce + "|" + client_nonce)))
      throw ProtocolError("authentication failed (wrong shared secret)");
    // A client that sent its first request with its answer gets the welcome in one segment with the reply to that
    // request (MSG_MORE holds it back until then): it wakes once instead of twice.
    conn.send({{"type", "welcome"}}, conn.readable());
    return hello["name"].get<std::string>();
  });
}

void client_handshake(Connection& conn, const std::string& secret, const std::string& name, double timeout_s,
                      int version, const nlohmann::json* first)
{
  within_deadline(conn, timeout_s, [&] {
    std::string nonce = random_nonce();
    conn.send({{"type", "hello"}, {"version", version}, {"name", name}, {"nonce", nonce}});
    nlohmann::json ch = expect(conn, "challenge");
    std::string server_nonce = ch["nonce"];
    if (!is_hex64(server_nonce))
      throw ProtocolError("challenge: the nonce must be 64 lowercase hex digits");
    if (!same_token(ch["mac"].get<std::string>(), hmac_sha256_hex(secret, "server|" + nonce + "|" + server_nonce)))
      throw ProtocolError("the server does not know the shared secret (its secret file and ours differ)");
    conn.send({{"type", "auth"}, {"mac", hmac_sha256_hex(secret, "client|" + server_nonce + "|" + nonce)}}, first);
    if (first) {
      conn.send(*first); // one segment with the answer, so the server finds it waiting (and holds back its welcome)
      return true;
    }
    expect(conn, "welcome");
    return true;
  });
}

nlohmann::json receive_reply(Connection& conn)
{
  for (;;) {
    nlohmann::json m = conn.receive();
    if (m["type"] == "error")
      throw ProtocolError("refused by the peer: " + m["reason"].get<std::string>());
    if (m["type"] != "welcome")
      return m;
  }
}

} // namespace spritesim::real
