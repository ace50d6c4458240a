// `spritesim calibrate --profile P [--out DIR]`: the migration-path micro-benchmarks in the simulator beside the
// published numbers (sim/calibration.cpp); prints a table and writes DIR/calibration.csv and DIR/calibration.md.
#include <cmath>

#include <fmt/format.h>

#include "core/experiment.hpp"
#include "core/output_files.hpp"
#include "sim/calibration.hpp"
#include "tools/commands.hpp"
#include "tools/verb_main.hpp"

namespace spritesim {

namespace {

std::string published_text(const CalibrationRow& r) { return r.published_ms < 0 ? "" : fixed(r.published_ms, 3); }

std::string report(const std::string& profile, const std::vector<CalibrationRow>& rows)
{
  std::string md = fmt::format("# Calibration: profile {}\n\n"
                               "Micro-benchmarks run in the simulator one at a time on an idle cluster (10 "
                               "workstations, the profile's file server, one 10 Mb/s Ethernet). Rows marked "
                               "*field* compare with measurements taken in daily use with RPC tracing on; they "
                               "are expected to be lower here and are not calibration targets.\n\n"
                               "| benchmark | simulated ms | published ms | error | source; what the simulated "
                               "figure includes |\n|---|---|---|---|---|\n",
                               profile);
  for (const auto& r : rows) {
    std::string err = r.published_ms > 0 ? fmt::format("{:+.1f}%", 100 * (r.simulated_ms / r.published_ms - 1)) : "";
    md += fmt::format("| {} | {:.2f} | {} | {} | {} |\n", r.benchmark, r.simulated_ms, published_text(r), err,
                      r.source);
  }
  return md;
}

} // namespace

const char* const CALIBRATE_USAGE =
    "usage: spritesim calibrate --profile P [--out DIR]\n"
    "  micro-benchmarks of the migration path in the simulator beside SPE91 Table 1, for a hardware profile\n"
    "  (ss1, ds3100, sun3-75, sun4-280, sun3-180, host, or a profile JSON file); results into DIR (default\n"
    "  calibration/P). See docs/cost-model.md.";

int cmd_calibrate(const Args& args)
{
  if (asked_for_help(args, CALIBRATE_USAGE))
    return 0;
  std::string profile, out;
  for (size_t i = 0; i < args.size(); ++i) {
    auto value = [&]() -> const std::string& { return option_value(args, i, "spritesim calibrate"); };
    if (args[i] == "--profile")
      profile = value();
    else if (args[i] == "--out")
      out = value();
    else
      reject_argument("spritesim calibrate", args[i]);
  }
  if (profile.empty())
    throw UsageError("calibrate needs --profile NAME (ss1, ds3100, sun3-75, ...) or a profile JSON file");
  if (out.empty())
    out = "calibration/" + profile;
  nlohmann::json doc = {{"name", "calibrate-" + profile},
                        {"platform", {{"workstations", 10}, {"profile", profile}}},
                        {"workload", {{"baseline", "none"}}}};
  ExperimentSpec spec = parse_experiment(doc, "calibrate --profile " + profile);
  std::vector<CalibrationRow> rows = run_calibration(spec, prepare_simulation(spec));

  CsvTable csv({"profile", "benchmark", "simulated_ms", "published_ms", "source"});
  fmt::print("{:<72} {:>12} {:>12}\n", "benchmark (" + profile + ")", "simulated ms", "published ms");
  for (const auto& r : rows) {
    csv.add_row({profile, r.benchmark, fixed(r.simulated_ms, 3), published_text(r), r.source});
    fmt::print("{:<72} {:>12.2f} {:>12}\n", r.benchmark, r.simulated_ms, published_text(r));
  }
  make_directories(out);
  write_file_atomic(out + "/calibration.csv", csv.text());
  write_file_atomic(out + "/calibration.md", report(profile, rows));
  fmt::print("-> {}/calibration.csv, {}/calibration.md\n", out, out);
  return 0;
}

} // namespace spritesim
