// Strict JSON text parsing (parse_json_text in json_reader.hpp): nlohmann's parser drives a SAX handler of ours that
// builds the same DOM but refuses a key given twice in one object (plain parsing keeps the last one without a word)
// and knows the JSON path of every value, so each error names the file, line, column and, where it helps, the path.
#include <cstddef>
#include <iterator>
#include <optional>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"

namespace spritesim {

namespace {

using json = nlohmann::json;

// A char iterator that counts the characters the parser has consumed: SAX events other than parse_error carry no
// position, and the duplicate key is reported where it stands.
class CountingIterator {
public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator(const char* p, size_t* consumed) : p_(p), consumed_(consumed) {}
  reference operator*() const { return *p_; }
  CountingIterator& operator++()
  {
    ++p_;
    ++*consumed_;
    return *this;
  }
  bool operator==(const CountingIterator& o) const { return p_ == o.p_; }
  bool operator!=(const CountingIterator& o) const { return p_ != o.p_; }

private:
  const char* p_;
  size_t* consumed_;
};

struct Failure {
  size_t offset = 0; ///< byte of the text the error points at
  std::string path;  ///< empty for syntax errors (the position says it all)
  std::string message;
  bool syntax = false;
};

// Builds the DOM like nlohmann's own SAX DOM parser; open containers sit on a stack with their JSON paths.
class StrictBuilder {
public:
  StrictBuilder(json& root, const size_t& consumed) : root_(root), consumed_(consumed) {}

  bool null() { return add(nullptr); }
  bool boolean(bool v) { return add(v); }
  bool number_integer(json::number_integer_t v) { return add(v); }
  bool number_unsigned(json::number_unsigned_t v) { return add(v); }
  bool number_float(json::number_float_t v, const json::string_t&) { return add(v); }
  bool string(json::string_t& v) { return add(std::move(v)); }
  bool binary(json::binary_t& v) { return add(json::binary(std::move(v))); }
  bool start_object(size_t) { return open(json::object()); }
  bool start_array(size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(json::string_t& k)
  {
    Level& top = stack_.back();
    if (top.node->contains(k)) {
      // The parser has just read the key's closing quote: point at its opening one.
      size_t offset = consumed_ >= json(k).dump().size() ? consumed_ - json(k).dump().size() : 0;
      failure_ = Failure{offset, json_path_join(top.path, k),
                         fmt::format("duplicate key \"{}\": an object may give each key once (a second value would "
                                     "silently replace the first)",
                                     k),
                         false};
      return false;
    }
    top.key = std::move(k);
    return true;
  }

  bool parse_error(size_t position, const std::string& last_token, const json::exception& ex)
  {
    std::string what = ex.what();
    if (ex.id == 406) { // out_of_range.406: a number a double cannot hold, such as 1e400
      size_t offset = position >= last_token.size() ? position - last_token.size() : 0;
      failure_ = Failure{offset, next_path(),
                         fmt::format("number {} is out of range (a double holds magnitudes up to about 1.8e308)",
                                     last_token),
                         false};
      return false;
    }
    auto pos = what.find("syntax error");
    failure_ = Failure{position == 0 ? 0 : position - 1, "", pos == std::string::npos ? what : what.substr(pos), true};
    return false;
  }

  const std::optional<Failure>& failure() const { return failure_; }

private:
  struct Level {
    json* node;
    std::string path;
    std::string key; ///< objects: the key of the value being read
  };

  std::string next_path() const
  {
    if (stack_.empty())
      return "$";
    const Level& top = stack_.back();
    return top.node->is_array() ? fmt::format("{}[{}]", top.path, top.node->size()) : json_path_join(top.path, top.key);
  }

  json* put(json v)
  {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Level& top = stack_.back();
    if (top.node->is_array()) {
      top.node->push_back(std::move(v));
      return &top.node->back();
    }
    json& slot = (*top.node)[top.key];
    slot = std::move(v);
    return &slot;
  }

  bool add(json v)
  {
    put(std::move(v));
    return true;
  }

  bool open(json v)
  {
    std::string path = next_path();
    json* node = put(std::move(v));
    stack_.push_back({node, std::move(path), {}});
    return true;
  }

  bool close()
  {
    stack_.pop_back();
    return true;
  }

  json& root_;
  const size_t& consumed_;
  std::vector<Level> stack_;
  std::optional<Failure> failure_;
};

std::optional<Failure> parse_strict(const std::string& text, json& out)
{
  size_t consumed = 0;
  StrictBuilder builder(out, consumed);
  CountingIterator first(text.data(), &consumed), last(text.data() + text.size(), &consumed);
  if (json::sax_parse(first, last, &builder))
    return std::nullopt;
  if (builder.failure())
    return builder.failure();
  return Failure{text.size(), "", "the JSON parser stopped without saying why", true};
}

[[noreturn]] void raise(const Failure& f, const std::string& text, const std::string& file, int64_t first_line)
{
  size_t offset = std::min(f.offset, text.size());
  int64_t line = first_line;
  size_t col = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  std::string where = fmt::format("line {} column {}", line, col);
  if (!f.path.empty())
    where += ": " + f.path;
  throw InputError(file, where, "invalid JSON: " + f.message);
}

} // namespace

nlohmann::json parse_json_text(const std::string& text, const std::string& file, int64_t first_line)
{
  json out;
  if (auto failure = parse_strict(text, out))
    raise(*failure, text, file, first_line);
  return out;
}

std::optional<nlohmann::json> try_parse_json_text(const std::string& text, const std::string& file)
{
  json out;
  auto failure = parse_strict(text, out);
  if (!failure)
    return out;
  if (failure->syntax)
    return std::nullopt;
  raise(*failure, text, file, 1);
}

} // namespace spritesim
