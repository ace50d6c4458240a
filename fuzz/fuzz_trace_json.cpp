// libFuzzer harness: build traces as one JSON document (`spritesim trace info T.json`, a pmake run's trace). The
// trace is parsed with the job lines the loader finds, its statistics computed on the DAG, and what it writes back
// must parse again. Only InputError is an acceptable failure.
#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "fuzz/fuzz_support.hpp"
#include "workloads/trace.hpp"
#include "workloads/trace_stats.hpp"

using namespace spritesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  std::string text = fuzz::text_of(data, size);
  const std::string file = "fuzz/trace.json";
  BuildTrace trace;
  try {
    std::vector<int64_t> lines = find_job_lines(text);
    trace = parse_trace(parse_json_text(text, file), file, &lines);
  } catch (const InputError&) {
    return 0;
  }
  trace_stats(trace);
  try {
    parse_trace(parse_json_text(to_json(trace).dump(), file), file);
  } catch (const InputError& e) {
    fuzz::invariant_broken(std::string("a parsed trace written back does not parse: ") + e.what());
  }
  return 0;
}
