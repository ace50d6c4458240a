// Helpers shared by the unit tests: capture an InputError's message, substring checks.
#pragma once

#include <string>

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

} // namespace spritesim::test
