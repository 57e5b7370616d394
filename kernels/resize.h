// Resize kernels on dense (N, C, H, W) data, nchw or nhwc, viewed as N*C planes of H x W pixels
// (kernels/dense_planes.cuh); `in` describes the input (the input gradient), the output (output
// gradient) is dense in the same format with the output's height and width.
// cpu_kernels:: run f32/f64; cuda_kernels:: run f32, f64, bf16 and f16 with fp32 accumulation.
// Backward kernels write (not add) the full input gradient.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/dense_planes.cuh"
#include "kernels/kernel_table.h"
#include "kernels/resize.cuh"

namespace cromss {

CROMSS_KERNEL(upsample_nearest2x_forward,
              void(const void* x, DType dtype, const DensePlanes& in, void* y, const Context& ctx));
CROMSS_KERNEL(upsample_nearest2x_backward,
              void(const void* grad_out, DType dtype, const DensePlanes& in, void* grad_x,
                   const Context& ctx));
CROMSS_KERNEL(resize_bilinear_forward,
              void(const void* x, DType dtype, const DensePlanes& in, int64_t out_h, int64_t out_w,
                   bool align_corners, void* y, const Context& ctx));
CROMSS_KERNEL(resize_bilinear_backward,
              void(const void* grad_out, DType dtype, const DensePlanes& in, int64_t out_h,
                   int64_t out_w, bool align_corners, void* grad_x, const Context& ctx));

}  // namespace cromss
