// Unit tests of the agent's console-idleness probes (real/idle_probe.hpp): the spec parser and its errors, terminal
// access times (files whose times the test sets), evdev draining (regular files holding input_event records), the
// parsers of loginctl's and a probe command's outputs on sample texts, and the choice of the freshest idle hint.
#include <doctest/doctest.h>

#include "tests/unit/test_support.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <linux/input.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "real/idle_probe.hpp"
#include "real/net.hpp"

using namespace spritesim;
using namespace spritesim::real;
using spritesim::test::contains;
using spritesim::test::input_error_of;

namespace {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag)
      : path(std::filesystem::temp_directory_path() / ("spritesim-" + tag + "-" + std::to_string(::getpid())))
  {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void set_atime(const std::string& file, double epoch_s)
{
  struct utimbuf t {static_cast<time_t>(epoch_s), static_cast<time_t>(epoch_s)};
  REQUIRE(::utime(file.c_str(), &t) == 0);
}

void append_event(const std::string& file, unsigned short type)
{
  input_event ev{};
  ev.type = type;
  std::ofstream(file, std::ios::app | std::ios::binary).write(reinterpret_cast<const char*>(&ev), sizeof ev);
}

} // namespace

TEST_CASE("idle probe: bad specs name --idle-probe and what is expected")
{
  for (std::string spec : {"", "bogus", "file", "file:", "tty:", "logind:x", "command:", "command"}) {
    std::string e = input_error_of([&] { make_idle_probe(spec); });
    CAPTURE(spec);
    CHECK(contains(e, "--idle-probe"));
    CHECK(contains(e, "expected"));
  }
  CHECK(contains(input_error_of([] { make_idle_probe("tty:/nonexistent/dir"); }), "not a directory"));
  CHECK(contains(input_error_of([] { make_idle_probe("input:/nonexistent/dir"); }), "no such directory"));
  TempDir d("probe-noinput");
  std::ofstream(d / "mouse0") << "";
  CHECK(contains(input_error_of([&] { make_idle_probe("input:" + d.path.string()); }), "no event* device"));
}

TEST_CASE("idle probe: file: is the owner-control file")
{
  TempDir d("probe-file");
  auto p = make_idle_probe("file:" + d / "owner");
  CHECK(!p->read(epoch_s()).active);
  CHECK(p->read(epoch_s()).input_idle_s >= 1e9); // missing: idle since boot
  std::ofstream(d / "owner") << "active\n";
  CHECK(p->read(epoch_s()).active);
  CHECK(contains(p->describe(), "owner"));
}

TEST_CASE("idle probe: the last-input rule")
{
  OwnerState s = owner_state_from_input_time(0, -1, 1000);
  CHECK(!s.active);
  CHECK(s.input_idle_s >= 1e9);
  CHECK(owner_state_from_input_time(999.5, -1, 1000).active); // less than 1 s old
  s = owner_state_from_input_time(990, -1, 1000);
  CHECK(!s.active);
  CHECK(s.input_idle_s == doctest::Approx(10));
  CHECK(owner_state_from_input_time(990, 980, 1000).active); // moved forward since the last look: input now
  CHECK(!owner_state_from_input_time(990, 990, 1000).active);
  CHECK(owner_state_from_input_time(1001, -1, 1000).input_idle_s == 0); // a clock step back is not negative
}

TEST_CASE("idle probe: tty:DIR takes the newest access time of the terminals")
{
  TempDir d("probe-tty");
  double now = static_cast<double>(static_cast<long long>(epoch_s())); // utime sets whole seconds
  for (const char* t : {"tty1", "0", ".hidden"})
    std::ofstream(d / t) << "";
  std::filesystem::create_directory(d.path / "sub");
  set_atime(d / "tty1", now - 100);
  set_atime(d / "0", now - 50);
  set_atime(d / ".hidden", now); // not a terminal of this directory
  auto p = make_idle_probe("tty:" + d.path.string());
  OwnerState s = p->read(now);
  CHECK(!s.active);
  CHECK(s.input_idle_s == doctest::Approx(50));
  set_atime(d / "tty1", now); // input on tty1
  CHECK(p->read(now).active);
  set_atime(d / "tty1", now - 100);
  set_atime(d / "0", now - 50);
  s = p->read(now + 5);
  CHECK(!s.active);
  CHECK(s.input_idle_s == doctest::Approx(55));
  set_atime(d / "0", now - 2); // moved forward, already 2 s old at this look: still input since the last look
  CHECK(p->read(now + 5).active);
  CHECK(!p->read(now + 5).active);
  CHECK(contains(p->describe(), d.path.string()));
}

TEST_CASE("idle probe: input:DIR drains event devices, any key or motion is input now")
{
  TempDir d("probe-input");
  std::string dev = d / "event0";
  std::ofstream(dev) << "";
  std::ofstream(d / "mouse0") << "not an event device";
  auto p = make_idle_probe("input:" + d.path.string());
  double now = epoch_s();
  OwnerState s = p->read(now);
  CHECK(!s.active); // no event yet: idle since the probe started
  CHECK(s.input_idle_s < 60);
  append_event(dev, EV_KEY);
  append_event(dev, EV_SYN);
  CHECK(p->read(now + 10).active);
  s = p->read(now + 15);
  CHECK(!s.active);
  CHECK(s.input_idle_s == doctest::Approx(5));
  append_event(dev, EV_SYN); // a report boundary alone, or a LED or switch, is not the owner's input
  append_event(dev, EV_LED);
  CHECK(p->read(now + 20).input_idle_s == doctest::Approx(10));
  append_event(dev, EV_REL);
  CHECK(p->read(now + 30).active);
  std::string later = d / "event7"; // devices plugged in later are found by a rescan
  std::ofstream(later) << "";
  append_event(later, EV_ABS);
  CHECK(p->read(now + 40).active);
  CHECK(contains(p->describe(), "2 readable"));
}

TEST_CASE("idle probe: loginctl list-sessions output")
{
  // systemd 252 (SESSION UID USER SEAT TTY), and 255 with STATE IDLE SINCE; a header if --no-legend is ignored.
  CHECK(parse_loginctl_sessions("      2 1000 alice seat0 tty2\n     c1  120 gdm   seat0 tty1\n") ==
        std::vector<std::string>{"2", "c1"});
  CHECK(parse_loginctl_sessions("SESSION  UID USER  SEAT  TTY  STATE  IDLE SINCE\n"
                                "     15 1000 alice seat0 tty2 active no   -\n\n") ==
        std::vector<std::string>{"15"});
  CHECK(parse_loginctl_sessions("").empty());
  CHECK_THROWS_AS(parse_loginctl_sessions("2;rm -rf / 1000 x\n"), std::runtime_error);
}

TEST_CASE("idle probe: loginctl show-session output")
{
  auto s = parse_loginctl_show("Id=2\nType=wayland\nClass=user\nIdleHint=yes\nIdleSinceHint=1700000000500000\n\n"
                               "Id=c1\nType=x11\nClass=greeter\nIdleHint=no\nIdleSinceHint=0\n");
  REQUIRE(s.size() == 2);
  CHECK(s[0].id == "2");
  CHECK(s[0].type == "wayland");
  CHECK(s[0].session_class == "user");
  CHECK(s[0].idle_hint);
  CHECK(s[0].idle_since_s == doctest::Approx(1700000000.5));
  CHECK(s[1].session_class == "greeter");
  CHECK(!s[1].idle_hint);
  CHECK(parse_loginctl_show("").empty());
  CHECK_THROWS_AS(parse_loginctl_show("Failed to get session\n"), std::runtime_error);
  CHECK_THROWS_AS(parse_loginctl_show("IdleSinceHint=soon\n"), std::runtime_error);
}

TEST_CASE("idle probe: the freshest idle hint of the user's graphical and tty sessions")
{
  const double now = 1700000100;
  LogindSession desktop{"2", "wayland", "user", true, now - 300};    // idle for the desktop 300 s ago
  LogindSession shell{"5", "tty", "user", false, now - 40};          // tty: the hint is the terminal's atime
  LogindSession greeter{"c1", "x11", "greeter", false, now};         // not a user: ignored
  LogindSession service{"9", "unspecified", "user", false, now - 1}; // neither graphical nor tty: ignored
  double used = -1;
  OwnerState s = logind_owner_state({desktop, shell, greeter, service}, -1, now, &used);
  CHECK(!s.active);
  CHECK(s.input_idle_s == doctest::Approx(40));
  CHECK(used == doctest::Approx(now - 40));
  CHECK(logind_owner_state({desktop, shell}, now - 60, now).active); // the tty's time moved forward since last look
  desktop.idle_hint = false;                                        // someone is using the desktop
  s = logind_owner_state({desktop, shell}, -1, now);
  CHECK(s.active);
  CHECK(s.input_idle_s == 0);
  s = logind_owner_state({greeter}, -1, now);
  CHECK(!s.active);
  CHECK(s.input_idle_s >= 1e9); // nobody logged in: idle since boot
}

TEST_CASE("idle probe: a probe command's answer")
{
  CHECK(parse_probe_answer("active\n").kind == ProbeAnswer::ACTIVE);
  CHECK(parse_probe_answer("  idle since lunch\n").kind == ProbeAnswer::IDLE);
  ProbeAnswer a = parse_probe_answer("12.5 seconds\n");
  CHECK(a.kind == ProbeAnswer::SECONDS);
  CHECK(a.seconds == 12.5);
  for (const char* bad : {"", "\n", "-1", "12s", "nan", "inf", "Active"}) {
    CAPTURE(bad);
    a = parse_probe_answer(bad);
    CHECK(a.kind == ProbeAnswer::BAD);
    CHECK(contains(a.error, "expected"));
  }
}

TEST_CASE("idle probe: the command probe's state between answers")
{
  CommandProbeState s;
  CHECK(s.at(100).input_idle_s >= 1e9);
  s.apply(parse_probe_answer("idle"), 100);
  s.apply(parse_probe_answer("idle"), 101); // idle since it first said so
  CHECK(!s.at(110).active);
  CHECK(s.at(110).input_idle_s == doctest::Approx(10));
  s.apply(parse_probe_answer("active"), 120);
  CHECK(s.at(120.5).active);
  CHECK(s.at(120.5).input_idle_s == 0);
  s.apply(parse_probe_answer("garbage"), 121); // a bad answer leaves the state as it was
  CHECK(s.at(121.5).active);
  s.apply(parse_probe_answer("idle"), 130);
  CHECK(s.at(131).input_idle_s == doctest::Approx(1));
  s.apply(parse_probe_answer("0.2"), 140);
  CHECK(s.at(140.3).active);
  CHECK(!s.at(141).active);
  CHECK(s.at(141).input_idle_s == doctest::Approx(1.2));
}

TEST_CASE("idle probe: the probe command runner")
{
  CommandRun r = run_probe_command({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, 10);
  CHECK(r.error.empty());
  CHECK(r.status == 3);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  r = run_probe_command({"/nonexistent/probe"}, 10);
  CHECK(contains(r.error, "cannot run /nonexistent/probe"));
  r = run_probe_command({"/bin/sh", "-c", "sleep 30"}, 0.2); // a hung probe is killed, not waited for
  CHECK(contains(r.error, "killed"));
}

TEST_CASE("idle probe: command: answers from its last run")
{
  double now = epoch_s();
  CHECK(make_idle_probe("command:echo active")->read(now).active);
  OwnerState s = make_idle_probe("command:echo 42")->read(now);
  CHECK(!s.active);
  CHECK(s.input_idle_s >= 41);
  CHECK(s.input_idle_s < 100);
  s = make_idle_probe("command:exit 1")->read(now); // failing from the start: idle since the probe started
  CHECK(!s.active);
  CHECK(s.input_idle_s < 100);
}
