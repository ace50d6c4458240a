// Figure files (see figure.hpp, docs/outputs.md): the figure's own keys, the rest parsed as a sweep file whose axes
// are the figure's x and its bands; and the figure's results read back from the sweep's run folders.
#include "experiments/figure.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"

namespace spritesim {

namespace {

// The keys a figure file adds to a sweep file.
const char* const FIGURE_KEYS[] = {"figure", "title", "x", "bands", "value", "published", "csv", "checks"};

constexpr size_t NO_AXIS = static_cast<size_t>(-1);

// An object key that is an x value ("1", "12"): std::stoi would take "1x" and throw a bare invalid_argument on "one".
int x_key(const JsonReader& at, const std::string& k)
{
  int x = 0;
  auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), x);
  if (k.empty() || ec != std::errc() || end != k.data() + k.size() || x < 1 || x > 100000)
    at.fail(fmt::format("the key \"{}\" is not an x value: expected an integer in [1, 100000]", k));
  return x;
}

std::map<int, double> by_x(const JsonReader& m, double max)
{
  std::map<int, double> into;
  for (const auto& k : m.keys())
    into[x_key(m.member(k), k)] = m.member(k).as_number(0, max);
  return into;
}

void parse_figure_keys(const JsonReader& r, Figure& f)
{
  f.name = r.required_string("figure");
  f.title = r.required_string("title");
  f.x = r.required_string("x");
  f.bands = r.string("bands", "");
  if (auto pub = r.optional_member("published")) {
    f.published_source = pub->required_string("source");
    f.published = by_x(pub->member("speedup"), 1e6);
    pub->finish();
  }
  f.value = r.choice("value", f.value, {"speedup", "makespan_s"});
  if (auto csv = r.optional_member("csv"))
    for (const auto& c : csv->elements()) {
      CsvSeries cs;
      cs.figure = c.required_string("figure");
      cs.series = c.required_string("series");
      cs.value = c.choice("value", f.value, {"speedup", "makespan_s"});
      cs.only_x = static_cast<int>(c.integer("x", 0, 0, 100000));
      if (auto pub = c.optional_member("published"))
        cs.published = by_x(*pub, 1e9);
      else if (cs.value == "speedup")
        cs.published = f.published;
      c.finish();
      f.csv.push_back(cs);
    }
  if (auto checks = r.optional_member("checks")) {
    f.checks_source = checks->required_string("source");
    for (const auto& k : checks->keys())
      if (k != "source")
        f.checks[k] = by_x(checks->member(k), 1e9);
    checks->finish();
  }
}

size_t axis_index(const SweepSpec& s, const std::string& name)
{
  for (size_t i = 0; i < s.axes.size(); ++i)
    if (s.axes[i].name == name)
      return i;
  return NO_AXIS;
}

// The sweep must be the figure's: its x (integer values, one of them 1), its bands (a zip axis, central first), one
// seed, nothing else.
void check_figure_sweep(Figure& f)
{
  const SweepSpec& s = f.sweep;
  size_t xa = axis_index(s, f.x), ba = f.bands.empty() ? NO_AXIS : axis_index(s, f.bands);
  if (xa == NO_AXIS)
    throw InputError(s.file, "$.x", fmt::format("no axis named \"{}\" (the x values, e.g. a zip axis of hosts)", f.x));
  if (!f.bands.empty() && (ba == NO_AXIS || ba == xa))
    throw InputError(s.file, "$.bands", fmt::format("no axis named \"{}\" other than the x axis", f.bands));
  for (size_t a = 0; a < s.axes.size(); ++a)
    if (a != xa && a != ba)
      throw InputError(s.file, fmt::format("$.axes[{}]", a),
                       fmt::format("axis \"{}\" is neither the figure's x nor its bands", s.axes[a].name));
  const SweepAxis& x = s.axes[xa];
  for (size_t v = 0; v < x.values.size(); ++v) {
    const nlohmann::json& value = x.values[v];
    if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 100000)
      throw InputError(s.file, x.zip() ? fmt::format("$.axes[{}].points[{}].value", xa, v)
                                       : fmt::format("$.axes[{}].values[{}]", xa, v),
                       fmt::format("expected an x value: an integer in [1, 100000], got {}", value.dump()));
    f.xs.push_back(value.get<int>());
  }
  if (std::find(f.xs.begin(), f.xs.end(), 1) == f.xs.end())
    throw InputError(s.file, fmt::format("$.axes[{}]", xa), fmt::format("no {} = 1: speedups are against it", f.x));
  if (ba != NO_AXIS && (!s.axes[ba].zip() || !s.axes[ba].sets.front().empty()))
    throw InputError(s.file, fmt::format("$.axes[{}]", ba),
                     "the bands are a zip axis whose first point is the central run and sets nothing");
  if (s.seeds.size() != 1)
    throw InputError(s.file, "$.seeds", "a figure runs each point once: give one seed");
}

FigureRow read_row(const Figure& f, const std::string& run_dir, int x)
{
  std::string path = run_dir + "/results.json";
  nlohmann::json j = parse_json_text(read_text_file(path), path);
  FigureRow row;
  row.x = x;
  row.makespan_s = j.at("makespan_s").get<double>();
  row.utilization = j.value("utilization", nlohmann::json::object());
  row.workload = j.value("trace", f.name);
  return row;
}

} // namespace

Figure parse_figure(const nlohmann::json& doc, const std::string& file)
{
  JsonReader r(doc, file);
  if (!doc.is_object())
    r.fail("expected a JSON object (a figure), got " + json_type_name(doc));
  Figure f;
  parse_figure_keys(r, f);
  nlohmann::json sweep = doc;
  for (const char* key : FIGURE_KEYS)
    sweep.erase(key);
  f.sweep = parse_sweep(sweep, file); // also rejects keys neither a figure nor a sweep knows
  check_figure_sweep(f);
  return f;
}

FigureResult collect_figure(const Figure& f, const std::string& sweep_dir)
{
  size_t xa = axis_index(f.sweep, f.x), ba = f.bands.empty() ? NO_AXIS : axis_index(f.sweep, f.bands);
  size_t bands = ba == NO_AXIS ? 1 : f.sweep.axes[ba].values.size();
  std::vector<std::vector<FigureRow>> rows(bands, std::vector<FigureRow>(f.xs.size()));
  SweepMatrix m = sweep_matrix(f.sweep);
  for (const auto& run : m.runs) { // one seed: one run per cell
    const SweepCell& cell = m.cells[run.cell];
    size_t xi = cell.value_index[xa], bi = ba == NO_AXIS ? 0 : cell.value_index[ba];
    rows[bi][xi] = read_row(f, sweep_dir + "/" + run.dir, f.xs[xi]);
  }
  FigureResult res{&f, {}, {}};
  for (size_t b = 0; b < bands; ++b) {
    double base = 0;
    for (const auto& row : rows[b])
      if (row.x == 1)
        base = row.makespan_s;
    if (base <= 0)
      throw std::runtime_error(fmt::format("figure {}: the run at {} = 1 has no makespan to compute speedups", f.name,
                                           f.x));
    for (auto& row : rows[b])
      row.speedup = base / row.makespan_s;
    if (b == 0)
      res.rows = rows[0];
    else
      res.bands[sweep_value_text(f.sweep.axes[ba].values[b])] = rows[b];
  }
  return res;
}

} // namespace spritesim
