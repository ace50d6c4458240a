// libFuzzer harness: reproduction figure files (configs/reproduction/*.json, tools/reproduction.hpp). Each point's
// overrides are applied to the figure's experiment when it is an embedded config, as `spritesim reproduce` does
// before running it. Only InputError is an acceptable failure.
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
  auto experiment = embedded_file(figure.experiment);
  if (!experiment)
    return 0; // a file on disk: not read while fuzzing
  size_t tried = 0;
  for (const FigurePoint& p : figure.points) {
    if (++tried > 4)
      break; // each point re-parses the experiment; a few show the overrides are handled
    try {
      parse_experiment_text(std::string(*experiment), figure.experiment, p.sets);
    } catch (const InputError&) {
    }
  }
  return 0;
}
