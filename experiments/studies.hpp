// Two policy studies set beside their published claims (docs/studies.md): Harchol-Balter & Downey's preemptive,
// lifetime-based migration against remote execution only, and Eager, Lazowska & Zahorjan's claim that migrating
// active processes adds little to placement at exec time. The sweeps are embedded (configs/studies/), so a bare
// binary runs them; `spritesim reproduce` appends the section this returns to its report.
#pragma once

#include <string>

namespace spritesim {

class JobPool;

/// Runs the studies' sweeps (through `pool`) into OUT_DIR/studies/NAME/,
/// writes OUT_DIR/studies/studies-cells.csv and studies-gains.csv, draws OUT_DIR/studies/NAME.png|svg with the
/// embedded analysis/plot_study.py, and returns the markdown section "## Policy studies": tables of mean ± 95% CI
/// per cell, the published claims beside them, figure links relative to OUT_DIR, and where we agree or differ.
/// A failed run or figure is reported in the section and failed runs are added to `failed_runs` (the caller fails
/// once its report is written); when the pool is stopped, returns "". In the quick
/// form (below) the sweeps run reduced (2 seeds, 600 s of arrivals) into OUT_DIR/studies/quick-NAME/.
std::string run_studies(const std::string& out_dir, JobPool& pool, size_t& failed_runs);

/// Whether SPRITESIM_REPRODUCE_QUICK=1 is in the environment: the reduced reproduction the test suite runs (the
/// studies reduced, the month-long run cut to its first week; docs/studies.md).
bool quick_reproduction();

} // namespace spritesim
