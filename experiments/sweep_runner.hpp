// Running a sweep (docs/sweeps.md): the matrix's runs as `spritesim run` children through the job pool, resumable
// (finished runs are kept) and shardable, each shared sequential baseline simulated once beforehand; then sweep.csv
// and sweep-summary.csv from the runs' results.json files. Shards' folders merge into one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "experiments/sweep_spec.hpp"

namespace spritesim {

class JobPool;
struct PoolJob;

struct SweepRequest {
  std::string sweep_file;
  std::string out; ///< sweeps/NAME when empty
  int jobs = 2;
  int64_t shard = 1, shards = 1;
  std::vector<std::string> merge; ///< with `merging`: folders whose finished runs are copied in
  bool merging = false;
};

/// The `sweep` verb: runs (or merges) and writes the tables. Returns the exit status: 0, 1 when a run failed or
/// (merging) some are missing, 128 + signal when stopped.
int run_sweep(const SweepRequest& req);

/// The runs of a sweep folder still to make.
struct SweepTodo {
  SweepMatrix matrix;
  size_t mine = 0;          ///< runs of the shard
  std::vector<size_t> runs; ///< indices (into matrix.runs) of those without a results.json yet
};

/// Lays out the sweep folder `out` (sweep.json written, or checked against this sweep as in docs/sweeps.md, else a
/// runtime_error) and lists the runs of shard `shard` of `shards` it lacks.
SweepTodo sweep_todo(const SweepSpec& spec, const std::string& out, int64_t shard = 1, int64_t shards = 1);

/// Called as each run of sweep_jobs ends: whether it succeeded (exit 0 and a results.json), its exit code, seconds.
using SweepRunDone = std::function<void(const SweepRun& run, bool ok, int code, double seconds)>;

/// One pool job per run of `todo`: `spritesim run` into OUT/runs/CELL/seed-S (emptied first), log in its run.log.
/// The sequential baselines those runs share are simulated first, through `pool`, into OUT/baselines/; nothing is
/// returned when the pool was stopped meanwhile. The jobs may go into one pool run with other work (reproduce).
std::vector<PoolJob> sweep_jobs(const SweepSpec& spec, const SweepTodo& todo, const std::string& out, JobPool& pool,
                                const SweepRunDone& done);

/// Runs the matrix's runs that `out` lacks (all of them, for a shard: those of the shard) through `pool`, with
/// progress on stderr, then writes the tables. Returns how many runs failed; the pool says whether it was stopped
/// (then the tables are not written).
size_t run_sweep_matrix(const SweepSpec& spec, const std::string& out, JobPool& pool, int64_t shard = 1,
                        int64_t shards = 1);

/// Writes sweep.csv and sweep-summary.csv from every finished run; returns how many runs are not finished.
size_t write_sweep_tables(const SweepSpec& spec, const SweepMatrix& m, const std::string& out);

} // namespace spritesim
