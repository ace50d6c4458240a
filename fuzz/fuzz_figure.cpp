// libFuzzer harness: reproduction figure files (configs/reproduction/*.json, experiments/figure.hpp): a sweep file
// plus figure keys. The figure's run matrix is laid out and the overrides of its first cells applied to the
// figure's experiment when it is an embedded config, as `spritesim reproduce` checks them before running them.
// Only InputError is an acceptable failure.
#include "experiments/data_files.hpp"
#include "core/experiment.hpp"
#include "core/input_error.hpp"
#include "core/json_reader.hpp"
#include "fuzz/fuzz_support.hpp"
#include "experiments/figure.hpp"

using namespace spritesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  const std::string file = "configs/reproduction/fuzz.json";
  Figure figure;
  try {
    figure = parse_figure(parse_json_text(fuzz::text_of(data, size), file), file);
  } catch (const InputError&) {
    return 0;
  }
  SweepMatrix matrix = sweep_matrix(figure.sweep);
  auto experiment = embedded_file(figure.sweep.experiment_path);
  if (!experiment)
    return 0; // a file on disk: not read while fuzzing
  // Each cell re-parses the experiment; a few show the overrides are handled.
  for (size_t c = 0; c < matrix.cells.size() && c < 4; ++c) {
    try {
      parse_experiment_text(std::string(*experiment), figure.sweep.experiment_path,
                            sweep_cell_sets(figure.sweep, matrix.cells[c]));
    } catch (const InputError&) {
    }
  }
  return 0;
}
