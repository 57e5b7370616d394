// Differentiable group normalisation of NCHW (FPN decoder), PyTorch semantics: statistics per
// (sample, group) over C/G channels and H x W, biased variance, then per-channel affine.
// weight and bias are f32 for f32/bf16/f16 inputs and f64 for f64 inputs.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace cromss {

Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps = 1e-5);

}  // namespace cromss
