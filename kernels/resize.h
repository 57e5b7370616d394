// Resize kernels on contiguous NCHW data viewed as planes = n * c images of h x w.
// cpu_kernels:: run f32/f64; cuda_kernels:: run f32, f64, bf16 and f16 with fp32 accumulation.
// Backward kernels write (not add) the full input gradient.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/kernel_table.h"
#include "kernels/resize.cuh"

namespace cromss {

CROMSS_KERNEL(upsample_nearest2x_forward, void(const void* x, DType dtype, int64_t planes,
                                               int64_t h, int64_t w, void* y, const Context& ctx));
CROMSS_KERNEL(upsample_nearest2x_backward,
              void(const void* grad_out, DType dtype, int64_t planes, int64_t h, int64_t w,
                   void* grad_x, const Context& ctx));
CROMSS_KERNEL(resize_bilinear_forward,
              void(const void* x, DType dtype, int64_t planes, int64_t in_h, int64_t in_w,
                   int64_t out_h, int64_t out_w, bool align_corners, void* y, const Context& ctx));
CROMSS_KERNEL(resize_bilinear_backward,
              void(const void* grad_out, DType dtype, int64_t planes, int64_t in_h, int64_t in_w,
                   int64_t out_h, int64_t out_w, bool align_corners, void* grad_x,
                   const Context& ctx));

}  // namespace cromss
