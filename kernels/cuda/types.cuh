// CUDA element types for the runtime dtypes, float accumulation for the 16-bit ones, and the
// launch helpers every elementwise kernel uses.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "core/cuda/check.h"
#include "core/dtype.h"
#include "core/dtype_case.h"

namespace cromss::cuda_kernels {

// Accumulation type: fp32 for f32/bf16/f16 (DESIGN.md "Mixed precision"), f64 for f64.
template <class T>
struct AccType {
  using type = float;
};
template <>
struct AccType<double> {
  using type = double;
};
template <>
struct AccType<int32_t> {  // integers convert exactly through double
  using type = double;
};
template <>
struct AccType<int64_t> {
  using type = double;
};
template <>
struct AccType<uint8_t> {
  using type = double;
};
template <class T>
using acc_t = typename AccType<T>::type;

template <class T>
__device__ __forceinline__ acc_t<T> load(const T* p, int64_t i) {
  return static_cast<acc_t<T>>(p[i]);
}
template <>
__device__ __forceinline__ float load(const __half* p, int64_t i) {
  return __half2float(p[i]);
}
template <>
__device__ __forceinline__ float load(const __nv_bfloat16* p, int64_t i) {
  return __bfloat162float(p[i]);
}

template <class T, class A>
__device__ __forceinline__ void store(T* p, int64_t i, A v) {
  p[i] = static_cast<T>(v);
}
template <>
__device__ __forceinline__ void store(__half* p, int64_t i, float v) {
  p[i] = __float2half_rn(v);
}
template <>
__device__ __forceinline__ void store(__nv_bfloat16* p, int64_t i, float v) {
  p[i] = __float2bfloat16_rn(v);
}

constexpr int kThreads = 256;
inline unsigned blocks_for(int64_t n, int threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 65535 * 32 ? (b < 1 ? 1 : b) : 65535 * 32);
}

#define CROMSS_GRID_STRIDE_LOOP(i, n)                                                    \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

}  // namespace cromss::cuda_kernels

// Runs the body with `scalar_t` bound to the CUDA type of a floating dtype.
#define CROMSS_DISPATCH_CUDA_FLOAT(dtype, op_name, ...)                       \
  [&] {                                                                       \
    switch (dtype) {                                                          \
      CROMSS_DTYPE_CASE(f32, float, __VA_ARGS__)                              \
      CROMSS_DTYPE_CASE(f64, double, __VA_ARGS__)                             \
      CROMSS_DTYPE_CASE(bf16, __nv_bfloat16, __VA_ARGS__)                     \
      CROMSS_DTYPE_CASE(f16, __half, __VA_ARGS__)                             \
      default:                                                                \
        CROMSS_THROW(ValueError, "{}: unsupported dtype {} on CUDA", op_name, \
                     ::cromss::dtype_name(dtype));                            \
    }                                                                         \
  }()

// Any dtype (integers included), for layout kernels.
#define CROMSS_DISPATCH_CUDA_ALL(dtype, op_name, ...)                   \
  [&] {                                                                 \
    switch (dtype) {                                                    \
      CROMSS_DTYPE_CASE(i32, int32_t, __VA_ARGS__)                      \
      CROMSS_DTYPE_CASE(i64, int64_t, __VA_ARGS__)                      \
      CROMSS_DTYPE_CASE(u8, uint8_t, __VA_ARGS__)                       \
      default:                                                          \
        return CROMSS_DISPATCH_CUDA_FLOAT(dtype, op_name, __VA_ARGS__); \
    }                                                                   \
  }()
