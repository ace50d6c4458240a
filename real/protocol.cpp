// Frames, message validation and base64 for real mode (see protocol.hpp). The message table below is the whole
// protocol: docs/real-mode.md describes each message and who sends it.
#include "real/protocol.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <vector>

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fmt/format.h>

namespace spritesim::real {

namespace {

/// ROWS: an array of flat objects (a table), each value a string, number, boolean or null.
enum class FieldKind { STRING, INTEGER, NUMBER, BOOLEAN, STRINGS, INTEGERS, NUMBERS, ACTION, ROWS };

struct Field {
  const char* name;
  FieldKind kind;
  bool required;
  double max; ///< strings: bytes; arrays: elements; integers and numbers: absolute value
};

constexpr double MAX_ID = 9.0e15; // fits a double exactly
constexpr double MAX_TEXT = 4096;
constexpr double MAX_DATA = 4 * DATA_CHUNK / 3 + 8; // base64 of one chunk

using FK = FieldKind;
const std::map<std::string, std::vector<Field>>& message_table()
{
  static const std::map<std::string, std::vector<Field>> table = {
      // handshake (auth.cpp)
      {"hello",
       {{"version", FK::INTEGER, true, 1e6}, {"name", FK::STRING, true, 256}, {"nonce", FK::STRING, true, 64}}},
      {"challenge",
       {{"version", FK::INTEGER, true, 1e6}, {"nonce", FK::STRING, true, 64}, {"mac", FK::STRING, true, 64}}},
      {"auth", {{"mac", FK::STRING, true, 64}}},
      {"welcome", {}},
      {"error", {{"reason", FK::STRING, true, MAX_TEXT}}},
      // coordinator <-> agent
      {"watch", {}},
      {"report",
       {{"name", FK::STRING, true, 256},
        {"load", FK::NUMBERS, true, 3},
        {"run_queue", FK::INTEGER, true, 1e6},
        {"owner_active", FK::BOOLEAN, true, 0},
        {"input_idle_s", FK::NUMBER, true, 1e12},
        {"jobs", FK::INTEGERS, true, 4096}}},
      {"control", {{"job", FK::INTEGER, true, MAX_ID}, {"action", FK::ACTION, true, 8}}},
      {"control_done",
       {{"job", FK::INTEGER, true, MAX_ID},
        {"action", FK::ACTION, true, 8},
        {"ok", FK::BOOLEAN, true, 0},
        {"since_notice_s", FK::NUMBER, true, 1e12}}},
      // rexec <-> agent
      {"exec",
       {{"job", FK::INTEGER, true, MAX_ID},
        {"attempt", FK::INTEGER, true, 1e6},
        {"argv", FK::STRINGS, true, 4096},
        {"cwd", FK::STRING, true, MAX_TEXT},
        {"env", FK::STRINGS, true, 4096}}},
      {"stdin", {{"data", FK::STRING, true, MAX_DATA}}},
      {"stdin_eof", {}},
      {"signal", {{"signal", FK::INTEGER, true, 64}}},
      {"output",
       {{"attempt", FK::INTEGER, true, 1e6}, {"stream", FK::STRING, true, 3}, {"data", FK::STRING, true, MAX_DATA}}},
      {"exit",
       {{"attempt", FK::INTEGER, true, 1e6},
        {"code", FK::INTEGER, true, 255},
        {"signal", FK::INTEGER, true, 64},
        {"cpu_s", FK::NUMBER, true, 1e9}}},
      {"evicted", {{"attempt", FK::INTEGER, true, 1e6}, {"action", FK::ACTION, true, 8}}},
      // rexec <-> coordinator
      {"place", {{"home", FK::STRING, true, 256}, {"name", FK::STRING, true, 256}}},
      {"placed",
       {{"job", FK::INTEGER, true, MAX_ID},
        {"host", FK::STRING, true, 256},
        {"addr", FK::STRING, true, 300},
        {"ack", FK::BOOLEAN, true, 0},
        {"token", FK::STRING, true, 64},
        {"why", FK::STRING, false, 4096}}},
      {"at_home", {{"job", FK::INTEGER, true, MAX_ID}, {"reason", FK::STRING, true, 64}}},
      {"done",
       {{"job", FK::INTEGER, true, MAX_ID},
        {"code", FK::INTEGER, true, 255},
        {"signal", FK::INTEGER, true, 64},
        {"cpu_s", FK::NUMBER, true, 1e9}}},
      {"done_ok", {{"job", FK::INTEGER, true, MAX_ID}}},
      {"resume",
       {{"job", FK::INTEGER, true, MAX_ID},
        {"name", FK::STRING, true, 256},
        {"home", FK::STRING, true, 256},
        {"addr", FK::STRING, true, 300},
        {"elapsed_s", FK::NUMBER, true, 1e12},
        {"token", FK::STRING, true, 64}}},
      {"resumed", {{"job", FK::INTEGER, true, MAX_ID}}},
      // `spritesim status` <-> coordinator
      {"status", {}},
      {"status_report",
       {{"policy", FK::STRING, true, 256},
        {"now_s", FK::NUMBER, true, 1e12},
        {"hosts", FK::ROWS, true, MAX_STATUS_ROWS},
        {"jobs", FK::ROWS, true, MAX_STATUS_ROWS},
        {"jobs_total", FK::INTEGER, true, MAX_ID}}},
  };
  return table;
}

void check_field(const std::string& type, const Field& f, const nlohmann::json& v)
{
  auto bad = [&](const std::string& what) {
    throw ProtocolError(fmt::format("message \"{}\": field \"{}\": {}", type, f.name, what));
  };
  auto check_string = [&](const nlohmann::json& s) {
    if (!s.is_string())
      bad("expected a string");
    if (static_cast<double>(s.get_ref<const std::string&>().size()) > (f.kind == FK::STRINGS ? MAX_TEXT : f.max))
      bad("string too long");
  };
  auto check_integer = [&](const nlohmann::json& n, double max) {
    if (!n.is_number_integer())
      bad("expected an integer");
    double d = n.is_number_unsigned() ? static_cast<double>(n.get<uint64_t>()) : static_cast<double>(n.get<int64_t>());
    if (d < 0 || d > max)
      bad(fmt::format("integer out of range 0..{}", max));
  };
  auto check_array = [&]() {
    if (!v.is_array())
      bad("expected an array");
    if (static_cast<double>(v.size()) > f.max)
      bad(fmt::format("more than {} elements", f.max));
  };
  switch (f.kind) {
    case FK::STRING: check_string(v); break;
    case FK::ACTION:
      check_string(v);
      if (!parse_enum<AgentAction>(v.get<std::string>()))
        bad(fmt::format("\"{}\" is not one of {}", v.get<std::string>(), enum_names<AgentAction>()));
      break;
    case FK::INTEGER: check_integer(v, f.max); break;
    case FK::NUMBER:
      if (!v.is_number() || !std::isfinite(v.get<double>()) || std::fabs(v.get<double>()) > f.max)
        bad("expected a finite number");
      break;
    case FK::BOOLEAN:
      if (!v.is_boolean())
        bad("expected true or false");
      break;
    case FK::STRINGS:
      check_array();
      for (const auto& e : v)
        check_string(e);
      break;
    case FK::INTEGERS:
      check_array();
      for (const auto& e : v)
        check_integer(e, MAX_ID);
      break;
    case FK::NUMBERS:
      check_array();
      for (const auto& e : v)
        if (!e.is_number() || !std::isfinite(e.get<double>()))
          bad("expected finite numbers");
      break;
    case FK::ROWS:
      check_array();
      for (const auto& row : v) {
        if (!row.is_object() || row.size() > 32)
          bad("expected objects of at most 32 fields");
        for (const auto& [key, cell] : row.items()) {
          if (key.size() > 64)
            bad("a field name is too long");
          if (cell.is_string())
            check_string(cell);
          else if (cell.is_number() && !std::isfinite(cell.get<double>()))
            bad("expected finite numbers");
          else if (!cell.is_number() && !cell.is_boolean() && !cell.is_null())
            bad("expected strings, numbers, booleans or null in a row");
        }
      }
      break;
  }
}

} // namespace

const char* to_string(AgentAction a)
{
  switch (a) {
    case AgentAction::KILL: return "kill";
    case AgentAction::STOP: return "stop";
    case AgentAction::CONT: return "cont";
  }
  return "?";
}

AgentAction action_of(const nlohmann::json& msg)
{
  auto a = parse_enum<AgentAction>(msg.at("action").get<std::string>());
  if (!a)
    throw std::logic_error("action_of: the message was not validated"); // validate_message refuses other actions
  return *a;
}

void validate_message(const nlohmann::json& msg)
{
  if (!msg.is_object())
    throw ProtocolError("a message must be a JSON object");
  auto t = msg.find("type");
  if (t == msg.end() || !t->is_string())
    throw ProtocolError("a message needs a string field \"type\"");
  const std::string& type = t->get_ref<const std::string&>();
  auto entry = message_table().find(type);
  if (entry == message_table().end())
    throw ProtocolError(fmt::format("unknown message type \"{}\"", type.substr(0, 64)));
  for (const auto& [key, value] : msg.items()) {
    if (key == "type")
      continue;
    const Field* f = nullptr;
    for (const auto& candidate : entry->second)
      if (key == candidate.name)
        f = &candidate;
    if (!f)
      throw ProtocolError(fmt::format("message \"{}\": unknown field \"{}\"", type, key.substr(0, 64)));
    check_field(type, *f, value);
  }
  for (const auto& f : entry->second)
    if (f.required && !msg.contains(f.name))
      throw ProtocolError(fmt::format("message \"{}\": missing field \"{}\"", type, f.name));
}

namespace {
const char* B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(const std::string& bytes)
{
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6)
      out += B64[(v >> s) & 63];
  }
  if (size_t rest = bytes.size() - i) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (rest == 2)
      v |= uint8_t(bytes[i + 1]) << 8;
    out += B64[(v >> 18) & 63];
    out += B64[(v >> 12) & 63];
    out += rest == 2 ? B64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(const std::string& text)
{
  if (text.size() % 4)
    throw ProtocolError("base64 data of a length that is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t v = 0;
    int pad = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      const char* p = c ? std::strchr(B64, c) : nullptr;
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        ++pad;
        v <<= 6;
        continue;
      }
      if (!p || pad)
        throw ProtocolError("base64 data with a character outside the alphabet");
      v = (v << 6) | static_cast<uint32_t>(p - B64);
    }
    out += static_cast<char>((v >> 16) & 255);
    if (pad < 2)
      out += static_cast<char>((v >> 8) & 255);
    if (pad < 1)
      out += static_cast<char>(v & 255);
  }
  return out;
}

Connection::Connection(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {}

Connection::~Connection()
{
  if (fd_ >= 0)
    ::close(fd_);
}

void Connection::read_exact(char* buf, size_t n)
{
  while (n > 0) {
    if (deadline_) {
      // Waits only as long as the deadline leaves, so that the whole exchange is bounded, not each recv.
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline_ - std::chrono::steady_clock::now()).count();
      pollfd p{fd_, POLLIN, 0};
      int ready = left > 0 ? ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1 << 30))) : 0;
      if (ready < 0 && errno == EINTR)
        continue;
      if (ready == 0)
        throw DeadlinePassed("timed out waiting for the peer");
    }
    ssize_t r = ::recv(fd_, buf, n, 0);
    if (r == 0)
      throw ConnectionLost("connection closed by the peer");
    if (r < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        throw ConnectionLost("timed out waiting for the peer");
      throw ConnectionLost(fmt::format("receive failed: {}", std::strerror(errno)));
    }
    buf += r;
    n -= static_cast<size_t>(r);
  }
}

nlohmann::json Connection::receive()
{
  unsigned char len_bytes[4];
  read_exact(reinterpret_cast<char*>(len_bytes), 4);
  uint32_t len = (uint32_t(len_bytes[0]) << 24) | (uint32_t(len_bytes[1]) << 16) | (uint32_t(len_bytes[2]) << 8) |
                 uint32_t(len_bytes[3]);
  if (len == 0)
    throw ProtocolError("empty frame");
  if (len > MAX_FRAME)
    throw ProtocolError(fmt::format("frame of {} bytes exceeds the maximum of {}", len, MAX_FRAME));
  std::string payload(len, '\0');
  read_exact(payload.data(), len);
  nlohmann::json msg = nlohmann::json::parse(payload, nullptr, false);
  if (msg.is_discarded())
    throw ProtocolError(fmt::format("frame of {} bytes is not valid JSON", len));
  validate_message(msg);
  return msg;
}

void Connection::send(const nlohmann::json& msg, bool more)
{
  try {
    validate_message(msg);
  } catch (const ProtocolError& e) {
    throw std::logic_error(std::string("sending an invalid message: ") + e.what());
  }
  std::string payload = msg.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (payload.size() > MAX_FRAME)
    throw std::logic_error("sending an oversized frame");
  uint32_t len = static_cast<uint32_t>(payload.size());
  std::string frame = {char(len >> 24), char((len >> 16) & 255), char((len >> 8) & 255), char(len & 255)};
  frame += payload;
  std::lock_guard lock(write_mutex_);
  const char* p = frame.data();
  size_t n = frame.size();
  while (n > 0) {
    ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    if (w < 0) {
      if (errno == EINTR)
        continue;
      throw ConnectionLost(fmt::format("send failed: {}", std::strerror(errno)));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void Connection::send_error(const std::string& reason) noexcept
{
  try {
    send({{"type", "error"}, {"reason", reason.substr(0, 4000)}});
  } catch (...) {
  }
}

void Connection::set_deadline(double seconds)
{
  if (seconds > 0)
    deadline_ = std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
  else
    deadline_.reset();
  // A send blocks only on a peer that does not read; a handshake's messages are small, so this is a backstop.
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(seconds);
  tv.tv_usec = static_cast<suseconds_t>((seconds - static_cast<double>(tv.tv_sec)) * 1e6);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool Connection::readable() const
{
  int n = 0;
  return ::ioctl(fd_, FIONREAD, &n) == 0 && n > 0;
}

void Connection::shutdown() noexcept { ::shutdown(fd_, SHUT_RDWR); }

} // namespace spritesim::real
