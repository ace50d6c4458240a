// Strict, path-tracking reading of JSON documents: every value read checks its type and range, every object is
// checked for keys nobody read, and every error names the file and the JSON path ($.a.b[2].c).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace spritesim {

/// Parses text as strict JSON. A syntax error, a number beyond a double's range (1e400) or a key given twice in one
/// object (which plain JSON parsers resolve silently, last one wins) is an InputError naming the file, the line and
/// column, and for the last two the JSON path. `first_line`: the line of `file` the text starts on (JSON Lines).
nlohmann::json parse_json_text(const std::string& text, const std::string& file, int64_t first_line = 1);

/// Like parse_json_text, but text that is not JSON at all (a syntax error) gives nullopt; a duplicate key or an
/// out-of-range number still throw. For values that may be JSON or a bare string (--set).
std::optional<nlohmann::json> try_parse_json_text(const std::string& text, const std::string& file);

/// Reads a whole file; a missing or unreadable file is an InputError naming it.
std::string read_text_file(const std::string& path);

/// Name of a JSON type for messages ("a number", "a string", ...).
std::string json_type_name(const nlohmann::json& j);

/// A cursor on one JSON value that knows its file and path. Reading an object's member marks it as used;
/// finish() rejects any member that was not used (unknown keys are errors, never ignored).
class JsonReader {
public:
  JsonReader(const nlohmann::json& node, std::string file, std::string path = "$");

  const nlohmann::json& node() const { return *node_; }
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }

  [[noreturn]] void fail(const std::string& message) const;

  // Objects. Optional members take a default; required ones fail when absent.
  bool has(std::string_view key) const;
  JsonReader member(std::string_view key) const; // required
  std::optional<JsonReader> optional_member(std::string_view key) const;
  double number(std::string_view key, double def, double min, double max) const;
  double required_number(std::string_view key, double min, double max) const;
  int64_t integer(std::string_view key, int64_t def, int64_t min, int64_t max) const;
  int64_t required_integer(std::string_view key, int64_t min, int64_t max) const;
  std::string string(std::string_view key, const std::string& def) const;
  std::string required_string(std::string_view key) const;
  std::string choice(std::string_view key, const std::string& def, const std::vector<std::string>& allowed) const;
  bool boolean(std::string_view key, bool def) const;
  /// Every key of this object, in document order; each counts as used.
  std::vector<std::string> keys() const;
  /// Fails on the first member of this object that no accessor read.
  void finish() const;

  // Arrays and scalars at this cursor.
  std::vector<JsonReader> elements() const;
  double as_number(double min, double max) const;
  int64_t as_integer(int64_t min, int64_t max) const;
  std::string as_string() const;

private:
  JsonReader child(std::string_view key) const;
  void expect_object() const;
  const nlohmann::json* node_;
  std::string file_;
  std::string path_;
  std::shared_ptr<std::set<std::string>> used_;
  std::shared_ptr<std::set<std::string>> known_; ///< every key asked about, for 'known here' in messages
};

/// Appends ".key" (or ["key"] when the key is not an identifier) to a JSON path.
std::string json_path_join(const std::string& path, std::string_view key);

/// Sets the value at a dotted path ("platform.workstations") in a JSON object, creating objects on the way.
/// The value text is parsed as JSON when it is valid JSON, else taken as a string. Used by --set.
void json_set_dotted(nlohmann::json& root, const std::string& dotted, const std::string& value_text,
                     const std::string& origin);

} // namespace spritesim
