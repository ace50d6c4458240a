// Synthetic compile DAGs (see synthetic_builds.hpp). Library sizes and compile costs are lognormal draws from
// mt19937_64 bits through our own Box-Muller, so outputs do not depend on the standard library's distributions.
#include "workloads/synthetic_builds.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>
#include "core/random.hpp"

#include "workloads/paper_builds.hpp"

namespace spritesim {

namespace {

// A lognormal factor with mean 1 and coefficient of variation cv (1 when cv is 0).
double lognormal_factor(std::mt19937_64& rng, double cv)
{
  if (cv <= 0)
    return 1.0;
  double sigma = std::sqrt(std::log1p(cv * cv));
  double z = std::sqrt(-2 * std::log(uniform01(rng))) * std::cos(2 * M_PI * uniform01(rng));
  return std::exp(sigma * z - sigma * sigma / 2);
}

// Compiles per library: every library gets one, the rest go out in proportion to lognormal weights (largest
// remainders break the rounding), so the sizes add up to N exactly.
std::vector<int64_t> library_sizes(const SyntheticBuild& s, std::mt19937_64& rng)
{
  auto m = static_cast<size_t>(s.libraries);
  std::vector<double> weight(m);
  double total = 0;
  for (auto& w : weight)
    total += (w = lognormal_factor(rng, s.library_size_cv));
  int64_t spare = s.compiles - s.libraries;
  std::vector<int64_t> size(m, 1);
  std::vector<std::pair<double, size_t>> remainder;
  int64_t given = 0;
  for (size_t l = 0; l < m; ++l) {
    double share = static_cast<double>(spare) * weight[l] / total;
    auto whole = static_cast<int64_t>(std::floor(share));
    size[l] += whole;
    given += whole;
    remainder.emplace_back(share - static_cast<double>(whole), l);
  }
  std::sort(remainder.begin(), remainder.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (size_t k = 0; given < spare; ++k, ++given)
    size[remainder[k % m].second] += 1;
  return size;
}

} // namespace

int64_t synthetic_job_count(const SyntheticBuild& s) { return s.compiles + s.libraries + 1; }

BuildTrace synthetic_build_header(const SyntheticBuild& s, uint64_t seed)
{
  if (s.compiles < 1 || s.libraries < 1 || s.libraries > s.compiles)
    throw std::invalid_argument(fmt::format("a synthetic build needs 1 <= libraries <= compiles (got {} libraries, "
                                            "{} compiles)",
                                            s.libraries, s.compiles));
  if (s.compile_cpu_mean_s < 0 || s.compile_cpu_cv < 0 || s.library_size_cv < 0 || s.compile_lookups < 0 ||
      s.object_bytes_mean < 0 || s.link_cpu_per_object_s < 0 || s.scan_cpu_per_file_s < 0)
    throw std::invalid_argument("synthetic build costs must not be negative");
  BuildTrace t;
  t.name = s.name;
  t.reference_profile = s.reference_profile;
  t.source = fmt::format("spritesim trace generate synthetic (seed {}, {} compiles in {} libraries, compile CPU mean "
                         "{} s cv {}, library size cv {})",
                         seed, s.compiles, s.libraries, s.compile_cpu_mean_s, s.compile_cpu_cv, s.library_size_cv);
  t.tool.scan_cpu_s = s.scan_cpu_per_file_s * static_cast<double>(s.compiles);
  t.tool.scan_lookups = 3 * s.compiles; // as the paper builds: each source, its object and about one header
  t.tool.job_cpu_s = pmake_kernel_job_cpu_s(1.0); // no prerequisites recorded: all of it per job
  t.tool.job_lookups = PMAKE_JOB_LOOKUPS;
  t.tool.exec_arg_bytes = 1024;
  t.tool.script_bytes = 1024;
  return t;
}

void generate_synthetic_build(const SyntheticBuild& s, uint64_t seed, const std::function<void(const TraceJob&)>& emit)
{
  synthetic_build_header(s, seed); // validates
  std::mt19937_64 rng(seed);
  std::vector<int64_t> sizes = library_sizes(s, rng);
  std::vector<std::string> libraries;
  int64_t file = 0;
  TraceJob job;
  for (size_t l = 0; l < sizes.size(); ++l) {
    std::string dir = fmt::format("lib{:04d}", l + 1);
    std::vector<std::string> objects;
    objects.reserve(static_cast<size_t>(sizes[l]));
    int64_t library_bytes = 0;
    for (int64_t k = 0; k < sizes[l]; ++k, ++file) {
      double f = lognormal_factor(rng, s.compile_cpu_cv);
      job = TraceJob{};
      job.id = fmt::format("{}/f{:07d}.o", dir, file + 1);
      job.kind = "compile";
      job.argv = {"cc", "-c", fmt::format("f{:07d}.c", file + 1)};
      job.cwd = dir;
      job.cpu_s = s.compile_cpu_mean_s * f;
      job.lookups = s.compile_lookups;
      job.files_opened = PMAKE_CHILD_OPEN_FILES;
      job.bytes_written = std::llround(static_cast<double>(s.object_bytes_mean) * f);
      library_bytes += job.bytes_written;
      objects.push_back(job.id);
      emit(job);
    }
    job = TraceJob{};
    job.id = dir + "/" + dir + ".a";
    job.kind = "link";
    job.argv = {"ar", "rc", dir + ".a"};
    job.cwd = dir;
    job.cpu_s = s.link_cpu_per_object_s * static_cast<double>(sizes[l]);
    job.lookups = sizes[l] + 10;
    job.files_opened = PMAKE_CHILD_OPEN_FILES;
    job.bytes_written = library_bytes;
    job.reads_dep_outputs = true;
    job.deps = std::move(objects);
    libraries.push_back(job.id);
    emit(job);
  }
  job = TraceJob{};
  job.id = s.name;
  job.kind = "link";
  job.argv = {"cc", "-o", s.name};
  job.cpu_s = s.link_cpu_per_object_s * static_cast<double>(libraries.size());
  job.lookups = static_cast<int64_t>(libraries.size()) + 10;
  job.files_opened = PMAKE_CHILD_OPEN_FILES;
  job.reads_dep_outputs = true;
  job.deps = std::move(libraries);
  emit(job);
}

} // namespace spritesim
