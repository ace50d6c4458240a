// Real mode's records journal (FILE.records.jsonl, see coordinator_state.cpp): one JSON line per record, the
// fields each record's table in core/results.hpp marks as journaled (core/record_fields.hpp), appended as records
// come and read back when a coordinator restarts.
#include "real/coordinator.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "core/record_fields.hpp"

namespace spritesim::real {

namespace {

/// Appends the records of `list` from index `from` on as journal lines (record_fields.hpp: each table's
/// journaled fields).
template <typename Record>
void journal_lines(const std::vector<Record>& list, size_t& from, std::string& out)
{
  for (; from < list.size(); ++from)
    out += journal_json(list[from]).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

/// Reads the line into `into` when its `record` is Record's journal name; true if it was.
template <typename Record>
bool read_if(const JsonReader& r, const std::string& name, std::vector<Record>& into)
{
  if (name != record_table<Record>().journal)
    return false;
  into.push_back(read_journal<Record>(r));
  return true;
}

/// One journal line into `into`; job numbers of finished jobs into `finished` (job names end in their number:
/// "cc-12").
void read_record(const JsonReader& r, RunResult& into, std::set<int64_t>& finished)
{
  std::string name = r.required_string("record");
  if (read_if(r, name, into.jobs)) {
    JobRecord& j = into.jobs.back();
    j.kind = "command"; // real mode runs commands
    j.ready_s = j.start_s;
    if (auto dash = j.id.rfind('-'); dash != std::string::npos)
      finished.insert(std::strtoll(j.id.c_str() + dash + 1, nullptr, 10));
  } else if (!read_if(r, name, into.migrations) && !read_if(r, name, into.evictions) &&
             !read_if(r, name, into.decisions)) {
    r.member("record").fail("expected \"job\", \"migration\", \"eviction\" or \"decision\"");
  }
  r.finish();
}

} // namespace

std::string Coordinator::new_journal_lines()
{
  std::string lines;
  journal_lines(records_.jobs, journaled_[0], lines);
  journal_lines(core_.migrations(), journaled_[1], lines);
  journal_lines(core_.evictions(), journaled_[2], lines);
  journal_lines(core_.decisions(), journaled_[3], lines);
  return lines;
}

void Coordinator::load_journal()
{
  const std::string file = journal_file();
  std::string text;
  try {
    text = read_text_file(file);
  } catch (const InputError&) {
    return; // no record yet
  }
  size_t complete = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (complete < text.size()) {
    // The coordinator died in the middle of an append: that record was never acknowledged (its client says it
    // again); the torn line goes, so that the next append starts on a line of its own.
    fmt::print(stderr, "migd: {}: dropping a torn last line ({} bytes)\n", file, text.size() - complete);
    if (::truncate(file.c_str(), static_cast<off_t>(complete)) != 0)
      throw InputError(file, "file", fmt::format("cannot drop its torn last line: {}", std::strerror(errno)));
    text.resize(complete);
  }
  RunResult loaded;
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    ++line_no;
    std::string where = fmt::format("{}:{}", file, line_no);
    nlohmann::json doc = parse_json_text(text.substr(pos, end - pos), where);
    JsonReader r(doc, where);
    read_record(r, loaded, finished_);
    pos = end + 1;
  }
  records_.jobs = std::move(loaded.jobs);
  core_.restore(std::move(loaded.migrations), std::move(loaded.evictions), std::move(loaded.decisions));
  journaled_[0] = records_.jobs.size();
  journaled_[1] = core_.migrations().size();
  journaled_[2] = core_.evictions().size();
  journaled_[3] = core_.decisions().size();
}

} // namespace spritesim::real
