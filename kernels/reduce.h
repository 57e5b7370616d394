// Sum over a set of axes (scaled by `scale`, 1/count for mean) and its backward, which broadcasts
// the output gradient back to the input shape. Layouts come from make_reduce_layout.
// cpu_kernels:: run f32/f64 (accumulating in double); cuda_kernels:: run f32, f64, bf16 and f16
// with fp32 (f64) accumulation and a deterministic two-pass reduction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "kernels/kernel_table.h"
#include "kernels/reduce.cuh"

namespace cromss {
// `reduce_dim[d]` marks the reduced axes of a contiguous tensor of shape `shape`.
ReduceLayout make_reduce_layout(const std::vector<int64_t>& shape,
                                const std::vector<bool>& reduce_dim);

CROMSS_KERNEL(reduce_sum, void(const void* x, void* out, DType dtype, const ReduceLayout& layout,
                               double scale, const Context& ctx));
CROMSS_KERNEL(reduce_sum_backward,
              void(const void* grad_out, void* grad_in, DType dtype, const ReduceLayout& layout,
                   double scale, int64_t numel, const Context& ctx));

}  // namespace cromss
