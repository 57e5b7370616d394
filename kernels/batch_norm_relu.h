// Fused batch norm + ReLU and batch norm + residual add + ReLU (ResNet blocks):
//   y = relu(weight * (x - mean) * invstd + bias [+ residual])
// in one pass instead of three, and the backward through all three in the passes of batch
// norm's backward (the ReLU mask is applied where the gradient is read). Buffers, dtypes and
// statistics as in kernels/batch_norm.h (mean / var come from batch_norm_stats, or are the
// running statistics in eval); `residual` and `grad_residual` may be null (no residual). In the
// backward kernels `y` may be null: no ReLU mask, dy = grad_out (plain batch norm's backward,
// which the CPU reference of kernels/batch_norm.h runs through these).
//   channel_sums: per-channel sums of dy and dy * xhat, dy = relu_backward(grad_out, y)
//   backward_x:   grad_x from dy as batch_norm_backward_x; grad_residual = dy
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "core/memory_format.h"
#include "kernels/batch_norm.cuh"
#include "kernels/elementwise.cuh"
#include "kernels/kernel_table.h"

namespace cromss {

CROMSS_KERNEL(batch_norm_relu_forward,
              void(const void* x, const void* residual, const void* mean, const void* var,
                   const void* weight, const void* bias, double eps, DType dtype, ChannelView v,
                   void* y, const Context& ctx));
CROMSS_KERNEL(batch_norm_relu_channel_sums,
              void(const void* grad_out, const void* y, const void* x, const void* mean,
                   const void* var, double eps, DType dtype, ChannelView v, void* sum_g,
                   void* sum_g_xhat, const Context& ctx));
CROMSS_KERNEL(batch_norm_relu_backward_x,
              void(const void* grad_out, const void* y, const void* x, const void* mean,
                   const void* var, const void* weight, const void* sum_g, const void* sum_g_xhat,
                   double eps, bool training, DType dtype, ChannelView v, void* grad_x,
                   void* grad_residual, const Context& ctx));

}  // namespace cromss
