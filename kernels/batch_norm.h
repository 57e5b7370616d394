// Batch-normalisation kernels on dense NCHW or NHWC data seen through its ChannelView
// (core/memory_format.h: element (o, ch, i) at (o * C + ch) * inner + i; NCHW is (N, C, H*W), NHWC
// (N*H*W, C, 1)); statistics per channel over v.per_channel() = N * H * W values. cpu_kernels:: run
// f32/f64 with every per-channel buffer in the same type. cuda_kernels:: take x / y / gradients in
// `dtype` (f32, f64, bf16, f16) and every per-channel buffer (mean, var, weight, bias, running
// stats, sums) in the accumulation type: f32, or f64 when dtype is f64. `var` is always the biased
// variance used for normalisation. weight and bias may be null (no affine: weight 1, bias 0).
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "core/memory_format.h"
#include "kernels/batch_norm.cuh"
#include "kernels/kernel_table.h"

namespace cromss {

CROMSS_KERNEL(batch_norm_stats, void(const void* x, DType dtype, ChannelView v, void* mean,
                                     void* var, const Context& ctx));
CROMSS_KERNEL(batch_norm_update_running,
              void(const void* mean, const void* var, DType dtype, int64_t c, int64_t count,
                   double momentum, void* running_mean, void* running_var, const Context& ctx));
CROMSS_KERNEL(batch_norm_forward, void(const void* x, const void* mean, const void* var,
                                       const void* weight, const void* bias, double eps,
                                       DType dtype, ChannelView v, void* y, const Context& ctx));
CROMSS_KERNEL(batch_norm_channel_sums, void(const void* grad_out, const void* x, const void* mean,
                                            const void* var, double eps, DType dtype, ChannelView v,
                                            void* sum_g, void* sum_g_xhat, const Context& ctx));
CROMSS_KERNEL(batch_norm_backward_x,
              void(const void* grad_out, const void* x, const void* mean, const void* var,
                   const void* weight, const void* sum_g, const void* sum_g_xhat, double eps,
                   bool training, DType dtype, ChannelView v, void* grad_x, const Context& ctx));

}  // namespace cromss
