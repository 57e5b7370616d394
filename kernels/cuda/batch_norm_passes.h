// The CUDA passes behind batch norm and fused batch norm + (add +) ReLU (kernels/batch_norm.h,
// kernels/batch_norm_relu.h), defined in kernels/cuda/batch_norm.cu. Buffers and dtypes as in
// kernels/batch_norm.h; optional buffers are null:
//   apply:        y = [relu](weight * (x - mean) * invstd + bias [+ residual])
//   channel_sums: per-channel sums of dy and dy * xhat, with dy = relu_backward(grad_out, y)
//                 when `relu_out` (the forward's output) is given, else grad_out
//   backward_x:   grad_x from dy (masked likewise); grad_residual = dy when asked for.
#pragma once

#include <cstdint>

#include "core/context.h"
#include "core/dtype.h"

namespace cromss::cuda_kernels::batch_norm_passes {

void apply(const void* x, const void* residual, const void* mean, const void* var,
           const void* weight, const void* bias, double eps, bool relu, DType dtype, int64_t n,
           int64_t c, int64_t hw, void* y, const Context& ctx);

void channel_sums(const void* grad_out, const void* relu_out, const void* x, const void* mean,
                  const void* var, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                  void* sum_g, void* sum_g_xhat, const Context& ctx);

void backward_x(const void* grad_out, const void* relu_out, const void* x, const void* mean,
                const void* var, const void* weight, const void* sum_g, const void* sum_g_xhat,
                double eps, bool training, DType dtype, int64_t n, int64_t c, int64_t hw,
                void* grad_x, void* grad_residual, const Context& ctx);

}  // namespace cromss::cuda_kernels::batch_norm_passes
