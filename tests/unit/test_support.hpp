// Helpers shared by the unit tests: capture an InputError's message, substring checks, a temporary folder.
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "core/input_error.hpp"

namespace spritesim::test {

/// Runs f, which should throw an InputError; returns its what() (empty if it did not throw).
template <typename F> std::string input_error_of(F f)
{
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

inline bool contains(const std::string& haystack, const std::string& needle)
{
  return haystack.find(needle) != std::string::npos;
}

/// Files in a fresh temporary folder, removed with it at scope exit.
class TempDir {
public:
  TempDir()
  {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("spritesim-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
  }
  ~TempDir()
  {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// Writes `text` to `name` in the folder; returns its path.
  std::string write(const std::string& name, const std::string& text) const
  {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  const std::filesystem::path& dir() const { return dir_; }

private:
  std::filesystem::path dir_;
};

} // namespace spritesim::test
