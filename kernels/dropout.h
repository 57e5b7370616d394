// Dropout mask application on a contiguous buffer of n elements: out = keep(i) ? x / (1-p) : 0,
// with the mask of kernels/dropout.cuh. Used for the forward (x = input) and the backward
// (x = output gradient). cpu_kernels:: run f32/f64; cuda_kernels:: f32, f64, bf16, f16.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kernels/dropout.cuh"

namespace cromss::cpu_kernels {
template <class T>
void dropout_apply(const T* x, T* out, int64_t n, int64_t group, uint64_t seed, float p);
}  // namespace cromss::cpu_kernels

namespace cromss::cuda_kernels {
void dropout_apply(const void* x, void* out, DType dtype, int64_t n, int64_t group, uint64_t seed,
                   float p, int device);
}  // namespace cromss::cuda_kernels
