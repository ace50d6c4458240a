// Unit tests for real mode's protocol: frames, message validation, base64, the secret file's mode, the
// challenge-response handshake (right secret, wrong secret, wrong version, a deadline over all of it), and the
// agent's probes. Every hostile input is rejected with a reason.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "tests/unit/test_support.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real/agent.hpp"
#include "real/auth.hpp"
#include "real/protocol.hpp"
#include "real/rexec.hpp"

using namespace spritesim;
using namespace spritesim::real;
using spritesim::test::contains;

namespace {

struct Pair {
  std::unique_ptr<Connection> a, b;
  Pair()
  {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    a = std::make_unique<Connection>(fds[0], "a");
    b = std::make_unique<Connection>(fds[1], "b");
  }
};

void send_raw(Connection& c, const std::string& bytes) { REQUIRE(::write(c.fd(), bytes.data(), bytes.size()) > 0); }

std::string frame(const std::string& payload)
{
  uint32_t n = static_cast<uint32_t>(payload.size());
  return std::string{char(n >> 24), char((n >> 16) & 255), char((n >> 8) & 255), char(n & 255)} + payload;
}

std::string receive_error(Connection& c)
{
  try {
    c.receive();
  } catch (const ProtocolError& e) {
    return e.what();
  }
  return "";
}

const std::string SECRET = "a-shared-secret-of-some-length";

} // namespace

TEST_CASE("real: base64 round-trips every byte value and rejects bad text")
{
  std::string all;
  for (int i = 0; i < 256; ++i)
    all += static_cast<char>(i);
  for (size_t n : {0u, 1u, 2u, 3u, 4u, 255u, 256u})
    CHECK(base64_decode(base64_encode(all.substr(0, n))) == all.substr(0, n));
  CHECK(base64_encode("Man") == "TWFu");
  CHECK(base64_encode("Ma") == "TWE=");
  CHECK_THROWS_AS(base64_decode("abc"), ProtocolError);
  CHECK_THROWS_AS(base64_decode("ab!d"), ProtocolError);
  CHECK_THROWS_AS(base64_decode("a=bc"), ProtocolError);
}

TEST_CASE("real: every message is validated against the table")
{
  auto why = [](const nlohmann::json& m) {
    try {
      validate_message(m);
    } catch (const ProtocolError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(why({{"type", "stdin_eof"}}).empty());
  CHECK(why({{"type", "exit"}, {"attempt", 1}, {"code", 3}, {"signal", 0}, {"cpu_s", 0.25}}).empty());
  CHECK(contains(why(nlohmann::json::array()), "JSON object"));
  CHECK(contains(why({{"kind", "x"}}), "\"type\""));
  CHECK(contains(why({{"type", "launch_missiles"}}), "unknown message type \"launch_missiles\""));
  CHECK(contains(why({{"type", "stdin_eof"}, {"extra", 1}}), "unknown field \"extra\""));
  CHECK(contains(why({{"type", "exit"}, {"attempt", 1}, {"code", "3"}, {"signal", 0}, {"cpu_s", 0}}),
                 "field \"code\": expected an integer"));
  CHECK(contains(why({{"type", "exit"}, {"attempt", 1}, {"code", 300}, {"signal", 0}, {"cpu_s", 0}}), "out of range"));
  CHECK(contains(why({{"type", "exit"}, {"attempt", 1}, {"code", -1}, {"signal", 0}, {"cpu_s", 0}}), "out of range"));
  CHECK(contains(why({{"type", "exit"}, {"attempt", 1}, {"signal", 0}, {"cpu_s", 0}}), "missing field \"code\""));
  CHECK(contains(why({{"type", "place"}, {"home", std::string(300, 'h')}, {"name", "cc"}}), "too long"));
  CHECK(contains(why({{"type", "exec"},
                      {"job", 1},
                      {"attempt", 1},
                      {"argv", {"a", 2}},
                      {"cwd", "/"},
                      {"env", nlohmann::json::array()}}),
                 "field \"argv\": expected a string"));
  CHECK(contains(why({{"type", "report"},
                      {"name", "h"},
                      {"load", {0, 0, 0, 0}},
                      {"run_queue", 0},
                      {"owner_active", false},
                      {"input_idle_s", 1},
                      {"jobs", nlohmann::json::array()}}),
                 "more than 3 elements"));
  // Agent actions: an enum inside the program, three words on the wire.
  CHECK(why({{"type", "control"}, {"job", 4}, {"action", "stop"}}).empty());
  CHECK(action_of({{"type", "control"}, {"job", 4}, {"action", "stop"}}) == AgentAction::STOP);
  for (AgentAction a : {AgentAction::KILL, AgentAction::STOP, AgentAction::CONT})
    CHECK(action_of({{"action", to_string(a)}}) == a);
  CHECK(contains(why({{"type", "control"}, {"job", 4}, {"action", "halt"}}),
                 "message \"control\": field \"action\": \"halt\" is not one of \"kill\", \"stop\" or \"cont\""));
  CHECK(contains(why({{"type", "evicted"}, {"attempt", 1}, {"action", 9}}), "field \"action\": expected a string"));
  // Status reports: rows of scalars.
  nlohmann::json report = {{"type", "status_report"}, {"policy", "sprite"}, {"now_s", 1.5},
                           {"hosts", {{{"host", "h0"}, {"load1", 0.5}, {"input_idle_s", nullptr}, {"up", true}}}},
                           {"jobs", nlohmann::json::array()}, {"jobs_total", 0}};
  CHECK(why(report).empty());
  report["hosts"][0]["load"] = {1, 2, 3};
  CHECK(contains(why(report), "field \"hosts\": expected strings, numbers, booleans or null in a row"));
  report["hosts"] = {1};
  CHECK(contains(why(report), "field \"hosts\": expected objects"));
}

TEST_CASE("real: a job is named after its make target, a shell script's first word, or its program")
{
  CHECK(real::job_name({"/bin/sh", "-c", "cc -c x.c"}, "obj/x.o") == "x.o");
  CHECK(real::job_name({"/bin/sh", "-c", "cc -c x.c"}, "") == "cc");
  CHECK(real::job_name({"/bin/sh", "-ec", "  /usr/bin/ar rc lib.a x.o"}, "") == "ar");
  CHECK(real::job_name({"bash", "-c", "   "}, "") == "bash");
  CHECK(real::job_name({"/usr/bin/env", "sh", "-c", "true"}, "") == "env");
  CHECK(real::job_name({"sleep", "1"}, "") == "sleep");
  CHECK(real::job_name({}, "") == "");
}

TEST_CASE("real: frames carry messages; garbage, empty and oversized frames are rejected with a reason")
{
  {
    Pair p;
    p.a->send({{"type", "stdin"}, {"data", base64_encode(std::string("\0\xff", 2))}});
    nlohmann::json m = p.b->receive();
    CHECK(base64_decode(m["data"]) == std::string("\0\xff", 2));
  }
  {
    Pair p;
    send_raw(*p.a, frame("this is not json"));
    CHECK(contains(receive_error(*p.b), "not valid JSON"));
  }
  {
    Pair p;
    send_raw(*p.a, std::string("\xff\xff\xff\xff", 4) + "x");
    CHECK(contains(receive_error(*p.b), "exceeds the maximum of 1048576"));
  }
  {
    Pair p;
    send_raw(*p.a, std::string(4, '\0'));
    CHECK(contains(receive_error(*p.b), "empty frame"));
  }
  {
    Pair p;
    send_raw(*p.a, frame(R"({"type":"done","job":1,"code":0,"signal":0,"x":[1]})"));
    CHECK(contains(receive_error(*p.b), "unknown field \"x\""));
  }
  {
    Pair p;
    p.a->shutdown();
    CHECK(contains(receive_error(*p.b), "closed by the peer"));
  }
  CHECK_THROWS_AS(Pair().a->send({{"type", "nonsense"}}), std::logic_error);
}

TEST_CASE("real: HMAC-SHA256 matches RFC 4231 test case 2")
{
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(random_nonce().size() == 64);
  CHECK(random_nonce() != random_nonce());
}

TEST_CASE("real: the secret file must be private")
{
  auto dir = std::filesystem::temp_directory_path() / ("spritesim-secret-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "secret").string();
  std::ofstream(path) << SECRET << "\n";
  ::chmod(path.c_str(), 0644);
  std::string err = test::input_error_of([&] { read_secret_file(path); });
  CHECK(contains(err, "mode 0644"));
  CHECK(contains(err, "chmod 600"));
  ::chmod(path.c_str(), 0600);
  CHECK(read_secret_file(path) == SECRET);
  CHECK(contains(test::input_error_of([&] { read_secret_file((dir / "none").string()); }), "does not exist"));
  std::ofstream(path) << "short";
  CHECK(contains(test::input_error_of([&] { read_secret_file(path); }), "at least 16 bytes"));
  std::filesystem::remove_all(dir);
}

namespace {
/// Runs the server handshake on one end as a daemon would (reason sent back on failure); returns its outcome.
std::future<std::string> serve(Connection& c, const std::string& secret, double timeout_s = 2)
{
  return std::async(std::launch::async, [&c, secret, timeout_s] {
    try {
      return "ok " + server_handshake(c, secret, timeout_s);
    } catch (const ProtocolError& e) {
      c.send_error(e.what());
      return std::string(e.what());
    }
  });
}
} // namespace

TEST_CASE("real: handshake with the right secret, a wrong secret and a wrong version")
{
  {
    Pair p;
    auto server = serve(*p.b, SECRET);
    CHECK_NOTHROW(client_handshake(*p.a, SECRET, "tester", 2));
    CHECK(server.get() == "ok tester");
  }
  {
    // A client with the wrong secret: the server's proof does not check out, so the client stops first...
    Pair p;
    auto server = serve(*p.b, SECRET);
    try {
      client_handshake(*p.a, "not-the-right-secret-at-all", "intruder", 2);
      FAIL("a wrong secret was accepted");
    } catch (const ProtocolError& e) {
      CHECK(contains(e.what(), "does not know the shared secret"));
    }
    p.a->shutdown();
    CHECK(!contains(server.get(), "ok"));
  }
  {
    // ...and a client that answers the challenge without the secret is refused by the server with a reason.
    Pair p;
    auto server = serve(*p.b, SECRET);
    p.a->send({{"type", "hello"}, {"version", PROTOCOL_VERSION}, {"name", "forger"}, {"nonce", random_nonce()}});
    CHECK(p.a->receive()["type"] == "challenge");
    p.a->send({{"type", "auth"}, {"mac", std::string(64, '0')}});
    CHECK(contains(server.get(), "authentication failed"));
    nlohmann::json refusal = p.a->receive();
    CHECK(refusal["type"] == "error");
    CHECK(contains(refusal["reason"], "authentication failed"));
  }
  {
    Pair p;
    auto server = serve(*p.b, SECRET);
    try {
      client_handshake(*p.a, SECRET, "future", 2, PROTOCOL_VERSION + 1);
      FAIL("a wrong version was accepted");
    } catch (const ProtocolError& e) {
      CHECK(contains(e.what(), fmt::format("refused by the peer: protocol version {} is not supported",
                                           PROTOCOL_VERSION + 1)));
    }
    CHECK(contains(server.get(), fmt::format("protocol version {}", PROTOCOL_VERSION + 1)));
  }
  {
    Pair p;
    auto server = serve(*p.b, SECRET);
    send_raw(*p.a, frame("GET / HTTP/1.0"));
    CHECK(contains(server.get(), "not valid JSON"));
  }
}

TEST_CASE("real: the handshake's deadline covers the whole handshake, not each receive")
{
  // A peer sending its hello one byte every 50 ms never leaves a receive waiting long, yet is cut at the deadline.
  Pair p;
  auto server = serve(*p.b, SECRET, 0.5);
  std::string hello = frame(nlohmann::json({{"type", "hello"}, {"version", PROTOCOL_VERSION}, {"name", "slow"},
                                            {"nonce", random_nonce()}})
                                .dump());
  auto start = std::chrono::steady_clock::now();
  for (char byte : hello) {
    if (server.wait_for(std::chrono::milliseconds(50)) == std::future_status::ready)
      break;
    if (::write(p.a->fd(), &byte, 1) != 1)
      break;
  }
  std::string outcome = server.get();
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(contains(outcome, "the handshake did not finish within 0.5 s"));
  CHECK(took >= 0.45);
  CHECK(took < 3); // the hello alone would take over 7 s at this pace
}

TEST_CASE("real: the agent's owner-control and run-queue probes")
{
  auto dir = std::filesystem::temp_directory_path() / ("spritesim-probe-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string owner = (dir / "owner").string(), load = (dir / "loadavg").string();
  OwnerState s = read_owner_control(owner, 1e9);
  CHECK(!s.active);
  CHECK(s.input_idle_s >= 1e9);
  std::ofstream(owner) << "active\n";
  CHECK(read_owner_control(owner, 2e9).active);
  std::ofstream(owner) << "idle\n";
  s = read_owner_control(owner, 4e9); // "now" far after the file's mtime
  CHECK(!s.active);
  CHECK(s.input_idle_s > 1e9);
  std::ofstream(load) << "0.50 0.40 0.30 3/120 4242\n";
  CHECK(read_run_queue(load) == 2);
  std::ofstream(load) << "garbage\n";
  CHECK(read_run_queue(load) == -1);
  CHECK(read_run_queue((dir / "none").string()) == -1);
  std::filesystem::remove_all(dir);
}
