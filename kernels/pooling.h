// Pooling kernels on dense buffers in the geometry's memory format, nchw or nhwc (index math in
// kernels/pooling.cuh). Max pool writes, per output (indices laid out as the output), the plane
// index h*W + w of its winning input (i64); the backward routes each output gradient to that
// input. cpu_kernels:: run f32/f64; cuda_kernels:: run f32, f64, bf16 and f16 with fp32
// accumulation. Every kernel overwrites its output.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/kernel_table.h"
#include "kernels/pooling.cuh"

namespace cromss {

CROMSS_KERNEL(max_pool2d_forward, void(const PoolGeometry& g, const void* x, void* y,
                                       int64_t* indices, DType dtype, const Context& ctx));
CROMSS_KERNEL(max_pool2d_backward,
              void(const PoolGeometry& g, const void* grad_y, const int64_t* indices, void* grad_x,
                   DType dtype, const Context& ctx));
CROMSS_KERNEL(adaptive_avg_pool2d_forward,
              void(const PoolGeometry& g, const void* x, void* y, DType dtype, const Context& ctx));
CROMSS_KERNEL(adaptive_avg_pool2d_backward, void(const PoolGeometry& g, const void* grad_y,
                                                 void* grad_x, DType dtype, const Context& ctx));

}  // namespace cromss
