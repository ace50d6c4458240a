// Catch-and-report for the command-line entry points (tools/verb_main.hpp): InputError, UsageError and any other
// std::exception each become one message and exit status 2; a run that broke its invariants exits
// EXIT_INVALID_RUN (3).
#include "tools/verb_main.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/results.hpp"
#include "tools/commands.hpp"

namespace spritesim {

int run_verb(const std::string& program, const std::function<int()>& verb)
{
  try {
    return verb();
  } catch (const InputError& e) {
    fmt::print(stderr, "{}: error: {}\n", program, e.what());
  } catch (const InvariantViolation& e) {
    fmt::print(stderr, "{}: error: {}\n", program, e.what());
    return EXIT_INVALID_RUN;
  } catch (const UsageError& e) {
    fmt::print(stderr, "{}: usage error: {}\n", program, e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: error: {}\n", program, e.what());
  }
  return 2;
}

bool asked_for_help(const std::vector<std::string>& args, const std::string& usage)
{
  if (args.empty() || (args[0] != "-h" && args[0] != "--help"))
    return false;
  fmt::print("{}\n", usage);
  return true;
}

std::string env_or(const char* name, const std::string& def)
{
  const char* v = std::getenv(name);
  return v && *v ? v : def;
}

double parse_seconds(const std::string& text, const std::string& option)
{
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || !(v >= 0 && v <= 86400))
    throw UsageError(fmt::format("{}: expected seconds in [0, 86400], got \"{}\"", option, text));
  return v;
}

int parse_count(const std::string& text, const std::string& option, int lo, int hi)
{
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end || errno || v < lo || v > hi)
    throw UsageError(fmt::format("{}: expected a whole number in [{}, {}], got \"{}\"", option, lo, hi, text));
  return static_cast<int>(v);
}

double parse_handshake_timeout(const std::string& text, const std::string& option)
{
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || !(v > 0 && v <= 3600))
    throw UsageError(fmt::format("{}: expected seconds in (0, 3600], got \"{}\"", option, text));
  return v;
}

} // namespace spritesim
