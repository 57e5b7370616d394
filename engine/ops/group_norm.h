// Differentiable group normalisation of [N, C, ...] (FPN decoder), PyTorch semantics: statistics
// per (sample, group) over C/G channels and H x W, biased variance, then per-channel affine. A 4-D
// x may be NCHW or NHWC (channels_last); y and x's gradient come in x's format.
// weight and bias are f32 for f32/bf16/f16 inputs and f64 for f64 inputs.
#pragma once

#include <cstdint>

#include "engine/tensor.h"

namespace cromss {

Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias,
                  double eps = 1e-5);

}  // namespace cromss
