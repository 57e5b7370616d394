// Differentiable convolution (no bias) followed by 2-D batch normalisation, optionally with a
// residual add and a ReLU — the conv-BN(-ReLU) unit of the ResNet encoders and the smp decoders:
//   conv2d_batch_norm(x, ...) = act(batch_norm2d(conv2d(x, conv_weight), ...) [+ residual])
// with act = ReLU when `relu` (a residual needs it), else the identity. The semantics, checks and
// running-statistics update are those of conv2d and batch_norm2d / batch_norm_relu
// (engine/ops/conv2d.h, engine/ops/batch_norm.h, engine/ops/batch_norm_relu.h); the result equals
// the composition. What changes is where the work happens (kernels/conv2d_batch_norm.h):
//  * training: the convolution also produces its output's batch statistics, so that with
//    --conv_bn_fusion cuDNN's statistics epilogue replaces batch norm's statistics pass; the
//    normalisation (+ add + ReLU) and every backward are batch norm's and conv2d's own.
//  * eval without gradients (validation, evaluate, predict): one kernel for conv + BN (+ add) +
//    ReLU, fused by cuDNN with --conv_bn_fusion. In eval with gradients, the composed ops.
#pragma once

#include "engine/ops/conv2d.h"
#include "engine/tensor.h"

namespace cromss {

Tensor conv2d_batch_norm(const Tensor& x, const Tensor& conv_weight, const Conv2dParams& p,
                         const Tensor& bn_weight, const Tensor& bn_bias, Tensor& running_mean,
                         Tensor& running_var, bool training, bool relu,
                         const Tensor& residual = Tensor(), double momentum = 0.1,
                         double eps = 1e-5);

}  // namespace cromss
