// libFuzzer harness: hardware profiles (models/profiles/*.json, or a file given as platform.profile), parsed for
// either role as load_profile does. Only InputError is an acceptable failure.
#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "fuzz/fuzz_support.hpp"
#include "models/profile.hpp"

using namespace spritesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  const std::string file = "fuzz/profile.json";
  try {
    parse_profile(parse_json_text(fuzz::text_of(data, size), file), file, "");
  } catch (const InputError&) {
  }
  return 0;
}
