// Portable randomness: std::mt19937_64 is specified bit for bit by the standard, but std:: distributions are not,
// so every draw goes through these helpers and outputs stay byte-identical across standard libraries.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace spritesim {

/// splitmix64: spreads (seed, stream) pairs into unrelated generator seeds.
inline uint64_t mix_seed(uint64_t x)
{
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// A generator for one named stream of one seed.
inline std::mt19937_64 stream_rng(uint64_t seed, uint64_t stream) { return std::mt19937_64(mix_seed(seed ^ mix_seed(stream + 1))); }

/// Uniform in (0, 1), never 0 or 1: 53 random bits, centred in their cell.
inline double uniform01(std::mt19937_64& rng) { return (static_cast<double>(rng() >> 11) + 0.5) / 9007199254740992.0; }

/// Exponential with the given mean.
inline double exponential(std::mt19937_64& rng, double mean) { return -mean * std::log(uniform01(rng)); }

/// Uniform integer in [lo, hi].
inline int64_t uniform_int(std::mt19937_64& rng, int64_t lo, int64_t hi)
{
  return lo + static_cast<int64_t>(uniform01(rng) * static_cast<double>(hi - lo + 1));
}

} // namespace spritesim
