// Elementwise kernels on contiguous buffers of n elements: binary (add/sub/mul), scale, in-place
// accumulate, relu and its backward. cpu_kernels:: run f32/f64; cuda_kernels:: run f32, f64, bf16
// and f16 with fp32 accumulation.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/elementwise.cuh"
#include "kernels/kernel_table.h"

namespace cromss {

CROMSS_KERNEL(binary, void(BinaryOp op, const void* a, const void* b, void* out, DType dtype,
                           int64_t n, const Context& ctx));
CROMSS_KERNEL(scale, void(const void* x, double alpha, void* out, DType dtype, int64_t n,
                          const Context& ctx));
CROMSS_KERNEL(add_inplace,
              void(void* dst, const void* src, DType dtype, int64_t n, const Context& ctx));
CROMSS_KERNEL(relu_forward,
              void(const void* x, void* out, DType dtype, int64_t n, const Context& ctx));
CROMSS_KERNEL(relu_backward, void(const void* grad_out, const void* out, void* grad_in, DType dtype,
                                  int64_t n, const Context& ctx));

}  // namespace cromss
