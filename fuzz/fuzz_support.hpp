// Helpers shared by the libFuzzer harnesses of fuzz/: the input as text, split into the parts a harness feeds to
// several parameters of one entry point (a config and its --set overrides, a ninja log and its --deps text).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace spritesim::fuzz {

/// The input bytes as a string.
inline std::string text_of(const uint8_t* data, size_t size)
{
  return std::string(reinterpret_cast<const char*>(data), size);
}

/// The input cut at NUL bytes into at most `max_parts` parts (the last part keeps any further NULs); a harness
/// gives part 0 to its parser's main argument and the others to side inputs. Missing parts are empty.
inline std::vector<std::string> split_parts(const std::string& text, size_t max_parts)
{
  std::vector<std::string> parts;
  size_t begin = 0;
  while (parts.size() + 1 < max_parts) {
    size_t nul = text.find('\0', begin);
    if (nul == std::string::npos)
      break;
    parts.push_back(text.substr(begin, nul - begin));
    begin = nul + 1;
  }
  parts.push_back(text.substr(begin));
  parts.resize(max_parts);
  return parts;
}

/// Stops the fuzzer with a message: an invariant the parsers promise was broken (libFuzzer reports the abort
/// and saves the input).
[[noreturn]] inline void invariant_broken(const std::string& what)
{
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what.c_str());
  std::abort();
}

} // namespace spritesim::fuzz
