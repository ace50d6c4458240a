// libFuzzer harness: owner traces (CSV `host,start_s,end_s,cpu_share`, an experiment's owners.trace), parsed and
// mapped onto a four-workstation cluster as a run does. Only InputError is an acceptable failure.
#include "core/input_error.hpp"
#include "fuzz/fuzz_support.hpp"
#include "models/owner_activity.hpp"

using namespace spritesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  const std::string file = "fuzz/owners.csv";
  try {
    auto trace = parse_owner_trace(fuzz::text_of(data, size), file);
    owner_periods_by_host(trace, {"ws00", "ws01", "ws02", "ws03"}, file);
  } catch (const InputError&) {
  }
  return 0;
}
