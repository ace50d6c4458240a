// `spritesim agent --port P --secret FILE --owner-control FILE [--name N] ...`: the real-mode host agent
// (real/agent.hpp; docs/real-mode.md). Serves until killed.
#include <fmt/format.h>

#include "real/agent.hpp"
#include "tools/commands.hpp"

namespace spritesim {

namespace {
const char* AGENT_USAGE =
    "usage: spritesim agent --port P --secret FILE --owner-control FILE [--name N] [--bind ADDR] [--loadavg FILE]\n"
    "                       [--poll-ms MS] [--user NAME | --allow-root]";

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
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size())
        throw UsageError(fmt::format("{} needs a value\n{}", a, AGENT_USAGE));
      return args[++i];
    };
    if (a == "--port")
      o.port = port_arg(a, value()), have_port = true;
    else if (a == "--secret")
      o.secret_file = value();
    else if (a == "--owner-control")
      o.owner_control = value();
    else if (a == "--name")
      o.name = value();
    else if (a == "--bind")
      o.bind = value();
    else if (a == "--loadavg")
      o.loadavg = value();
    else if (a == "--poll-ms") {
      const std::string& v = value();
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || std::stoi(v) < 1 ||
          std::stoi(v) > 10000)
        throw UsageError(fmt::format("--poll-ms expects 1..10000, got \"{}\"", v));
      o.poll_s = std::stoi(v) / 1000.0;
    } else if (a == "--user")
      o.user = value();
    else if (a == "--allow-root")
      o.allow_root = true;
    else
      throw UsageError(fmt::format("unknown option \"{}\"\n{}", a, AGENT_USAGE));
  }
  if (!have_port || o.secret_file.empty() || o.owner_control.empty())
    throw UsageError(fmt::format("--port, --secret and --owner-control are required\n{}", AGENT_USAGE));
  real::Agent agent(o);
  agent.run();
  return 0;
}

} // namespace spritesim
