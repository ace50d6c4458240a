// Real mode's wire protocol: length-prefixed JSON frames over TCP, strict validation of every message against a
// table of known types and fields, base64 for raw bytes (stdin, stdout, stderr), and the connection wrapper the
// agent, the coordinator and rexec share. Authentication is in real/auth.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include "core/vocabulary.hpp"

namespace spritesim::real {

/// Spoken in every hello; a peer with another version is refused with a reason. Raised with every change of a
/// message (2: resume, done_ok, placed.ack and .token, cpu_s in exit and done; 3: placed.why).
constexpr int PROTOCOL_VERSION = 4;
/// Largest frame payload accepted or sent (bytes). Data chunks are at most DATA_CHUNK raw bytes, well below it.
constexpr uint32_t MAX_FRAME = 1 << 20;
constexpr size_t DATA_CHUNK = 64 * 1024;
/// The most hosts and jobs one status report lists (its `jobs_total` counts them all); a report stays well inside
/// MAX_FRAME.
constexpr double MAX_STATUS_ROWS = 2000;

/// A peer broke the protocol (garbage, oversized frame, unknown message, bad field, failed authentication, closed
/// connection); what() is the reason logged and sent back before the peer is dropped.
struct ProtocolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The connection could not be made, broke, or timed out: unlike a refusal, trying again later may work (a
/// coordinator restarting, say).
struct ConnectionLost : ProtocolError {
  using ProtocolError::ProtocolError;
};

/// A receive found the connection's deadline passed (Connection::set_deadline).
struct DeadlinePassed : ConnectionLost {
  using ConnectionLost::ConnectionLost;
};

/// What the coordinator asks of an agent for a job's process group (`control`, echoed in `control_done`); an
/// `evicted` says KILL. Text only on the wire ("kill", "stop", "cont"), where validate_message refuses any other.
enum class AgentAction { KILL, STOP, CONT };
const char* to_string(AgentAction a);
/// The `action` of a validated control, control_done or evicted message.
AgentAction action_of(const nlohmann::json& msg);

} // namespace spritesim::real

/// parse_enum, enum_names and fmt know the actions (core/vocabulary.hpp).
template <>
struct spritesim::EnumValues<spritesim::real::AgentAction> {
  static constexpr auto all = enum_range<real::AgentAction, 3>();
};

namespace spritesim::real {

/// Checks a decoded message against the protocol's table: a "type" the table knows, every required field present,
/// no unknown field, each of the right JSON type and within its size limits. Throws ProtocolError naming the
/// message type and the field.
void validate_message(const nlohmann::json& msg);

std::string base64_encode(const std::string& bytes);
/// Throws ProtocolError on characters outside the base64 alphabet or a bad length.
std::string base64_decode(const std::string& text);

/// One TCP (or socketpair) connection carrying frames. Reads come from one thread; writes may come from several and
/// are serialised. Owns the descriptor.
class Connection {
public:
  explicit Connection(int fd, std::string peer = "");
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  const std::string& peer() const { return peer_; }
  /// Reads one frame and validates it. Throws ProtocolError on EOF, a bad length, bad JSON or a bad message.
  nlohmann::json receive();
  /// Serialises, frames and sends a message (validated first: sending a bad message is a bug, std::logic_error).
  /// `more`: hold it back (MSG_MORE) to go out in one segment with the next message sent.
  void send(const nlohmann::json& msg, bool more = false);
  /// Whether bytes are waiting to be read now.
  bool readable() const;
  /// Best effort: sends {"type":"error","reason":...} and ignores failures (the peer is about to be dropped).
  void send_error(const std::string& reason) noexcept;
  /// From now on, every receive fails with ConnectionLost once `seconds` have passed, however the bytes trickle in
  /// (a per-recv timeout would let a peer sending one byte a second hold the connection forever); sends block at
  /// most that long too. The handshake's limit over all its messages. 0 lifts it.
  void set_deadline(double seconds);
  /// Stops further reads and writes (wakes a thread blocked in receive()).
  void shutdown() noexcept;

private:
  void read_exact(char* buf, size_t n);
  int fd_;
  std::string peer_;
  std::mutex write_mutex_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

} // namespace spritesim::real
