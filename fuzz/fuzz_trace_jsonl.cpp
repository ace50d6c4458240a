// libFuzzer harness: build traces in JSON Lines (a header line, then one job per line), read as load_trace_file
// streams them; the trace written back as JSON Lines must read again. Only InputError is an acceptable failure.
#include <sstream>

#include "core/input_error.hpp"
#include "fuzz/fuzz_support.hpp"
#include "workloads/trace_jsonl.hpp"
#include "workloads/trace_stats.hpp"

using namespace spritesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  std::istringstream in(fuzz::text_of(data, size));
  const std::string file = "fuzz/trace.jsonl";
  BuildTrace trace;
  try {
    trace = read_trace_jsonl(in, file);
  } catch (const InputError&) {
    return 0;
  }
  trace_stats(trace);
  std::istringstream again(trace_to_jsonl(trace));
  try {
    read_trace_jsonl(again, file);
  } catch (const InputError& e) {
    fuzz::invariant_broken(std::string("a parsed trace written back does not read: ") + e.what());
  }
  return 0;
}
