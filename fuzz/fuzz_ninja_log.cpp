// libFuzzer harness: `spritesim trace import-ninja .ninja_log --deps DEPS --graph GRAPH`. Input: the log, then
// NUL-separated `ninja -t deps` and `ninja -t graph` texts. The imported trace must survive being written as JSON
// (ninja's paths are bytes, a trace's strings UTF-8) and parse back. Only InputError is an acceptable failure.
#include <sstream>

#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "fuzz/fuzz_support.hpp"
#include "workloads/ninja_log.hpp"
#include "workloads/trace.hpp"

using namespace spritesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  std::vector<std::string> parts = fuzz::split_parts(fuzz::text_of(data, size), 3);
  NinjaImportOptions opt;
  opt.deps_text = parts[1];
  opt.deps_file = "fuzz/deps.txt";
  opt.graph_text = parts[2];
  opt.graph_file = "fuzz/graph.dot";
  std::istringstream log(parts[0]);
  BuildTrace trace;
  try {
    trace = import_ninja_log(log, "fuzz/.ninja_log", opt);
  } catch (const InputError&) {
    return 0;
  }
  try {
    parse_trace(parse_json_text(to_json(trace).dump(), "fuzz/t.json"), "fuzz/t.json");
  } catch (const std::exception& e) {
    fuzz::invariant_broken(std::string("an imported trace does not write and parse back: ") + e.what());
  }
  return 0;
}
