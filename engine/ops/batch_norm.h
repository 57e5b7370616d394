// Differentiable 2-D batch normalisation over (N, H, W) per channel, PyTorch semantics. x is
// (N, C, H, W), dense NCHW or NHWC (channels_last); y and x's gradient come in x's format.
// Training: normalise with the batch mean and biased variance, and update the running stats in
// place: running = (1 - momentum) * running + momentum * batch, using the unbiased variance
// (n/(n-1)) for running_var. Eval: normalise with the running stats.
// weight, bias and running stats are f32 when x is f32/bf16/f16 (DESIGN.md: BN statistics and
// affine parameters stay fp32) and f64 when x is f64. Gradients flow to x, weight and bias.
#pragma once

#include "engine/tensor.h"

namespace cromss {

Tensor batch_norm2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
                    Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

}  // namespace cromss
