// Dropout mask application on a dense buffer: out = keep(e) ? x / (1-p) : 0 for the element at
// logical (row-major) index e, with the mask of kernels/dropout.cuh. `layout` describes the
// buffer (a 4-D tensor in its memory format; others as one nchw plane of numel pixels), so an
// nhwc tensor drops the same logical elements as its nchw copy. Used for the forward
// (x = input) and the backward (x = output gradient). cpu_kernels:: run f32/f64;
// cuda_kernels:: f32, f64, bf16, f16.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/dense_planes.cuh"
#include "kernels/dropout.cuh"
#include "kernels/kernel_table.h"

namespace cromss {

CROMSS_KERNEL(dropout_apply, void(const void* x, void* out, DType dtype, const DensePlanes& layout,
                                  int64_t group, uint64_t seed, float p, const Context& ctx));

}  // namespace cromss
