// libFuzzer harness: sweep files (`spritesim sweep SWEEP.json`): parsed, the run matrix laid out, and the overrides
// of the first cells applied to the sweep's experiment when it is an embedded config, as load_sweep checks them.
// The file is named as if it sat in configs/sweeps/, so "../experiments/kernel-12.json" resolves as in the repo.
// Only InputError is an acceptable failure.
#include "experiments/data_files.hpp"
#include "core/experiment.hpp"
#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "experiments/sweep_spec.hpp"
#include "fuzz/fuzz_support.hpp"

using namespace spritesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  const std::string file = "configs/sweeps/fuzz.json";
  SweepSpec spec;
  try {
    spec = parse_sweep(parse_json_text(fuzz::text_of(data, size), file), file);
  } catch (const InputError&) {
    return 0;
  }
  SweepMatrix matrix = sweep_matrix(spec);
  auto experiment = embedded_file(spec.experiment_path);
  if (!experiment)
    return 0; // a file on disk: not read while fuzzing
  sweep_identity(spec);
  for (size_t c = 0; c < matrix.cells.size() && c < 4; ++c) {
    try {
      parse_experiment_text(std::string(*experiment), spec.experiment_path, sweep_cell_sets(spec, matrix.cells[c]));
    } catch (const InputError&) {
    }
  }
  return 0;
}
