// `spritesim status [--migd HOST:PORT] [--secret FILE] [--watch S] [--json]`: what a real-mode coordinator sees now,
// as condor_status and icemon show a pool: each host (up, owner at the console, available for foreign work or why
// not, load, the jobs on it) and each job (where it runs, since when). docs/real-mode.md, "Watching a cluster".
#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>

#include "real/auth.hpp"
#include "real/net.hpp"
#include "real/protocol.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

namespace spritesim {

namespace {

const char* STATUS_USAGE =
    "usage: spritesim status [--migd HOST:PORT] [--secret FILE] [--watch S] [--json]\n"
    "       (defaults from $SPRITESIM_MIGD and $SPRITESIM_SECRET)\n"
    "  show the coordinator's hosts (state, console idleness, load, jobs on it; why a host takes no foreign work)\n"
    "  and its jobs (home, where they run, for how long)\n"
    "  --watch S  ask again every S seconds until interrupted (the screen is cleared when stdout is a terminal)\n"
    "  --json     print each report as one JSON object per line (the protocol's status_report; docs/real-mode.md)";

nlohmann::json ask(const real::Endpoint& migd, const std::string& secret)
{
  auto conn = real::connect_to(migd, 2);
  nlohmann::json request = {{"type", "status"}};
  real::client_handshake(*conn, secret, "status", 5, real::PROTOCOL_VERSION, &request);
  nlohmann::json report = real::receive_reply(*conn);
  if (report["type"] != "status_report")
    throw real::ProtocolError(fmt::format("unexpected \"{}\" from migd", report["type"].get<std::string>()));
  return report;
}

std::string seconds_text(const nlohmann::json& s)
{
  if (s.is_null())
    return "never";
  double v = s.get<double>();
  if (v < 120)
    return fmt::format("{:.1f}s", v);
  if (v < 7200)
    return fmt::format("{:.0f}m", v / 60);
  return fmt::format("{:.1f}h", v / 3600);
}

void print_report(const std::string& where, const nlohmann::json& r)
{
  const auto& hosts = r["hosts"];
  const auto& jobs = r["jobs"];
  int available = 0;
  for (const auto& h : hosts)
    available += h["state"] == "available";
  fmt::print("migd {} (policy {}): {} hosts, {} available; {} jobs\n\n", where, r["policy"].get<std::string>(),
             hosts.size(), available, r["jobs_total"].get<int64_t>());
  fmt::print("{:<16} {:<10} {:>8} {:>14} {:>4} {:>4}  {}\n", "HOST", "STATE", "IDLE", "LOAD 1/5/15", "JOBS", "AWAY",
             "WHY NOT AVAILABLE");
  for (const auto& h : hosts)
    fmt::print("{:<16} {:<10} {:>8} {:>14} {:>4} {:>4}  {}\n", h["host"].get<std::string>(),
               h["state"].get<std::string>(), seconds_text(h["input_idle_s"]),
               fmt::format("{:.2f}/{:.2f}/{:.2f}", h["load1"].get<double>(), h["load5"].get<double>(),
                           h["load15"].get<double>()),
               h["running"].get<int>(), h["foreign"].get<int>(), h["why"].get<std::string>());
  fmt::print("\n{:>8} {:<28} {:<12} {:<16} {:<10} {:>8}\n", "JOB", "NAME", "HOME", "HOST", "STATE", "FOR");
  for (const auto& j : jobs)
    fmt::print("{:>8} {:<28} {:<12} {:<16} {:<10} {:>8}\n", j["job"].get<int64_t>(), j["name"].get<std::string>(),
               j["home"].get<std::string>(), j["host"].get<std::string>(), j["state"].get<std::string>(),
               seconds_text(j["for_s"]));
  if (static_cast<int64_t>(jobs.size()) < r["jobs_total"].get<int64_t>())
    fmt::print("... and {} more jobs\n", r["jobs_total"].get<int64_t>() - static_cast<int64_t>(jobs.size()));
}

} // namespace

int cmd_status(const Args& args)
{
  if (asked_for_help(args, STATUS_USAGE))
    return 0;
  std::string migd = env_or("SPRITESIM_MIGD", ""), secret_file = env_or("SPRITESIM_SECRET", "");
  double watch_s = 0;
  bool json = false;
  const std::string command = "spritesim status";
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--migd")
      migd = option_value(args, i, command);
    else if (a == "--secret")
      secret_file = option_value(args, i, command);
    else if (a == "--watch") {
      watch_s = parse_seconds(option_value(args, i, command), a);
      if (watch_s < 0.1)
        throw UsageError(fmt::format("--watch: expected at least 0.1 s, got \"{}\"", args[i]));
    } else if (a == "--json")
      json = true;
    else
      reject_argument(command, a);
  }
  if (migd.empty())
    throw UsageError("no coordinator: give --migd HOST:PORT (or set $SPRITESIM_MIGD)");
  if (secret_file.empty())
    throw UsageError("--migd needs --secret FILE (or $SPRITESIM_SECRET)");
  const real::Endpoint endpoint = real::parse_endpoint(migd, "--migd");
  const std::string secret = real::read_secret_file(secret_file);
  const bool clear = watch_s > 0 && ::isatty(1);
  for (;;) {
    nlohmann::json report = ask(endpoint, secret);
    if (json) {
      fmt::print("{}\n", report.dump());
    } else {
      if (clear)
        fmt::print("\033[H\033[2J");
      print_report(migd, report);
    }
    std::fflush(stdout);
    if (watch_s <= 0)
      return 0;
    std::this_thread::sleep_for(std::chrono::duration<double>(watch_s));
    if (!clear && !json)
      fmt::print("\n");
  }
}

} // namespace spritesim
