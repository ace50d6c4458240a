// Starting children (core/child_process.hpp), on both of its paths: posix_spawn for a child that needs only its
// environment, log, mask and default dispositions, fork and exec for one in a process group of its own. Either way a
// program that cannot run is an error, the log takes stdout and stderr, and the exit status comes back.
#include <doctest/doctest.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "core/child_process.hpp"

using namespace spritesim;

namespace {

std::string read_file(const std::string& path)
{
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ChildSpec sh(const std::string& script, bool own_group)
{
  ChildSpec c;
  c.argv = {"/bin/sh", "-c", script};
  c.own_group = own_group;
  return c;
}

} // namespace

TEST_CASE("children: exit status, log, environment and a missing program, on the spawn and the fork path")
{
  for (bool own_group : {false, true}) {
    CAPTURE(own_group);
    CHECK(run_child(sh("exit 3", own_group)) == 3);

    std::string log = "/tmp/spritesim-test-child-" + std::to_string(getpid()) + ".log";
    ChildSpec out = sh("echo out; echo err >&2; echo \"$MARK\"", own_group);
    out.log_file = log;
    out.env = std::vector<std::string>{"MARK=set-by-spec"};
    CHECK(run_child(out) == 0);
    CHECK(read_file(log) == "out\nerr\nset-by-spec\n");
    out.append_log = true;
    CHECK(run_child(out) == 0);
    CHECK(read_file(log) == "out\nerr\nset-by-spec\nout\nerr\nset-by-spec\n");
    std::remove(log.c_str());

    ChildSpec missing;
    missing.argv = {"/nonexistent/spritesim-no-such-program"};
    missing.own_group = own_group;
    try {
      start_child(missing);
      FAIL("a missing program started");
    } catch (const ChildStartError& e) {
      CHECK(e.error == ENOENT);
    }
    ChildSpec unsearched;
    unsearched.argv = {"spritesim-no-such-program-on-path"};
    unsearched.search_path = true;
    unsearched.own_group = own_group;
    CHECK_THROWS_AS(start_child(unsearched), ChildStartError);
  }
}

TEST_CASE("simple_command: a shell's -c line of plain words runs as those words; anything the shell would act on stays with it")
{
  using V = std::vector<std::string>;
  CHECK(simple_command({"/bin/sh", "-c", "cc -O2 -DX=1 -c src/a.c -o a.o"}) == V{"cc", "-O2", "-DX=1", "-c", "src/a.c", "-o", "a.o"});
  CHECK(simple_command({"bash", "-c", "  ar\trc lib.a x.o  "}) == V{"ar", "rc", "lib.a", "x.o"});
  CHECK(simple_command({"dash", "-c", "gcc -Wl,-E,--as-needed -o lua lua.o liblua.a -lm"}).has_value());
  for (const char* line : {"cc -c $SRC", "cc -c a.c > log", "cc -c a.c; true", "cc -c 'a b.c'", "cc -c \"a.c\"",
                           "cc *.c", "cc ~/a.c", "cc -c a.c # note", "cc a.c && ld", "(cc a.c)", "cc {a,b}.c",
                           "cc a\\ b.c", "cc `x`", "! cc", "cc a.c\nld a.o", "cc a.c | tee", "cc a.c &"})
    CHECK_MESSAGE(!simple_command({"/bin/sh", "-c", line}), line);
  for (const char* line : {"cd src", "echo hi", "test -f x", "exit 3", "export A=1", "true", ": nothing",
                           "A=1 cc -c a.c", "if", "while", "exec cc", "printf x", "", "   "})
    CHECK_MESSAGE(!simple_command({"/bin/sh", "-c", line}), line);
  CHECK(!simple_command({"/bin/sh", "-e", "-c", "cc"}));    // other flags: the shell's to interpret
  CHECK(!simple_command({"/usr/bin/python3", "-c", "cc"})); // not a POSIX shell
  CHECK(!simple_command({"cc", "-c", "a.c"}));
}
