// Report prose files (see report_prose.hpp).
#include "experiments/report_prose.hpp"

#include <mutex>
#include <stdexcept>

#include "experiments/data_files.hpp"

namespace spritesim {

namespace {

std::map<std::string, std::string> parse_blocks(const std::string& all)
{
  std::map<std::string, std::string> out;
  std::string name, body;
  auto flush = [&] {
    while (!body.empty() && body.back() == '\n')
      body.pop_back();
    if (!name.empty())
      out[name] = body;
  };
  size_t at = 0;
  while (at < all.size()) {
    size_t end = all.find('\n', at);
    std::string line = all.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? all.size() : end + 1;
    if (line.rfind("@@ ", 0) == 0) {
      flush();
      name = line.substr(3);
      body.clear();
    } else if (!name.empty()) {
      body += line + "\n";
    }
  }
  flush();
  return out;
}

} // namespace

const std::map<std::string, std::string>& prose_blocks(const std::string& file)
{
  static std::mutex mutex;
  static std::map<std::string, std::map<std::string, std::string>> files;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = files.find(file);
  if (it == files.end()) {
    auto text = embedded_file(file);
    if (!text)
      throw std::logic_error(file + " is not embedded");
    it = files.emplace(file, parse_blocks(std::string(*text))).first;
  }
  return it->second;
}

const std::string& prose_block(const std::string& file, const std::string& name)
{
  const auto& blocks = prose_blocks(file);
  auto it = blocks.find(name);
  if (it == blocks.end())
    throw std::logic_error(file + " has no block \"" + name + "\"");
  return it->second;
}

} // namespace spritesim
