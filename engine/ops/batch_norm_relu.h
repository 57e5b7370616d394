// Differentiable fused batch norm + ReLU and batch norm + residual add + ReLU:
//   batch_norm_relu(x, ...)           = relu(batch_norm2d(x, ...))
//   batch_norm_relu(x, ..., residual) = relu(batch_norm2d(x, ...) + residual)
// with batch_norm2d's semantics, checks and running-statistics update (engine/ops/batch_norm.h),
// in one forward pass and batch norm's two backward passes (kernels/batch_norm_relu.h) instead
// of three separate ops. Gradients flow to x, weight, bias and residual. residual, when given,
// has x's shape, dtype, device and memory format (NCHW or NHWC); outputs and input gradients
// come in x's format.
#pragma once

#include "engine/tensor.h"

namespace cromss {

Tensor batch_norm_relu(const Tensor& x, const Tensor& weight, const Tensor& bias,
                       Tensor& running_mean, Tensor& running_var, bool training,
                       const Tensor& residual = Tensor(), double momentum = 0.1, double eps = 1e-5);

}  // namespace cromss
