// Group-normalisation kernels on dense [n, c, hw] data (hw = H * W, or the product of the dims
// after C) in memory format `format` (core/memory_format.h; nhwc only for 4-D data), with
// `groups` groups of c / groups consecutive channels; statistics per (sample, group) over its
// (c / groups) * hw values. In NCHW those are one contiguous row; in NHWC a strided set: hw
// pixels of c / groups consecutive channels each (group_norm_offset below). cpu_kernels:: run
// f32/f64 with every small buffer in the same type. cuda_kernels:: take x / y / gradients in
// `dtype` (f32, f64, bf16, f16) and mean / var
// ([n * groups]), weight / bias and their gradients ([c]) in the accumulation type (f32, or f64
// when dtype is f64). var is the biased variance. weight and bias may be null (no affine).
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "core/memory_format.h"
#include "kernels/batch_norm.cuh"
#include "kernels/kernel_table.h"

namespace cromss {

// Offset of value (sample s, channel ch, pixel p) of a dense [n, c, hw] tensor in `format`.
CROMSS_HD int64_t group_norm_offset(MemoryFormat format, int64_t s, int64_t ch, int64_t p,
                                    int64_t c, int64_t hw) {
  return dense_offset(format, s, ch, p, 0, c, hw, 1);
}

CROMSS_KERNEL(group_norm_stats,
              void(const void* x, DType dtype, int64_t n, int64_t c, int64_t hw, int64_t groups,
                   MemoryFormat format, void* mean, void* var, const Context& ctx));
CROMSS_KERNEL(group_norm_forward,
              void(const void* x, const void* mean, const void* var, const void* weight,
                   const void* bias, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                   int64_t groups, MemoryFormat format, void* y, const Context& ctx));
CROMSS_KERNEL(group_norm_param_grads,
              void(const void* grad_out, const void* x, const void* mean, const void* var,
                   double eps, DType dtype, int64_t n, int64_t c, int64_t hw, int64_t groups,
                   MemoryFormat format, void* grad_weight, void* grad_bias, const Context& ctx));
CROMSS_KERNEL(group_norm_backward_x,
              void(const void* grad_out, const void* x, const void* mean, const void* var,
                   const void* weight, double eps, DType dtype, int64_t n, int64_t c, int64_t hw,
                   int64_t groups, MemoryFormat format, void* grad_x, const Context& ctx));

}  // namespace cromss
