// Softmax / log-softmax along the middle axis of a contiguous [outer, C, inner] tensor, and the
// backward from the saved output. Math in kernels/softmax.cuh. cpu_kernels:: run f32/f64;
// cuda_kernels:: run f32, f64, bf16 and f16 with fp32 accumulation.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/kernel_table.h"
#include "kernels/softmax.cuh"

namespace cromss {

CROMSS_KERNEL(softmax_forward, void(const void* x, void* y, DType dtype, int64_t outer,
                                    int64_t channels, int64_t inner, bool log, const Context& ctx));
CROMSS_KERNEL(softmax_backward,
              void(const void* grad_out, const void* y, void* grad_in, DType dtype, int64_t outer,
                   int64_t channels, int64_t inner, bool log, const Context& ctx));

}  // namespace cromss
