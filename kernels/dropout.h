// Dropout mask application on a contiguous buffer of n elements: out = keep(i) ? x / (1-p) : 0,
// with the mask of kernels/dropout.cuh. Used for the forward (x = input) and the backward
// (x = output gradient). cpu_kernels:: run f32/f64; cuda_kernels:: f32, f64, bf16, f16.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/dropout.cuh"
#include "kernels/kernel_table.h"

namespace cromss {

CROMSS_KERNEL(dropout_apply, void(const void* x, void* out, DType dtype, int64_t n, int64_t group,
                                  uint64_t seed, float p, const Context& ctx));

}  // namespace cromss
