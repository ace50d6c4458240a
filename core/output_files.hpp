// Writing results without ever leaving a half-written file: every file goes to a temporary name in the same
// directory and is renamed into place; a results directory is complete only once results.json exists.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spritesim {

/// How a finished file is committed. SYNCED: flushed to the disk (fsync) before the rename, so that it survives a
/// crash whole. RENAMED: the rename only; readers still never see it half-written, but a crash may lose it. For
/// views rewritten from a durable record (migd's `--out` files, a view of its journal), where an fsync per file
/// per rewrite was most of migd's CPU during a build.
enum class Durability { SYNCED, RENAMED };

/// A file written as it is produced, atomically: into a temporary file in the same directory, buffered, then
/// fsync'd (unless RENAMED) and renamed into place by commit(). Dropped (the temporary removed) when destroyed
/// uncommitted. `mode` 0600 makes a file only its owner can read, whatever the umask and whatever file it replaces
/// (files holding keys).
class AtomicFile {
public:
  explicit AtomicFile(std::string path, unsigned mode = 0644, Durability durability = Durability::SYNCED);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();
  void write(std::string_view s);
  void commit();

private:
  void flush();
  void write_all(std::string_view s);
  [[noreturn]] void fail(const char* what);
  std::string path_, tmp_, buf_;
  int fd_ = -1;
  Durability durability_;
};

/// Writes content to path atomically (an AtomicFile written at once).
void write_file_atomic(const std::string& path, const std::string& content, unsigned mode = 0644,
                       Durability durability = Durability::SYNCED);

/// Creates a directory and its parents; an existing directory is fine.
void make_directories(const std::string& dir);

/// Checks before any work that results can go into `dir`: it is made (with its parents) if missing, and a probe file
/// is written and removed. Throws InputError naming `option` ("--out DIR") and the reason.
void prepare_output_dir(const std::string& dir, const std::string& option);

/// Checks before any work that `path` can be written atomically: not a directory, its folder made if missing and
/// taking a probe file. Throws InputError naming `option` ("--timeline FILE") and the reason.
void check_output_file(const std::string& path, const std::string& option);

/// Formats a double for CSV/JSON outputs with fixed, locale-independent precision (deterministic bytes).
std::string fixed(double v, int decimals = 6);

/// FNV-1a of `s`: a hash stable across implementations and runs (std::hash is not), for output file names.
uint64_t stable_hash(const std::string& s);

/// The last non-empty line of a text file ("" when it is missing or empty): what a failed run's log ends with.
std::string last_line(const std::string& file);

/// One CSV line (with its newline); fields are quoted when they hold commas, quotes or newlines.
std::string csv_line(const std::vector<std::string>& fields);

/// A CSV document built row by row; fields are quoted when they hold commas, quotes or newlines.
class CsvTable {
public:
  explicit CsvTable(std::vector<std::string> header);
  void add_row(const std::vector<std::string>& fields);
  std::string text() const;
  size_t rows() const { return rows_.size(); }

private:
  std::vector<std::string> header_;
  std::vector<std::string> rows_;
};

} // namespace spritesim
