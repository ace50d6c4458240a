// Catch-and-report for the command-line entry points (tools/verb_main.hpp): each kind of exception becomes one
// message and its exit status (core/results.hpp: usage 2, invalid run 3, bad input 4, run failed 1, internal 5).
#include "tools/verb_main.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include <fmt/format.h>

#include "core/input_error.hpp"
#include "core/results.hpp"
#include "policy/policy.hpp"
#include "tools/build_info.hpp"
#include "tools/commands.hpp"

namespace spritesim {

int exit_status_of(const std::exception_ptr& e)
{
  try {
    std::rethrow_exception(e);
  } catch (const UsageError&) {
    return EXIT_USAGE;
  } catch (const InputError&) {
    return EXIT_BAD_INPUT;
  } catch (const InvariantViolation&) {
    return EXIT_INVALID_RUN;
  } catch (const PolicyFailure&) {
    return EXIT_BAD_INPUT; // an external policy's process that broke the protocol: a peer's bad input
  } catch (const std::runtime_error&) {
    return EXIT_RUN_FAILED;
  } catch (...) {
    return EXIT_INTERNAL_ERROR;
  }
}

int run_verb(const std::string& program, const std::function<int()>& verb)
{
  try {
    return verb();
  } catch (...) {
    std::exception_ptr e = std::current_exception();
    int status = exit_status_of(e);
    std::string what = "an exception that is not a std::exception";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      what = x.what();
    } catch (...) {
    }
    fmt::print(stderr, "{}: {}: {}{}\n", program, status == EXIT_USAGE ? "usage error" : "error", what,
               status == EXIT_INTERNAL_ERROR ? " (an internal error: please report it)" : "");
    return status;
  }
}

void reject_argument(const std::string& command, const std::string& arg, const std::string& hint)
{
  bool option = arg.size() > 1 && arg[0] == '-';
  throw UsageError(fmt::format("{} \"{}\"{} (see {} --help)", option ? "unknown option" : "unexpected argument", arg,
                               hint.empty() ? "" : "; " + hint, command));
}

const std::string& option_value(const std::vector<std::string>& args, size_t& i, const std::string& command)
{
  if (i + 1 >= args.size())
    throw UsageError(fmt::format("{} needs a value (see {} --help)", args[i], command));
  return args[++i];
}

std::string version_line(const std::string& program, const std::string& simgrid)
{
  return fmt::format("{} {} (git {}), {}", program, SPRITESIM_VERSION_TEXT, SPRITESIM_GIT_COMMIT, simgrid);
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
