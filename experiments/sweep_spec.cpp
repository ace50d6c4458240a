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

namespace spritesim {

namespace {

// Column names of the tables that an axis path or a metric must not take.
const std::set<std::string> RESERVED_COLUMNS = {"run", "cell", "seed", "metric", "n", "mean", "stddev",
                                                "ci95_half_width"};

// Runs in one matrix at most (docs/sweeps.md): a million runs of even a second each is eleven days on one core.
constexpr int64_t MAX_SWEEP_RUNS = 1'000'000;

// Whether a file exists; a name the system cannot look up (too long, a symlink loop) does not, rather than a
// filesystem_error escaping as if it were not the user's input.
bool exists_quietly(const std::string& path)
{
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// Folder names stay portable and shell-friendly: anything else becomes '_'.
std::string slug(const std::string& s)
{
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return out;
}

SweepAxis parse_axis(const JsonReader& a, const std::set<std::string>& earlier)
{
  SweepAxis axis;
  JsonReader path = a.member("path");
  axis.path = path.as_string();
  if (axis.path.empty() || axis.path.front() == '.' || axis.path.back() == '.' ||
      axis.path.find("..") != std::string::npos)
    path.fail("expected a config path such as \"platform.workstations\"");
  if (axis.path == "seed")
    path.fail("the seed is not an axis: list the seeds in \"seeds\"");
  if (RESERVED_COLUMNS.count(axis.path))
    path.fail(fmt::format("\"{}\" is a column name of the sweep tables", axis.path));
  if (earlier.count(axis.path))
    path.fail(fmt::format("axis \"{}\" is listed twice", axis.path));
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
    paths.insert(s.axes.back().path);
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
        e.fail(fmt::format("\"{}\" cannot be a metric column (empty, reserved or an axis path)", metric));
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
  std::string text;
  if (!exists_quietly(path) && embedded_file(path))
    text = std::string(*embedded_file(path));
  else
    text = read_text_file(path);
  SweepSpec s = parse_sweep(parse_json_text(text, path), path);
  // Each fixed override, then each axis value on top of them, must give a valid experiment.
  std::vector<std::string> fixed_sets;
  auto check = [&](const std::vector<std::string>& sets, const std::string& where, const std::string& what) {
    try {
      load_experiment(s.experiment_path, sets);
    } catch (const InputError& e) {
      throw InputError(path, where, fmt::format("{} does not fit experiment {}: {}", what, s.experiment_path,
                                                e.what()));
    }
  };
  check({}, "$.experiment", "the experiment itself");
  for (auto it = s.set.begin(); it != s.set.end(); ++it) {
    fixed_sets.push_back(it.key() + "=" + it.value().dump());
    check(fixed_sets, json_path_join("$.set", it.key()), "--set " + fixed_sets.back());
  }
  for (size_t a = 0; a < s.axes.size(); ++a)
    for (size_t v = 0; v < s.axes[a].values.size(); ++v) {
      std::vector<std::string> sets = fixed_sets;
      sets.push_back(s.axes[a].path + "=" + s.axes[a].values[v].dump());
      check(sets, fmt::format("$.axes[{}].values[{}]", a, v), "--set " + sets.back());
    }
  return s;
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
    for (size_t a = spec.axes.size(); a-- > 0;) {
      cell.values[a] = spec.axes[a].values[rest % spec.axes[a].values.size()];
      rest /= spec.axes[a].values.size();
    }
    std::string name, key;
    for (size_t a = 0; a < spec.axes.size(); ++a) {
      name += (a ? "+" : "") + slug(spec.axes[a].path) + "=" + slug(sweep_value_text(cell.values[a]));
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
  for (size_t a = 0; a < spec.axes.size(); ++a)
    sets.push_back(spec.axes[a].path + "=" + cell.values[a].dump());
  return sets;
}

bool sweep_in_shard(size_t index, int64_t shard, int64_t shards)
{
  return static_cast<int64_t>(index % static_cast<size_t>(shards)) == shard - 1;
}

std::string sweep_value_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

nlohmann::json sweep_identity(const SweepSpec& spec)
{
  std::string text = exists_quietly(spec.experiment_path) ? read_text_file(spec.experiment_path)
                                                                    : std::string(*embedded_file(spec.experiment_path));
  return {{"experiment", spec.experiment},
          {"experiment_config", parse_json_text(text, spec.experiment_path)},
          {"set", spec.set}};
}

std::optional<nlohmann::json> sweep_metric(const nlohmann::json& results, const std::string& metric)
{
  const nlohmann::json* at = &results;
  size_t start = 0;
  while (true) {
    size_t dot = metric.find('.', start);
    std::string key = metric.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object() || !at->contains(key))
      return std::nullopt;
    at = &(*at)[key];
    if (dot == std::string::npos)
      break;
    start = dot + 1;
  }
  if (at->is_null())
    return std::nullopt;
  return *at;
}

std::optional<nlohmann::json> read_run_results(const std::string& run_dir)
{
  std::string path = run_dir + "/results.json";
  if (!exists_quietly(path))
    return std::nullopt;
  return parse_json_text(read_text_file(path), path);
}

} // namespace spritesim
