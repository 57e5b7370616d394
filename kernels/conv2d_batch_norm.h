// A convolution followed by batch normalisation as one kernel call, so that a backend able to fuse
// the two (cuDNN's graph API on CUDA, kernels/cuda/cudnn_fused_conv.h) can, and every other runs
// the same computation in steps:
//   conv2d_forward_batch_stats:  y = conv(x, w) (no bias) and the batch statistics of y per
//     output channel over N * OH * OW values — mean and biased variance, exactly what
//     batch_norm_stats(y) gives (kernels/batch_norm.h) — for training-mode batch norm.
//   conv2d_batch_norm_inference: y = relu?(weight * (conv(x, w) - mean) * invstd + bias
//     [+ residual]) with the running statistics (eval), i.e. conv + BN + residual + ReLU.
// Geometry, layouts and dtypes as kernels/conv2d.h (x, w, y, residual in `dtype`); per-channel
// buffers (mean, var, weight, bias) in the accumulation type as kernels/batch_norm.h (f32, or
// f64 for f64 data); weight, bias and residual may be null. cpu_kernels:: are the convolution
// and batch-norm references run one after the other. cuda_kernels:: fuse when conv_bn_fusion()
// is on (core/conv_bn_fusion.h) and cuDNN has an engine for the graph, else they too run the two
// steps.
#pragma once

#include "core/dtype.h"
#include "core/memory_format.h"
#include "kernels/conv2d.cuh"
#include "kernels/kernel_table.h"

namespace cromss {

CROMSS_KERNEL(conv2d_forward_batch_stats,
              void(const Conv2dGeometry& g, const void* x, const void* weight, void* y, void* mean,
                   void* var, DType dtype, const Context& ctx));
CROMSS_KERNEL(conv2d_batch_norm_inference,
              void(const Conv2dGeometry& g, const void* x, const void* weight, const void* mean,
                   const void* var, const void* bn_weight, const void* bn_bias, double eps,
                   const void* residual, bool relu, void* y, DType dtype, const Context& ctx));

// The convolution's output seen per channel (kernels/batch_norm.h's view of y).
inline ChannelView conv2d_output_channels(const Conv2dGeometry& g) {
  return channel_view(g.format, g.n, g.k, g.oh * g.ow);
}

}  // namespace cromss
