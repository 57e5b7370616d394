// A seeded random label prior for the objective tests (CPU gradient checks, CUDA parity): a valid
// (B, C, H, W) prior, i.e. positive everywhere and summing to 1 over classes at every pixel.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace cromss::test {

// Uniform [lo, 1) values in `dtype` (lo > 0), renormalised per pixel in double, returned in dtype.
Tensor random_prior(int64_t B, int64_t C, int64_t H, int64_t W, double lo, uint64_t seed,
                    DType dtype);

}  // namespace cromss::test
