// InputError's message formatting (see input_error.hpp).
#include "core/input_error.hpp"

namespace spritesim {

static std::string compose(const std::string& file, const std::string& where, const std::string& message)
{
  std::string s = file.empty() ? std::string("<input>") : file;
  if (!where.empty())
    s += ": at " + where;
  return s + ": " + message;
}

InputError::InputError(const std::string& file, const std::string& where, const std::string& message)
    : std::runtime_error(compose(file, where, message)), file_(file), where_(where), message_(message)
{
}

} // namespace spritesim
