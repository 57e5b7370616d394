// The CUDA passes behind batch norm and fused batch norm + (add +) ReLU (kernels/batch_norm.h,
// kernels/batch_norm_relu.h), defined in kernels/cuda/batch_norm.cu (the channels-last
// reductions in kernels/cuda/batch_norm_channels_last.cu). Buffers, dtypes and the ChannelView
// as in kernels/batch_norm.h; optional buffers are null:
//   apply:        y = [relu](weight * (x - mean) * invstd + bias [+ residual])
//   channel_sums: per-channel sums of dy and dy * xhat, with dy = relu_backward(grad_out, y)
//                 when `relu_out` (the forward's output) is given, else grad_out
//   backward_x:   grad_x from dy (masked likewise); grad_residual = dy when asked for.
// The *_channels_last reductions take the data as a row-major [rows, c] matrix (NHWC with
// rows = N*H*W, or NCHW with H = W = 1); the ChannelView entries call them when inner == 1.
#pragma once

#include <cstdint>

#include "core/context.h"
#include "core/dtype.h"
#include "core/memory_format.h"

namespace cromss::cuda_kernels::batch_norm_passes {

void apply(const void* x, const void* residual, const void* mean, const void* var,
           const void* weight, const void* bias, double eps, bool relu, DType dtype, ChannelView v,
           void* y, const Context& ctx);

void channel_sums(const void* grad_out, const void* relu_out, const void* x, const void* mean,
                  const void* var, double eps, DType dtype, ChannelView v, void* sum_g,
                  void* sum_g_xhat, const Context& ctx);

void backward_x(const void* grad_out, const void* relu_out, const void* x, const void* mean,
                const void* var, const void* weight, const void* sum_g, const void* sum_g_xhat,
                double eps, bool training, DType dtype, ChannelView v, void* grad_x,
                void* grad_residual, const Context& ctx);

void stats_channels_last(const void* x, DType dtype, int64_t rows, int64_t c, void* mean, void* var,
                         const Context& ctx);

void channel_sums_channels_last(const void* grad_out, const void* relu_out, const void* x,
                                const void* mean, const void* var, double eps, DType dtype,
                                int64_t rows, int64_t c, void* sum_g, void* sum_g_xhat,
                                const Context& ctx);

}  // namespace cromss::cuda_kernels::batch_norm_passes
