// Pooling kernels on contiguous NCHW buffers (index math in kernels/pooling.cuh). Max pool
// writes, per output, the flat index h*W + w of its winning input within the plane (i64); the
// backward routes each output gradient to that input. cpu_kernels:: run f32/f64; cuda_kernels::
// run f32, f64, bf16 and f16 with fp32 accumulation. Every kernel overwrites its output.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/pooling.cuh"

namespace cromss::cpu_kernels {
template <class T>
void max_pool2d_forward(const PoolGeometry& g, const T* x, T* y, int64_t* indices);
template <class T>
void max_pool2d_backward(const PoolGeometry& g, const T* grad_y, const int64_t* indices, T* grad_x);
template <class T>
void adaptive_avg_pool2d_forward(const PoolGeometry& g, const T* x, T* y);
template <class T>
void adaptive_avg_pool2d_backward(const PoolGeometry& g, const T* grad_y, T* grad_x);
}  // namespace cromss::cpu_kernels

namespace cromss::cuda_kernels {
void max_pool2d_forward(const PoolGeometry& g, const void* x, void* y, int64_t* indices,
                        DType dtype, int device);
void max_pool2d_backward(const PoolGeometry& g, const void* grad_y, const int64_t* indices,
                         void* grad_x, DType dtype, int device);
void adaptive_avg_pool2d_forward(const PoolGeometry& g, const void* x, void* y, DType dtype,
                                 int device);
void adaptive_avg_pool2d_backward(const PoolGeometry& g, const void* grad_y, void* grad_x,
                                  DType dtype, int device);
}  // namespace cromss::cuda_kernels
