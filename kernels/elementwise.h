// Elementwise kernels on contiguous buffers of n elements: binary (add/sub/mul), scale, in-place
// accumulate, relu and its backward. cpu_kernels:: run f32/f64; cuda_kernels:: run f32, f64, bf16
// and f16 with fp32 accumulation.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/elementwise.cuh"

namespace cromss::cpu_kernels {
template <class T>
void binary(BinaryOp op, const T* a, const T* b, T* out, int64_t n);
template <class T>
void scale(const T* x, double alpha, T* out, int64_t n);
template <class T>
void add_inplace(T* dst, const T* src, int64_t n);
template <class T>
void relu_forward(const T* x, T* out, int64_t n);
template <class T>
void relu_backward(const T* grad_out, const T* out, T* grad_in, int64_t n);
}  // namespace cromss::cpu_kernels

namespace cromss::cuda_kernels {
void binary(BinaryOp op, const void* a, const void* b, void* out, DType dtype, int64_t n,
            int device);
void scale(const void* x, double alpha, void* out, DType dtype, int64_t n, int device);
void add_inplace(void* dst, const void* src, DType dtype, int64_t n, int device);
void relu_forward(const void* x, void* out, DType dtype, int64_t n, int device);
void relu_backward(const void* grad_out, const void* out, void* grad_in, DType dtype, int64_t n,
                   int device);
}  // namespace cromss::cuda_kernels
