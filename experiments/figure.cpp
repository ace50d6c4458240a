// Parsing reproduction figures and writing the reproduction report (see figure.hpp).
#include "experiments/figure.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include <fmt/format.h>

#include "core/child_process.hpp"
#include "experiments/data_files.hpp"
#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "core/output_files.hpp"

namespace spritesim {

Figure parse_figure(const nlohmann::json& doc, const std::string& file)
{
  JsonReader r(doc, file);
  Figure f;
  f.name = r.required_string("figure");
  f.title = r.required_string("title");
  f.experiment = r.required_string("experiment");
  f.x = r.required_string("x");
  for (const auto& p : r.member("points").elements()) {
    FigurePoint pt;
    pt.x = static_cast<int>(p.required_integer(f.x, 1, 100000));
    if (auto sets = p.optional_member("set"))
      for (const auto& k : sets->keys())
        pt.sets.push_back(k + "=" + sets->member(k).node().dump());
    p.finish();
    f.points.push_back(pt);
  }
  if (auto pub = r.optional_member("published")) {
    f.published_source = pub->required_string("source");
    JsonReader sp = pub->member("speedup");
    for (const auto& k : sp.keys()) {
      // Keys are x values ("1", "12"): std::stoi would throw a bare invalid_argument on "one" and accept "1x".
      int x = 0;
      auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), x);
      JsonReader value = sp.member(k);
      if (k.empty() || ec != std::errc() || end != k.data() + k.size() || x < 1 || x > 100000)
        value.fail(fmt::format("the key \"{}\" is not an x value: expected an integer in [1, 100000]", k));
      f.published[x] = value.as_number(0, 1e6);
    }
    pub->finish();
  }
  f.value = r.choice("value", f.value, {"speedup", "makespan_s"});
  auto by_x = [](const JsonReader& m, std::map<int, double>& into) {
    for (const auto& k : m.keys())
      into[std::stoi(k)] = m.member(k).as_number(0, 1e9);
  };
  if (auto bands = r.optional_member("bands"))
    for (const auto& b : bands->elements()) {
      FigureBand band{b.required_string("name"), {}};
      JsonReader sets = b.member("set");
      for (const auto& k : sets.keys())
        band.sets.push_back(k + "=" + sets.member(k).node().dump());
      b.finish();
      f.bands.push_back(band);
    }
  if (auto csv = r.optional_member("csv"))
    for (const auto& c : csv->elements()) {
      CsvSeries cs;
      cs.figure = c.required_string("figure");
      cs.series = c.required_string("series");
      cs.value = c.choice("value", f.value, {"speedup", "makespan_s"});
      cs.only_x = static_cast<int>(c.integer("x", 0, 0, 100000));
      if (auto pub = c.optional_member("published"))
        by_x(*pub, cs.published);
      else if (cs.value == "speedup")
        cs.published = f.published;
      c.finish();
      f.csv.push_back(cs);
    }
  if (auto checks = r.optional_member("checks")) {
    f.checks_source = checks->required_string("source");
    for (const auto& k : checks->keys())
      if (k != "source")
        by_x(checks->member(k), f.checks[k]);
    checks->finish();
  }
  r.finish();
  return f;
}

std::string point_dir(const Figure& f, const std::string& run_dir, int x, const std::string& band)
{
  return band.empty() ? fmt::format("{}/{}{}", run_dir, f.x, x) : fmt::format("{}/band-{}/{}{}", run_dir, band, f.x, x);
}

static std::vector<FigureRow> collect_rows(const Figure& f, const std::string& run_dir, const std::string& band)
{
  std::vector<FigureRow> rows;
  double base = 0;
  for (const auto& p : f.points) {
    std::string path = point_dir(f, run_dir, p.x, band) + "/results.json";
    nlohmann::json j = parse_json_text(read_text_file(path), path);
    FigureRow row;
    row.x = p.x;
    row.makespan_s = j.at("makespan_s").get<double>();
    row.utilization = j.value("utilization", nlohmann::json::object());
    row.workload = j.value("trace", f.name);
    if (p.x == 1)
      base = row.makespan_s;
    rows.push_back(row);
  }
  if (base <= 0)
    throw std::runtime_error(fmt::format("figure {} has no point at {} = 1 to compute speedups", f.name, f.x));
  for (auto& row : rows)
    row.speedup = base / row.makespan_s;
  return rows;
}

FigureResult collect_figure(const Figure& f, const std::string& run_dir)
{
  FigureResult res{&f, collect_rows(f, run_dir, ""), {}};
  for (const auto& b : f.bands)
    res.bands[b.name] = collect_rows(f, run_dir, b.name);
  return res;
}

static std::string pct(const nlohmann::json& u, const char* key)
{
  return u.contains(key) ? fmt::format("{:.0f}%", 100 * u.at(key).get<double>()) : "-";
}

// The busiest resource of a run, by utilization.
static std::string busiest(const nlohmann::json& u)
{
  std::string best;
  double v = -1;
  for (auto it = u.begin(); it != u.end(); ++it)
    if (it.value().get<double>() > v) {
      v = it.value().get<double>();
      best = it.key();
    }
  return fmt::format("{} ({:.0f}%)", best, 100 * v);
}

void write_reproduction(const std::string& out, const std::vector<FigureResult>& results, const std::string& sections)
{
  CsvTable speedup({"workload", "hosts", "makespan_s", "speedup"});
  CsvTable published({"workload", "hosts", "speedup", "source"});
  std::string md = "# spritesim reproduction report\n\n"
                   "Generated by `spritesim reproduce`. Simulated values come from the mechanism model "
                   "(docs/cost-model.md); published values from the source named under each table.\n";
  for (const auto& fr : results) {
    const Figure& f = *fr.figure;
    md += fmt::format("\n## {}\n\nExperiment `{}`, one simulation per point.\n\n", f.title, f.experiment);
    if (f.value != "speedup") { // elapsed times (COMP88): the points section below gives them with their bands
      md += fmt::format("| {} | simulated elapsed (s) | pmake host | file server | network |\n|---|---|---|---|---|\n",
                        f.x);
      for (const auto& row : fr.rows)
        md += fmt::format("| {} | {:.1f} | {} | {} | {} |\n", row.x, row.makespan_s, pct(row.utilization, "pmake_host"),
                          pct(row.utilization, "file_server"), pct(row.utilization, "network"));
      md += fmt::format("\nPublished: {}.\n", f.published_source.empty() ? "none here" : f.published_source);
      continue;
    }
    md += "| hosts | simulated makespan (s) | simulated speedup | published speedup | error | pmake host | file "
          "server | compile hosts (mean) | network |\n|---|---|---|---|---|---|---|---|---|\n";
    double worst = 0;
    for (const auto& row : fr.rows) {
      speedup.add_row({row.workload, std::to_string(row.x), fixed(row.makespan_s, 3), fixed(row.speedup, 4)});
      auto pub = f.published.find(row.x);
      std::string pub_s = "", err_s = "";
      if (pub != f.published.end()) {
        double e = (row.speedup - pub->second) / pub->second;
        worst = std::max(worst, std::fabs(e));
        pub_s = fmt::format("{:.2f}", pub->second);
        err_s = fmt::format("{:+.1f}%", 100 * e);
        published.add_row({row.workload, std::to_string(row.x), fixed(pub->second, 4), f.published_source});
      }
      const auto& u = row.utilization;
      md += fmt::format("| {} | {:.1f} | {:.2f} | {} | {} | {} | {} | {} | {} |\n", row.x, row.makespan_s,
                        row.speedup, pub_s, err_s, pct(u, "pmake_host"), pct(u, "file_server"),
                        pct(u, "compile_hosts_mean"), pct(u, "network"));
    }
    md += fmt::format("\nPublished: {}.", f.published_source.empty() ? "none (a prediction)" : f.published_source);
    if (!f.published.empty())
      md += fmt::format(" Largest deviation from the published speedups: {:.1f}%.", 100 * worst);
    const auto& last = fr.rows.back();
    md += fmt::format("\n\nWhat saturates: at {} hosts the busiest resource is {}; utilizations are busy time over "
                      "the whole build, scan and link included.\n",
                      last.x, busiest(last.utilization));
    if (!f.checks.empty()) {
      // Published utilizations are checks of the mechanism here, never inputs to it (docs/cost-model.md).
      md += fmt::format("\nChecks against {} (simulated / published; busy time over the whole build):\n\n| {} |",
                        f.checks_source, f.x);
      for (const auto& [k, v] : f.checks)
        md += " " + k + " |";
      md += "\n|---|";
      for (size_t i = 0; i < f.checks.size(); ++i)
        md += "---|";
      md += "\n";
      for (const auto& row : fr.rows) {
        md += fmt::format("| {} |", row.x);
        for (const auto& [k, v] : f.checks) {
          auto it = v.find(row.x);
          md += fmt::format(" {} / {} |", pct(row.utilization, k.c_str()),
                            it == v.end() ? "-" : fmt::format("{:.0f}%", 100 * it->second));
        }
        md += "\n";
      }
    }
    md += fmt::format("\n![{}]({}-speedup.png)\n", f.title, fr.rows.front().workload); // plot_speedup.py's name
  }
  write_file_atomic(out + "/speedup.csv", speedup.text());
  write_file_atomic(out + "/published.csv", published.text());
  md += write_points(out, results);
  write_file_atomic(out + "/report.md", md + sections);
  // Figures: the embedded analysis scripts, run by Debian's python3-matplotlib; the CSVs stand without them.
  for (const char* name : {"analysis/plot_speedup.py", "analysis/plot_points.py"})
    if (!run_embedded_script(name, out, out + "/plot.log", true))
      fmt::print(stderr, "reproduce: drawing the figures failed ({}); see {}/plot.log\n", name, out);
}

bool run_embedded_script(const std::string& name, const std::string& dir, const std::string& log, bool append_log)
{
  auto script = embedded_file(name);
  if (!script)
    return false;
  ChildSpec py = python_child({"-c", std::string(*script), dir}, log);
  py.append_log = append_log;
  try {
    return run_child(py) == 0;
  } catch (const ChildStartError& e) {
    write_file_atomic(log, std::string(e.what()) + "\n");
    return false;
  }
}

} // namespace spritesim
