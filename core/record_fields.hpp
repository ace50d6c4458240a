// Field tables: each record of results.hpp lists its fields once (name, member, whether real mode's journal keeps
// it), and everything that spells fields reads the list: the CSV writers (csv_document), real mode's journal
// (journal_json, read_journal) and the docs check (`spritesim outputs --columns` against docs/outputs.md).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json_reader.hpp"
#include "core/output_files.hpp"
#include "core/vocabulary.hpp"

namespace spritesim {

/// Whether real mode's journal keeps a field: not at all, always, or always written but optional when read back
/// (absent: the type's default).
enum class Journal { NO, REQUIRED, OPTIONAL };

/// How one field is journaled; the defaults say "CSV only".
struct FieldOptions {
  Journal journal = Journal::NO;
  const char* key = nullptr; ///< its key in the journal when not the CSV column's name
  int64_t min = 0;           ///< integers read back from the journal: the smallest value accepted
};

/// One field of `Record`: its CSV column and how its value becomes text, JSON, and is read back.
template <typename Record>
struct Field {
  const char* name; ///< the CSV column (docs/outputs.md)
  FieldOptions options;
  std::string (*text)(const Record&);
  nlohmann::json (*json)(const Record&);
  void (*read)(const JsonReader&, const char* key, const FieldOptions&, Record&);
  const char* key() const { return options.key ? options.key : name; }
};

/// A record's table: the CSV it fills, its `record` name in the journal (nullptr: not journaled), its fields in
/// column order.
template <typename Record>
struct RecordTable {
  const char* file;
  const char* journal;
  std::vector<Field<Record>> fields;
};

/// The table of `Record`, specialised next to each record (results.hpp).
template <typename Record>
const RecordTable<Record>& record_table();

namespace field_values {
// Each field type's CSV text (doubles in fixed notation, booleans as 0/1, enums by name), JSON and journal reading.
inline std::string text(const std::string& v) { return v; }
inline std::string text(double v) { return std::isnan(v) ? "" : fixed(v); } // NaN: not known
inline std::string text(int64_t v) { return std::to_string(v); }
inline std::string text(bool v) { return v ? "1" : "0"; }
template <typename Enum>
  requires std::is_enum_v<Enum>
std::string text(Enum v)
{
  return to_string(v);
}

template <typename T>
nlohmann::json json(const T& v)
{
  if constexpr (std::is_enum_v<T>)
    return to_string(v);
  else
    return v;
}

constexpr double MAX_SECONDS = 1e12;

inline void read(const JsonReader& in, const char* key, const FieldOptions& o, std::string& v)
{
  v = o.journal == Journal::REQUIRED ? in.required_string(key) : in.string(key, "");
}
inline void read(const JsonReader& in, const char* key, const FieldOptions& o, double& v)
{
  v = o.journal == Journal::REQUIRED ? in.required_number(key, 0, MAX_SECONDS) : in.number(key, 0, 0, MAX_SECONDS);
}
inline void read(const JsonReader& in, const char* key, const FieldOptions& o, int64_t& v)
{
  v = o.journal == Journal::REQUIRED ? in.required_integer(key, o.min, INT64_MAX)
                                     : in.integer(key, std::max<int64_t>(0, o.min), o.min, INT64_MAX);
}
inline void read(const JsonReader& in, const char* key, const FieldOptions& o, bool& v)
{
  if (o.journal == Journal::REQUIRED)
    (void)in.member(key); // fails when absent
  v = in.boolean(key, false);
}
template <typename Enum>
  requires std::is_enum_v<Enum>
void read(const JsonReader& in, const char* key, const FieldOptions& o, Enum& v)
{
  std::string name = o.journal == Journal::REQUIRED ? in.required_string(key) : in.string(key, to_string(v));
  auto parsed = parse_enum<Enum>(name);
  if (!parsed)
    in.member(key).fail(fmt::format("\"{}\" is not one of {}", name.substr(0, 32), enum_names<Enum>()));
  v = *parsed;
}

template <typename>
struct MemberOf;
template <typename Record, typename T>
struct MemberOf<T Record::*> {
  using record = Record;
  using type = T;
};
} // namespace field_values

/// The field of the data member `Member` (`&JobRecord::cpu_s`) under the column `name`.
template <auto Member>
Field<typename field_values::MemberOf<decltype(Member)>::record> field(const char* name, FieldOptions options = {})
{
  using Record = typename field_values::MemberOf<decltype(Member)>::record;
  return {name, options, [](const Record& r) { return field_values::text(r.*Member); },
          [](const Record& r) { return field_values::json(r.*Member); },
          [](const JsonReader& in, const char* key, const FieldOptions& o, Record& r) {
            field_values::read(in, key, o, r.*Member);
          }};
}

/// The CSV column names of `Record`, in order.
template <typename Record>
std::vector<std::string> csv_columns()
{
  std::vector<std::string> names;
  for (const auto& f : record_table<Record>().fields)
    names.emplace_back(f.name);
  return names;
}

/// The CSV file of `rows`, line by line into `out` (called with each line, its newline included): the table's
/// columns, then one line per record.
template <typename Record, typename Out>
void csv_lines(const std::vector<Record>& rows, Out&& out)
{
  const auto& fields = record_table<Record>().fields;
  out(csv_line(csv_columns<Record>()));
  std::vector<std::string> line(fields.size());
  for (const Record& r : rows) {
    for (size_t i = 0; i < fields.size(); ++i)
      line[i] = fields[i].text(r);
    out(csv_line(line));
  }
}

/// The CSV file of `rows` as one string.
template <typename Record>
std::string csv_document(const std::vector<Record>& rows)
{
  std::string doc;
  csv_lines(rows, [&](const std::string& l) { doc += l; });
  return doc;
}

/// The journal object of a record: {"record": the table's journal name} and every journaled field.
template <typename Record>
nlohmann::json journal_json(const Record& r)
{
  const auto& table = record_table<Record>();
  nlohmann::json j = {{"record", table.journal}};
  for (const auto& f : table.fields)
    if (f.options.journal != Journal::NO)
      j[f.key()] = f.json(r);
  return j;
}

/// A record read back from its journal object (`record` already read by the caller); fields the journal does not
/// keep take the record's defaults. Unknown keys are left for the caller's JsonReader::finish.
template <typename Record>
Record read_journal(const JsonReader& in)
{
  Record r;
  for (const auto& f : record_table<Record>().fields)
    if (f.options.journal != Journal::NO)
      f.read(in, f.key(), f.options, r);
  return r;
}

} // namespace spritesim
