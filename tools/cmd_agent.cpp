// `spritesim agent --port P --secret FILE (--idle-probe SPEC | --owner-control FILE) [--name N] ...`: the real-mode
// host agent (real/agent.hpp, real/idle_probe.hpp; docs/real-mode.md). Serves until killed.
#include <fmt/format.h>

#include "real/agent.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

namespace spritesim {

namespace {
const char* AGENT_USAGE =
    "usage: spritesim agent --port P --secret FILE (--idle-probe SPEC | --owner-control FILE) [--name N]\n"
    "                       [--bind ADDR] [--loadavg FILE] [--poll-ms MS] [--user NAME | --allow-root]\n"
    "                       [--handshake-timeout S] [--max-unauthenticated N]\n"
    "  --idle-probe SPEC  how console idleness is seen: file:PATH (an owner-control file), tty or tty:DIR\n"
    "                     (terminal access times), input or input:DIR (evdev events, /dev/input), logind\n"
    "                     (loginctl's idle hints), command:CMD (sh -c CMD prints active, idle or seconds idle)\n"
    "  --owner-control FILE  the same as --idle-probe file:FILE\n"
    "  --handshake-timeout S  a peer must finish its whole handshake within S seconds (default 5)\n"
    "  --max-unauthenticated N  peers in their handshake at once; one more drops the oldest (default 64)";

int port_arg(const std::string& flag, const std::string& v)
{
  if (v.empty() || v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) > 65535)
    throw UsageError(fmt::format("{} expects a port number 0..65535, got \"{}\"", flag, v));
  return std::stoi(v);
}
} // namespace

int cmd_agent(const Args& args)
{
  real::AgentOptions o;
  bool have_port = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      fmt::print("{}\nSee docs/real-mode.md.\n", AGENT_USAGE);
      return 0;
    }
    auto value = [&]() -> const std::string& { return option_value(args, i, "spritesim agent"); };
    if (a == "--port")
      o.port = port_arg(a, value()), have_port = true;
    else if (a == "--secret")
      o.secret_file = value();
    else if (a == "--owner-control")
      o.owner_control = value();
    else if (a == "--idle-probe") {
      o.idle_probe = value();
      if (o.idle_probe.empty())
        throw UsageError(fmt::format("--idle-probe expects a SPEC, got \"\"\n{}", AGENT_USAGE));
    }
    else if (a == "--name")
      o.name = value();
    else if (a == "--bind")
      o.bind = value();
    else if (a == "--loadavg")
      o.loadavg = value();
    else if (a == "--poll-ms")
      o.poll_s = parse_count(value(), a, 1, 10000) / 1000.0;
    else if (a == "--user")
      o.user = value();
    else if (a == "--allow-root")
      o.allow_root = true;
    else if (a == "--handshake-timeout")
      o.limits.handshake_timeout_s = parse_handshake_timeout(value(), a);
    else if (a == "--max-unauthenticated")
      o.limits.max_unauthenticated = parse_count(value(), a, 1, 4096);
    else
      reject_argument("spritesim agent", a);
  }
  if (!have_port || o.secret_file.empty())
    throw UsageError(fmt::format("--port and --secret are required\n{}", AGENT_USAGE));
  if (o.owner_control.empty() == o.idle_probe.empty())
    throw UsageError(fmt::format("give exactly one of --idle-probe SPEC and --owner-control FILE (its synonym "
                                 "file:FILE)\n{}", AGENT_USAGE));
  real::Agent agent(o);
  agent.run();
  return 0;
}

} // namespace spritesim
