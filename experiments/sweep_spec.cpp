// Sweep files and the run matrix (see sweep_spec.hpp and docs/sweeps.md).
#include "experiments/sweep_spec.hpp"

#include <filesystem>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "experiments/data_files.hpp"
#include "core/experiment.hpp"
#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "core/output_files.hpp"
#include "core/results.hpp"
#include "experiments/figure.hpp"

namespace spritesim {

namespace {

// Column names of the tables that an axis path or a metric must not take.
const std::set<std::string> RESERVED_COLUMNS = {"run", "cell", "seed", "metric", "n", "mean", "stddev",
                                                "ci95_half_width"};

// Runs in one matrix at most (docs/sweeps.md): a million runs of even a second each is eleven days on one core.
constexpr int64_t MAX_SWEEP_RUNS = 1'000'000;

// Folder names stay portable and shell-friendly: anything else becomes '_'.
std::string slug(const std::string& s)
{
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return out;
}

// A config path as `spritesim run --set` takes it.
void check_config_path(const JsonReader& at, const std::string& path)
{
  if (path.empty() || path.front() == '.' || path.back() == '.' || path.find("..") != std::string::npos)
    at.fail("expected a config path such as \"platform.workstations\"");
  if (path == "seed")
    at.fail("the seed is not an axis: list the seeds in \"seeds\"");
}

// An axis's name is a column of the tables and part of the cell folder names.
void check_axis_name(const JsonReader& at, const std::string& name, const std::set<std::string>& earlier)
{
  if (RESERVED_COLUMNS.count(name))
    at.fail(fmt::format("\"{}\" is a column name of the sweep tables", name));
  if (earlier.count(name))
    at.fail(fmt::format("axis \"{}\" is listed twice", name));
}

SweepAxis parse_path_axis(const JsonReader& a, const std::set<std::string>& earlier)
{
  SweepAxis axis;
  JsonReader path = a.member("path");
  axis.path = axis.name = path.as_string();
  check_config_path(path, axis.path);
  check_axis_name(path, axis.name, earlier);
  JsonReader values = a.member("values");
  std::set<std::string> seen;
  for (const auto& v : values.elements()) {
    if (!seen.insert(v.node().dump()).second)
      v.fail(fmt::format("value {} is listed twice", v.node().dump()));
    axis.values.push_back(v.node());
  }
  if (axis.values.empty())
    values.fail("expected at least one value");
  a.finish();
  return axis;
}

// {"name": N, "points": [{"value": LABEL, "set": {PATH: VALUE, ...}}, ...]}: labels are strings or numbers, distinct
// as they are written in the tables; a point may set nothing (the experiment as it is, e.g. a central run).
SweepAxis parse_zip_axis(const JsonReader& a, const std::set<std::string>& earlier)
{
  SweepAxis axis;
  JsonReader name = a.member("name");
  axis.name = name.as_string();
  if (axis.name.empty() || axis.name.find_first_of("=+") != std::string::npos)
    name.fail("expected a name for the axis's column (not empty, no '=' or '+')");
  if (axis.name == "seed")
    name.fail("the seed is not an axis: list the seeds in \"seeds\"");
  check_axis_name(name, axis.name, earlier);
  JsonReader points = a.member("points");
  std::set<std::string> seen;
  for (const auto& p : points.elements()) {
    JsonReader value = p.member("value");
    const nlohmann::json& v = value.node();
    if (!(v.is_number() || (v.is_string() && !v.get<std::string>().empty())))
      value.fail("expected a label: a number or a non-empty string, got " + json_type_name(v));
    if (!seen.insert(sweep_value_text(v)).second)
      value.fail(fmt::format("label {} is listed twice", v.dump()));
    JsonReader set = p.member("set");
    if (!set.node().is_object())
      set.fail("expected an object {\"config.path\": value, ...}, got " + json_type_name(set.node()));
    for (const auto& key : set.keys())
      check_config_path(set.member(key), key);
    p.finish();
    axis.values.push_back(v);
    axis.sets.push_back(set.node());
  }
  if (axis.values.empty())
    points.fail("expected at least one point");
  a.finish();
  return axis;
}

// A path axis unless it names a zip axis's keys.
SweepAxis parse_axis(const JsonReader& a, const std::set<std::string>& earlier)
{
  const nlohmann::json& n = a.node();
  if (n.is_object() && !n.contains("path") && (n.contains("name") || n.contains("points")))
    return parse_zip_axis(a, earlier);
  return parse_path_axis(a, earlier);
}

std::vector<int64_t> parse_seeds(const JsonReader& s)
{
  const int64_t max_seed = std::numeric_limits<int32_t>::max();
  std::vector<int64_t> seeds;
  if (s.node().is_object()) {
    int64_t first = s.required_integer("first", 0, max_seed);
    int64_t count = s.required_integer("count", 1, 100000);
    if (first + count - 1 > max_seed)
      s.fail(fmt::format("seeds {}..{} go past the largest seed {}", first, first + count - 1, max_seed));
    s.finish();
    for (int64_t i = 0; i < count; ++i)
      seeds.push_back(first + i);
    return seeds;
  }
  if (!s.node().is_array())
    s.fail("expected a list of seeds or {\"first\": N, \"count\": M}, got " + json_type_name(s.node()));
  std::set<int64_t> seen;
  for (const auto& e : s.elements()) {
    int64_t v = e.as_integer(0, max_seed);
    if (!seen.insert(v).second)
      e.fail(fmt::format("seed {} is listed twice", v));
    seeds.push_back(v);
  }
  if (seeds.empty())
    s.fail("expected at least one seed");
  return seeds;
}

// Where `spritesim run` finds the experiment: beside the sweep file (on disk, or among the embedded configs when
// the sweep itself is embedded), else an embedded config named as written.
std::optional<std::string> resolve_experiment(const std::string& experiment, const std::string& sweep_file)
{
  namespace fs = std::filesystem;
  if (fs::path(experiment).is_absolute())
    return exists_quietly(experiment) ? std::optional<std::string>(experiment) : std::nullopt;
  std::string beside = (fs::path(sweep_file).parent_path() / experiment).lexically_normal().string();
  if (exists_quietly(beside) || embedded_file(beside))
    return beside;
  if (embedded_file(experiment))
    return experiment;
  return std::nullopt;
}

} // namespace

const std::vector<std::string>& default_sweep_metrics()
{
  static const std::vector<std::string> metrics = {"makespan_s",  "speedup",   "remote_execs",
                                                   "migrations", "evictions", "jobs_completed"};
  return metrics;
}

SweepSpec parse_sweep(const nlohmann::json& doc, const std::string& file)
{
  JsonReader r(doc, file);
  if (!doc.is_object())
    r.fail("expected a JSON object (a sweep), got " + json_type_name(doc));
  SweepSpec s;
  s.file = file;
  s.name = r.string("name", std::filesystem::path(file).stem().string());
  JsonReader exp = r.member("experiment");
  s.experiment = exp.as_string();
  if (s.experiment.empty())
    exp.fail("expected a config path (relative to the sweep file) or an embedded config name");
  if (auto set = r.optional_member("set")) {
    for (const auto& key : set->keys())
      if (key == "seed")
        set->member(key).fail("the seed is not fixed here: list the seeds in \"seeds\"");
    s.set = set->node();
  }
  std::set<std::string> paths;
  for (const auto& a : r.member("axes").elements()) {
    s.axes.push_back(parse_axis(a, paths));
    paths.insert(s.axes.back().name);
  }
  s.seeds = parse_seeds(r.member("seeds"));
  // The matrix is laid out in memory (and a product of axes overflows size_t soon): refuse one no sweep could run.
  double runs = static_cast<double>(s.seeds.size());
  for (const auto& a : s.axes)
    runs *= static_cast<double>(a.values.size());
  if (runs > MAX_SWEEP_RUNS)
    r.fail(fmt::format("the matrix has {:.0f} runs (axes times seeds); at most {} are allowed", runs, MAX_SWEEP_RUNS));
  if (auto m = r.optional_member("metrics")) {
    std::set<std::string> seen;
    for (const auto& e : m->elements()) {
      std::string metric = e.as_string();
      if (metric.empty() || RESERVED_COLUMNS.count(metric) || paths.count(metric))
        e.fail(fmt::format("\"{}\" cannot be a metric column (empty, reserved or an axis name)", metric));
      if (!seen.insert(metric).second)
        e.fail(fmt::format("metric \"{}\" is listed twice", metric));
      if (std::string why = unknown_result_key(metric); !why.empty())
        e.fail(fmt::format("metric \"{}\" is not a results.json key: {}", metric, why));
      s.metrics.push_back(metric);
    }
    if (s.metrics.empty())
      m->fail("expected at least one results.json key");
  } else {
    s.metrics = default_sweep_metrics();
  }
  r.finish();
  auto where = resolve_experiment(s.experiment, file);
  if (!where)
    throw InputError(file, "$.experiment",
                     fmt::format("no config \"{}\" beside the sweep file nor among the embedded configs "
                                 "(e.g. configs/experiments/kernel-12.json)",
                                 s.experiment));
  s.experiment_path = *where;
  return s;
}

SweepSpec load_sweep(const std::string& path)
{
  nlohmann::json doc = parse_json_text(config_text(path), path);
  // A reproduction figure is a sweep file plus figure keys: the figure parser takes those and checks the figure.
  SweepSpec s = doc.is_object() && doc.contains("figure") ? parse_figure(doc, path).sweep : parse_sweep(doc, path);
  check_sweep(s);
  return s;
}

void check_sweep(const SweepSpec& s)
{
  auto check = [&](const std::vector<std::string>& sets, const std::string& where, const std::string& what) {
    try {
      load_experiment(s.experiment_path, sets);
    } catch (const InputError& e) {
      throw InputError(s.file, where, fmt::format("{} does not fit experiment {}: {}", what, s.experiment_path,
                                                  e.what()));
    }
  };
  check({}, "$.experiment", "the experiment itself");
  std::vector<std::string> fixed_sets;
  for (auto it = s.set.begin(); it != s.set.end(); ++it) {
    fixed_sets.push_back(it.key() + "=" + it.value().dump());
    check(fixed_sets, json_path_join("$.set", it.key()), "--set " + fixed_sets.back());
  }
  for (size_t a = 0; a < s.axes.size(); ++a)
    for (size_t v = 0; v < s.axes[a].values.size(); ++v) {
      std::vector<std::string> sets = fixed_sets;
      std::string what;
      if (s.axes[a].zip()) { // a label's overrides hold together: they are checked together
        for (auto it = s.axes[a].sets[v].begin(); it != s.axes[a].sets[v].end(); ++it) {
          sets.push_back(it.key() + "=" + it.value().dump());
          what += (what.empty() ? "--set " : " --set ") + sets.back();
        }
        if (what.empty())
          continue; // sets nothing: the experiment itself, checked above
        check(sets, fmt::format("$.axes[{}].points[{}].set", a, v), what);
      } else {
        sets.push_back(s.axes[a].path + "=" + s.axes[a].values[v].dump());
        check(sets, fmt::format("$.axes[{}].values[{}]", a, v), "--set " + sets.back());
      }
    }
}

SweepMatrix sweep_matrix(const SweepSpec& spec)
{
  SweepMatrix m;
  size_t cells = 1;
  for (const auto& a : spec.axes)
    cells *= a.values.size();
  std::set<std::string> names;
  for (size_t c = 0; c < cells; ++c) {
    SweepCell cell;
    cell.index = c;
    // Odometer order: the last axis changes fastest.
    size_t rest = c;
    cell.values.resize(spec.axes.size());
    cell.value_index.resize(spec.axes.size());
    for (size_t a = spec.axes.size(); a-- > 0;) {
      cell.value_index[a] = rest % spec.axes[a].values.size();
      cell.values[a] = spec.axes[a].values[cell.value_index[a]];
      rest /= spec.axes[a].values.size();
    }
    std::string name, key;
    for (size_t a = 0; a < spec.axes.size(); ++a) {
      name += (a ? "+" : "") + slug(spec.axes[a].name) + "=" + slug(sweep_value_text(cell.values[a]));
      key += cell.values[a].dump() + "\n";
    }
    if (spec.axes.empty())
      name = "all";
    // Values that differ only in characters a folder name cannot hold, or very long ones, get a stable suffix.
    if (name.size() > 100 || names.count(name))
      name = fmt::format("{}~{:08x}", name.substr(0, 100), stable_hash(key) & 0xffffffffULL);
    names.insert(name);
    cell.name = name;
    m.cells.push_back(std::move(cell));
  }
  for (const auto& cell : m.cells)
    for (int64_t seed : spec.seeds)
      m.runs.push_back({m.runs.size(), cell.index, seed, fmt::format("runs/{}/seed-{}", cell.name, seed)});
  return m;
}

std::vector<std::string> sweep_cell_sets(const SweepSpec& spec, const SweepCell& cell)
{
  std::vector<std::string> sets;
  for (auto it = spec.set.begin(); it != spec.set.end(); ++it)
    sets.push_back(it.key() + "=" + it.value().dump());
  for (size_t a = 0; a < spec.axes.size(); ++a) {
    const SweepAxis& axis = spec.axes[a];
    if (!axis.zip()) {
      sets.push_back(axis.path + "=" + cell.values[a].dump());
      continue;
    }
    const nlohmann::json& label_sets = axis.sets.at(cell.value_index.at(a));
    for (auto it = label_sets.begin(); it != label_sets.end(); ++it)
      sets.push_back(it.key() + "=" + it.value().dump());
  }
  return sets;
}

bool sweep_in_shard(size_t index, int64_t shard, int64_t shards)
{
  return static_cast<int64_t>(index % static_cast<size_t>(shards)) == shard - 1;
}

std::string sweep_value_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

} // namespace spritesim
