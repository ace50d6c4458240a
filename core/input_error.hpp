// InputError: the one exception type for bad user input (configs, traces, profiles, command lines).
// Its message always names the file, where in it (a JSON path or a line), and what was expected, so the CLI can
// print it as is and exit non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace spritesim {

/// Bad user input. what() reads "FILE: at WHERE: MESSAGE" (WHERE is a JSON path such as $.platform.workstations,
/// or "line N"); it is meant to be printed verbatim.
class InputError : public std::runtime_error {
public:
  InputError(const std::string& file, const std::string& where, const std::string& message);
  const std::string& file() const { return file_; }
  const std::string& where() const { return where_; }
  const std::string& message() const { return message_; }

private:
  std::string file_;
  std::string where_;
  std::string message_;
};

} // namespace spritesim
