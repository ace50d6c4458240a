// Atomic writes and CSV formatting (see output_files.hpp).
#include "core/output_files.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/input_error.hpp"

namespace spritesim {

void make_directories(const std::string& dir)
{
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw std::runtime_error(fmt::format("{}: cannot create directory: {}", dir, ec.message()));
}

AtomicFile::AtomicFile(std::string path, unsigned mode, Durability durability)
    : path_(std::move(path)), tmp_(path_ + ".tmp." + std::to_string(getpid())), durability_(durability)
{
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd_ < 0)
    throw std::runtime_error(fmt::format("{}: cannot write: {}", path_, std::strerror(errno)));
  // A stale temporary file of the same name keeps its own mode through O_TRUNC: a private file is made so here.
  if ((mode & 077) == 0 && ::fchmod(fd_, static_cast<mode_t>(mode)) != 0)
    fail("cannot make it private");
}

AtomicFile::~AtomicFile()
{
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

void AtomicFile::fail(const char* what)
{
  int err = errno;
  ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_.c_str());
  throw std::runtime_error(fmt::format("{}: {}: {}", path_, what, std::strerror(err)));
}

void AtomicFile::write(std::string_view s)
{
  constexpr size_t BUFFER = 1 << 20;
  if (buf_.size() + s.size() < BUFFER) {
    buf_.append(s);
    return;
  }
  flush();
  if (s.size() < BUFFER)
    buf_.append(s);
  else
    write_all(s); // a whole document at once (write_file_atomic): not copied into the buffer first
}

void AtomicFile::flush()
{
  write_all(buf_);
  buf_.clear();
}

void AtomicFile::write_all(std::string_view s)
{
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd_, s.data() + done, s.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail("write failed");
    }
    done += static_cast<size_t>(n);
  }
}

void AtomicFile::commit()
{
  flush();
  if (durability_ == Durability::SYNCED)
    ::fsync(fd_);
  ::close(fd_);
  fd_ = -1;
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp_.c_str());
    throw std::runtime_error(fmt::format("{}: rename failed: {}", path_, std::strerror(err)));
  }
}

void write_file_atomic(const std::string& path, const std::string& content, unsigned mode, Durability durability)
{
  AtomicFile f(path, mode, durability);
  f.write(content);
  f.commit();
}

// Creates and removes a file in `dir`: the only sure test that this process may write there.
static void probe_write(const std::string& dir, const std::string& option)
{
  std::string probe = (std::filesystem::path(dir) / fmt::format(".spritesim-probe.{}", getpid())).string();
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw InputError(option, "", fmt::format("cannot write into {}: {}", dir, std::strerror(errno)));
  ::close(fd);
  ::unlink(probe.c_str());
}

void prepare_output_dir(const std::string& dir, const std::string& option)
{
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw InputError(option, "", fmt::format("{} exists and is not a directory", dir));
  try {
    make_directories(dir);
  } catch (const std::runtime_error& e) {
    throw InputError(option, "", e.what());
  }
  probe_write(dir, option);
}

void check_output_file(const std::string& path, const std::string& option)
{
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty() || path.back() == '/' || fs::is_directory(path, ec))
    throw InputError(option, "", fmt::format("{} is a directory; expected a file name", path));
  fs::path parent = fs::path(path).parent_path();
  std::string dir = parent.empty() ? "." : parent.string();
  prepare_output_dir(dir, option); // the writer makes the folder too
}

std::string fixed(double v, int decimals)
{
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s == fmt::format("-{:.{}f}", 0.0, decimals))
    s = s.substr(1); // no negative zero
  return s;
}

uint64_t stable_hash(const std::string& s)
{
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string last_line(const std::string& file)
{
  std::ifstream in(file);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty())
      last = line;
  return last;
}

CsvTable::CsvTable(std::vector<std::string> header) : header_(std::move(header)) {}

static std::string csv_field(const std::string& f)
{
  if (f.find_first_of(",\"\n\r") == std::string::npos)
    return f;
  std::string out = "\"";
  for (char c : f) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_line(const std::vector<std::string>& fields)
{
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i)
      line += ',';
    line += csv_field(fields[i]);
  }
  return line + "\n";
}

void CsvTable::add_row(const std::vector<std::string>& fields)
{
  if (fields.size() != header_.size())
    throw std::logic_error(fmt::format("CSV row has {} fields, header has {}", fields.size(), header_.size()));
  rows_.push_back(csv_line(fields));
}

std::string CsvTable::text() const
{
  std::string out = csv_line(header_);
  for (const auto& r : rows_)
    out += r;
  return out;
}

} // namespace spritesim
