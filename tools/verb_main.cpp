// Catch-and-report for the command-line entry points (tools/verb_main.hpp): InputError, UsageError and any other
// std::exception each become one message and exit status 2.
#include "tools/verb_main.hpp"

#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "tools/commands.hpp"

namespace spritesim {

int run_verb(const std::string& program, const std::function<int()>& verb)
{
  try {
    return verb();
  } catch (const InputError& e) {
    fmt::print(stderr, "{}: error: {}\n", program, e.what());
  } catch (const UsageError& e) {
    fmt::print(stderr, "{}: usage error: {}\n", program, e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: error: {}\n", program, e.what());
  }
  return 2;
}

} // namespace spritesim
