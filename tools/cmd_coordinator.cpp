// `spritesim migd --port P --secret FILE --agents host:port,... [--policy NAME] [--state FILE] [--out DIR]`: the
// real-mode coordinator (real/coordinator.hpp; docs/real-mode.md). Serves until killed.
#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "real/coordinator.hpp"
#include "tools/build_info.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

namespace spritesim {

namespace {
const char* MIGD_USAGE =
    "usage: spritesim migd --port P --secret FILE --agents HOST:PORT,... [--bind ADDR] [--policy NAME|JSON]\n"
    "                      [--policy-params JSON] [--policy-command JSON] [--policy-timeout S]\n"
    "                      [--state FILE] [--out DIR] [--input-threshold S]\n"
    "                      [--handshake-timeout S] [--max-unauthenticated N]\n"
    "  --policy external --policy-command '[\"python3\", \"my_policy.py\"]': a policy process of your own\n"
    "    (docs/external-policies.md); --policy-timeout S: its answers' deadline (default 10)\n"
    "  --state FILE  checkpoint (and FILE.records.jsonl), both created mode 0600: FILE holds the job-token key\n"
    "  --handshake-timeout S  a peer must finish its whole handshake within S seconds (default 5)\n"
    "  --max-unauthenticated N  peers in their handshake at once; one more drops the oldest (default 64)";
}

int cmd_coordinator(const Args& args)
{
  real::CoordinatorOptions o;
  bool have_port = false;
  o.version = SPRITESIM_VERSION_TEXT;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      fmt::print("{}\nSee docs/real-mode.md.\n", MIGD_USAGE);
      return 0;
    }
    auto value = [&]() -> const std::string& { return option_value(args, i, "spritesim migd"); };
    try {
      if (a == "--port")
        o.port = real::parse_endpoint(value(), "--port").port, have_port = true;
      else if (a == "--secret")
        o.secret_file = value();
      else if (a == "--agents") {
        std::string list = value();
        for (size_t start = 0; start <= list.size();) {
          size_t comma = list.find(',', start);
          if (comma == std::string::npos)
            comma = list.size();
          o.agents.push_back(real::parse_endpoint(list.substr(start, comma - start), "--agents"));
          start = comma + 1;
        }
      } else if (a == "--bind")
        o.bind = value();
      else if (a == "--policy") {
        // A name, or a whole policy section as JSON: {"name": "external", "command": [...], ...}.
        const std::string& v = value();
        if (v.starts_with("{")) {
          nlohmann::json section = parse_json_text(v, "--policy");
          o.policy = parse_policy(JsonReader(section, "--policy"));
        } else
          o.policy.name = v;
      } else if (a == "--policy-params")
        o.policy.params = parse_json_text(value(), "--policy-params");
      else if (a == "--policy-command") {
        nlohmann::json cmd = parse_json_text(value(), "--policy-command");
        o.policy.command.clear();
        for (const auto& arg : JsonReader(cmd, "--policy-command").elements())
          o.policy.command.push_back(arg.as_string());
      } else if (a == "--policy-timeout")
        o.policy.timeout_s = parse_handshake_timeout(value(), a);
      else if (a == "--state")
        o.state_file = value();
      else if (a == "--out")
        o.out_dir = value();
      else if (a == "--handshake-timeout")
        o.limits.handshake_timeout_s = parse_handshake_timeout(value(), a);
      else if (a == "--max-unauthenticated")
        o.limits.max_unauthenticated = parse_count(value(), a, 1, 4096);
      else if (a == "--input-threshold") {
        const std::string& v = value();
        o.idle_rule.input_threshold_s = std::stod(v);
        if (!(o.idle_rule.input_threshold_s >= 0 && o.idle_rule.input_threshold_s < 1e9))
          throw std::invalid_argument("");
      } else
        reject_argument("spritesim migd", a);
    } catch (const std::invalid_argument& e) {
      throw UsageError(fmt::format("{}: {}", a, *e.what() ? e.what() : "expected a number of seconds >= 0"));
    } catch (const std::out_of_range&) {
      throw UsageError(fmt::format("{}: value out of range", a));
    }
  }
  if (!have_port || o.secret_file.empty() || o.agents.empty())
    throw UsageError(fmt::format("--port, --secret and --agents are required\n{}", MIGD_USAGE));
  if (!o.policy.command.empty() && o.policy.name != "external")
    throw UsageError(fmt::format("--policy-command is for --policy external (the policy is \"{}\")", o.policy.name));
  real::Coordinator migd(o);
  migd.run();
  return 0;
}

} // namespace spritesim
