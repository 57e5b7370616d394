// Counter-based random numbers: value i of stream `seed` is a pure function of (seed, i), so CPU
// and CUDA draw identical numbers (dropout masks, initialisation, synthetic data) regardless of
// thread count or launch configuration. SplitMix64 finaliser over a Weyl-sequenced counter.
#pragma once

#include <cstdint>

#include "core/hd.h"

namespace cromss {

CROMSS_HD uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

CROMSS_HD uint64_t random_bits(uint64_t seed, uint64_t index) {
  return mix64(mix64(seed + 0x9e3779b97f4a7c15ull) ^
               (index * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull));
}

// Uniform in [0, 1) with 24 (float) or 53 (double) random bits.
CROMSS_HD float uniform_float(uint64_t seed, uint64_t index) {
  return static_cast<float>(random_bits(seed, index) >> 40) * (1.0f / 16777216.0f);
}
CROMSS_HD double uniform_double(uint64_t seed, uint64_t index) {
  return static_cast<double>(random_bits(seed, index) >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace cromss
