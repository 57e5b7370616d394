// Group-normalisation kernels on contiguous NCHW data viewed as [n, c, hw] with `groups` groups
// of c / groups consecutive channels; statistics per (sample, group), i.e. per contiguous row of
// (c / groups) * hw values. cpu_kernels:: run f32/f64 with every small buffer in the same type.
// cuda_kernels:: take x / y / gradients in `dtype` (f32, f64, bf16, f16) and mean / var
// ([n * groups]), weight / bias and their gradients ([c]) in the accumulation type (f32, or f64
// when dtype is f64). var is the biased variance. weight and bias may be null (no affine).
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/batch_norm.cuh"
#include "kernels/kernel_table.h"

namespace cromss {

CROMSS_KERNEL(group_norm_stats, void(const void* x, DType dtype, int64_t n, int64_t c, int64_t hw,
                                     int64_t groups, void* mean, void* var, const Context& ctx));
CROMSS_KERNEL(group_norm_forward,
              void(const void* x, const void* mean, const void* var, const void* weight,
                   const void* bias, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                   int64_t groups, void* y, const Context& ctx));
CROMSS_KERNEL(group_norm_param_grads,
              void(const void* grad_out, const void* x, const void* mean, const void* var,
                   double eps, DType dtype, int64_t n, int64_t c, int64_t hw, int64_t groups,
                   void* grad_weight, void* grad_bias, const Context& ctx));
CROMSS_KERNEL(group_norm_backward_x,
              void(const void* grad_out, const void* x, const void* mean, const void* var,
                   const void* weight, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                   int64_t groups, void* grad_x, const Context& ctx));

}  // namespace cromss
