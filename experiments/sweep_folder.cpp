// A sweep's folder (see sweep_spec.hpp, docs/sweeps.md): what its runs were made from (DIR/sweep.json) and
// whether other runs may join them, and the finished runs' results.json and metrics read back.
#include "experiments/sweep_spec.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json_reader.hpp"
#include "experiments/data_files.hpp"

namespace spritesim {

nlohmann::json sweep_identity(const SweepSpec& spec)
{
  std::string text = config_text(spec.experiment_path);
  nlohmann::json identity = {{"experiment", spec.experiment},
                             {"experiment_config", parse_json_text(text, spec.experiment_path)},
                             {"set", spec.set}};
  // A zip label's folder name does not show what it sets: the folder records it. (Path-axis-only sweeps keep the
  // identity they always had, so their existing folders stay usable.)
  for (const auto& a : spec.axes)
    for (size_t v = 0; v < a.values.size() && a.zip(); ++v)
      identity["zip"][a.name][sweep_value_text(a.values[v])] = a.sets[v];
  return identity;
}

bool sweep_identity_fits(const nlohmann::json& stored, const nlohmann::json& current, nlohmann::json* merged)
{
  nlohmann::json s = stored, c = current;
  nlohmann::json s_zip = s.value("zip", nlohmann::json::object()), c_zip = c.value("zip", nlohmann::json::object());
  s.erase("zip");
  c.erase("zip");
  if (s != c || !s_zip.is_object())
    return false;
  nlohmann::json zip = s_zip;
  for (auto axis = c_zip.begin(); axis != c_zip.end(); ++axis)
    for (auto label = axis.value().begin(); label != axis.value().end(); ++label) {
      const nlohmann::json* known = zip.contains(axis.key()) && zip[axis.key()].contains(label.key())
                                        ? &zip[axis.key()][label.key()]
                                        : nullptr;
      if (known && *known != label.value())
        return false;
      zip[axis.key()][label.key()] = label.value();
    }
  if (merged) {
    *merged = s;
    if (!zip.empty())
      (*merged)["zip"] = zip;
  }
  return true;
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

std::vector<double> csv_column(const std::string& file, const std::string& column,
                               const std::function<bool(const std::map<std::string, std::string>&)>& keep)
{
  std::vector<double> out;
  std::ifstream in(file);
  std::string line;
  if (!std::getline(in, line))
    return out;
  auto split = [](const std::string& l) {
    std::vector<std::string> f;
    std::stringstream ss(l);
    for (std::string cell; std::getline(ss, cell, ',');)
      f.push_back(cell);
    return f;
  };
  std::vector<std::string> header = split(line);
  while (std::getline(in, line)) {
    std::vector<std::string> f = split(line);
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < header.size() && i < f.size(); ++i)
      row[header[i]] = f[i];
    if (auto it = row.find(column); it != row.end() && keep(row))
      out.push_back(std::stod(it->second));
  }
  return out;
}

} // namespace spritesim
