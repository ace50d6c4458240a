// Implementation of the strict JSON reader (see json_reader.hpp).
#include "core/json_reader.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/input_error.hpp"

namespace spritesim {

std::string read_text_file(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InputError(path, "", "cannot open file (does it exist and is it readable?)");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    throw InputError(path, "", "read error");
  return ss.str();
}

std::string json_type_name(const nlohmann::json& j)
{
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return fmt::format("the string \"{}\"", j.get<std::string>());
    case nlohmann::json::value_t::boolean: return j.get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float: return "the number " + j.dump();
    default: return "an unsupported value";
  }
}

static bool is_identifier(std::string_view key)
{
  if (key.empty())
    return false;
  for (char c : key)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      return false;
  return true;
}

std::string json_path_join(const std::string& path, std::string_view key)
{
  if (is_identifier(key))
    return path + "." + std::string(key);
  // replace: a key from the command line may hold bytes that are not UTF-8, and a message must still be made.
  return path + "[" + nlohmann::json(std::string(key)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "]";
}

JsonReader::JsonReader(const nlohmann::json& node, std::string file, std::string path)
    : node_(&node), file_(std::move(file)), path_(std::move(path)), used_(std::make_shared<std::set<std::string>>()),
      known_(std::make_shared<std::set<std::string>>())
{
}

void JsonReader::fail(const std::string& message) const { throw InputError(file_, path_, message); }

void JsonReader::expect_object() const
{
  if (!node_->is_object())
    fail("expected an object, got " + json_type_name(*node_));
}

bool JsonReader::has(std::string_view key) const
{
  expect_object();
  known_->insert(std::string(key));
  return node_->contains(key);
}

JsonReader JsonReader::child(std::string_view key) const
{
  used_->insert(std::string(key));
  return JsonReader(node_->at(std::string(key)), file_, json_path_join(path_, key));
}

JsonReader JsonReader::member(std::string_view key) const
{
  if (!has(key))
    throw InputError(file_, json_path_join(path_, key), "required key is missing");
  return child(key);
}

std::optional<JsonReader> JsonReader::optional_member(std::string_view key) const
{
  if (!has(key))
    return std::nullopt;
  return child(key);
}

double JsonReader::as_number(double min, double max) const
{
  if (!node_->is_number())
    fail(fmt::format("expected a number in [{}, {}], got {}", min, max, json_type_name(*node_)));
  double v = node_->get<double>();
  if (!std::isfinite(v) || v < min || v > max)
    fail(fmt::format("expected a number in [{}, {}], got {}", min, max, node_->dump()));
  return v;
}

int64_t JsonReader::as_integer(int64_t min, int64_t max) const
{
  bool integral = node_->is_number_integer() || node_->is_number_unsigned() ||
                  (node_->is_number_float() && std::floor(node_->get<double>()) == node_->get<double>() &&
                   std::fabs(node_->get<double>()) < 9e15);
  if (!integral)
    fail(fmt::format("expected an integer in [{}, {}], got {}", min, max, json_type_name(*node_)));
  if (node_->is_number_unsigned() && node_->get<uint64_t>() > static_cast<uint64_t>(max))
    fail(fmt::format("expected an integer in [{}, {}], got {}", min, max, node_->dump()));
  int64_t v = node_->is_number_float() ? static_cast<int64_t>(node_->get<double>()) : node_->get<int64_t>();
  if (v < min || v > max)
    fail(fmt::format("expected an integer in [{}, {}], got {}", min, max, v));
  return v;
}

std::string JsonReader::as_string() const
{
  if (!node_->is_string())
    fail("expected a string, got " + json_type_name(*node_));
  return node_->get<std::string>();
}

double JsonReader::number(std::string_view key, double def, double min, double max) const
{
  return has(key) ? child(key).as_number(min, max) : def;
}

double JsonReader::required_number(std::string_view key, double min, double max) const
{
  return member(key).as_number(min, max);
}

int64_t JsonReader::integer(std::string_view key, int64_t def, int64_t min, int64_t max) const
{
  return has(key) ? child(key).as_integer(min, max) : def;
}

int64_t JsonReader::required_integer(std::string_view key, int64_t min, int64_t max) const
{
  return member(key).as_integer(min, max);
}

std::string JsonReader::string(std::string_view key, const std::string& def) const
{
  return has(key) ? child(key).as_string() : def;
}

std::string JsonReader::required_string(std::string_view key) const { return member(key).as_string(); }

std::string JsonReader::choice(std::string_view key, const std::string& def,
                               const std::vector<std::string>& allowed) const
{
  if (!has(key))
    return def;
  JsonReader c = child(key);
  std::string v = c.as_string();
  for (const auto& a : allowed)
    if (a == v)
      return v;
  c.fail(fmt::format("expected one of {}, got \"{}\"", fmt::join(allowed, ", "), v));
}

bool JsonReader::boolean(std::string_view key, bool def) const
{
  if (!has(key))
    return def;
  JsonReader c = child(key);
  if (!c.node().is_boolean())
    c.fail("expected true or false, got " + json_type_name(c.node()));
  return c.node().get<bool>();
}

std::vector<std::string> JsonReader::keys() const
{
  expect_object();
  std::vector<std::string> out;
  for (auto it = node_->begin(); it != node_->end(); ++it) {
    out.push_back(it.key());
    used_->insert(it.key());
  }
  return out;
}

void JsonReader::finish() const
{
  expect_object();
  std::vector<std::string> known(known_->begin(), known_->end());
  for (auto it = node_->begin(); it != node_->end(); ++it)
    if (!used_->count(it.key()))
      throw InputError(file_, json_path_join(path_, it.key()),
                       fmt::format("unknown key \"{}\" (known here: {})", it.key(), fmt::join(known, ", ")));
}

std::vector<JsonReader> JsonReader::elements() const
{
  if (!node_->is_array())
    fail("expected an array, got " + json_type_name(*node_));
  std::vector<JsonReader> out;
  out.reserve(node_->size());
  for (size_t i = 0; i < node_->size(); ++i)
    out.emplace_back((*node_)[i], file_, fmt::format("{}[{}]", path_, i));
  return out;
}

void json_set_dotted(nlohmann::json& root, const std::string& dotted, const std::string& value_text,
                     const std::string& origin)
{
  if (dotted.empty())
    throw InputError(origin, "", "--set needs PATH=VALUE with a non-empty path");
  // The command line is bytes; a config is UTF-8 and the resolved config is written back as JSON.
  for (const std::string* text : {&dotted, &value_text})
    try {
      (void)nlohmann::json(*text).dump();
    } catch (const nlohmann::json::type_error&) {
      throw InputError(origin, "", "--set takes UTF-8 text; this path or value holds bytes that are not UTF-8");
    }
  nlohmann::json* at = &root;
  size_t start = 0;
  std::string path = "$";
  while (true) {
    size_t dot = dotted.find('.', start);
    std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty())
      throw InputError(origin, "", "--set path \"" + dotted + "\" has an empty component");
    if (!at->is_object())
      throw InputError(origin, path, "--set " + dotted + ": " + path + " is not an object");
    path = json_path_join(path, key);
    if (dot == std::string::npos) {
      // Not JSON at all: a bare string. JSON with a duplicate key or a number out of range is an error.
      std::optional<nlohmann::json> v = try_parse_json_text(value_text, origin);
      (*at)[key] = v ? std::move(*v) : nlohmann::json(value_text);
      return;
    }
    if (!at->contains(key))
      (*at)[key] = nlohmann::json::object();
    at = &(*at)[key];
    start = dot + 1;
  }
}

} // namespace spritesim
