// Authentication of real-mode connections: a shared secret read from a file only its owner can read (mode 0600),
// and a mutual challenge-response with HMAC-SHA256 over fresh random nonces, so the secret never crosses the wire.
#pragma once

#include <string>

#include "real/protocol.hpp"

namespace spritesim::real {

/// Reads the shared secret. Throws InputError when the file is missing, empty, or readable or writable by group or
/// others (its mode must be 0600 or stricter).
std::string read_secret_file(const std::string& path);

/// HMAC-SHA256 of message under key, as 64 lowercase hex digits.
std::string hmac_sha256_hex(const std::string& key, const std::string& message);

/// Whether two MACs or tokens are equal, in a time that depends on their length only (not on where they differ).
bool same_token(const std::string& a, const std::string& b);

/// 32 random bytes from the system's CSPRNG, as 64 hex digits.
std::string random_nonce();

/// Server side: expects hello (right version), sends challenge (proving it knows the secret too), expects auth,
/// sends welcome, all within `timeout_s` however slowly the peer's bytes come (then ConnectionLost "the handshake
/// did not finish within ... s"). Returns the peer's announced name. Throws ProtocolError with the reason; the
/// caller sends it back with send_error and drops the peer.
std::string server_handshake(Connection& conn, const std::string& secret, double timeout_s = 5);

/// Client side: sends hello, checks the server's proof, answers the challenge, expects welcome, all within
/// `timeout_s`. Throws ProtocolError (a refusal from the server carries the server's reason). A `first` message is
/// sent with the answer (the server is already proven by then) and the call returns at once: the welcome then
/// arrives with the reply to it, as the first message the caller receives (receive_reply skips it), saving a round
/// trip and a wake-up.
void client_handshake(Connection& conn, const std::string& secret, const std::string& name, double timeout_s = 5,
                      int version = PROTOCOL_VERSION, const nlohmann::json* first = nullptr);

/// The next message that is not a welcome; an error from the peer becomes a ProtocolError carrying its reason.
nlohmann::json receive_reply(Connection& conn);

} // namespace spritesim::real
