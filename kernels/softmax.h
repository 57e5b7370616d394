// Softmax / log-softmax along the middle axis of a contiguous [outer, C, inner] tensor, and the
// backward from the saved output. Math in kernels/softmax.cuh. cpu_kernels:: run f32/f64;
// cuda_kernels:: run f32, f64, bf16 and f16 with fp32 accumulation.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/softmax.cuh"

namespace cromss::cpu_kernels {
template <class T>
void softmax_forward(const T* x, T* y, int64_t outer, int64_t channels, int64_t inner, bool log);
template <class T>
void softmax_backward(const T* grad_out, const T* y, T* grad_in, int64_t outer, int64_t channels,
                      int64_t inner, bool log);
}  // namespace cromss::cpu_kernels

namespace cromss::cuda_kernels {
void softmax_forward(const void* x, void* y, DType dtype, int64_t outer, int64_t channels,
                     int64_t inner, bool log, int device);
void softmax_backward(const void* grad_out, const void* y, void* grad_in, DType dtype,
                      int64_t outer, int64_t channels, int64_t inner, bool log, int device);
}  // namespace cromss::cuda_kernels
