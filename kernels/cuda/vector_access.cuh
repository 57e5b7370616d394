// 128-bit loads and stores for the element-wise CUDA kernels, and the launch-time choices of
// kernels/vector_split.cuh turned into template arguments: the vector width W (elements per
// item; 1 = scalar) and the index type I (int32_t when the loop fits, else int64_t).
//
// A kernel written once over items of W elements serves both paths: with W = 16 / sizeof(T)
// each item is one 16-byte load per buffer, with W = 1 one element; the scalar tail of a
// vectorised launch runs the same body with W = 1.
#pragma once

#include <cstring>
#include <type_traits>

#include "kernels/cuda/types.cuh"
#include "kernels/vector_split.cuh"

namespace cromss::cuda_kernels {

template <class T, int W>
struct Vec {
  T v[W];
};

// Item `item` of a buffer of T viewed as items of W elements (elements item*W .. item*W+W-1).
template <int W, class T, class I>
__device__ __forceinline__ Vec<T, W> load_vec(const T* p, I item) {
  Vec<T, W> r;
  if constexpr (W == 1) {
    r.v[0] = p[item];
  } else {
    static_assert(sizeof(T) * W == sizeof(uint4), "a vector item is 16 bytes");
    const uint4 raw = reinterpret_cast<const uint4*>(p)[item];
    memcpy(r.v, &raw, sizeof(raw));
  }
  return r;
}

template <int W, class T, class I>
__device__ __forceinline__ void store_vec(T* p, I item, const Vec<T, W>& r) {
  if constexpr (W == 1) {
    p[item] = r.v[0];
  } else {
    static_assert(sizeof(T) * W == sizeof(uint4), "a vector item is 16 bytes");
    uint4 raw;
    memcpy(&raw, r.v, sizeof(raw));
    reinterpret_cast<uint4*>(p)[item] = raw;
  }
}

// Grid-stride loop in the index type I.
#define CROMSS_GRID_STRIDE_LOOP_AS(I, i, n)                                                       \
  for (I i =                                                                                      \
           static_cast<I>(blockIdx.x) * static_cast<I>(blockDim.x) + static_cast<I>(threadIdx.x); \
       i < (n); i += static_cast<I>(blockDim.x) * static_cast<I>(gridDim.x))

// Calls fn(std::integral_constant<int, W>{}) with W the split's width (1 or 16 / sizeof(T)).
template <class T, class Fn>
void with_vector_width(const VectorSplit& split, Fn&& fn) {
  constexpr int kWide = static_cast<int>(kVectorBytes / sizeof(T));
  if (split.width == kWide && kWide > 1)
    fn(std::integral_constant<int, kWide>{});
  else
    fn(std::integral_constant<int, 1>{});
}

// Calls fn(int32_t{}) when a grid-stride loop over `count` with `blocks` blocks of kThreads fits
// in 32 bits, else fn(int64_t{}).
template <class Fn>
void with_index_type(int64_t count, unsigned blocks, Fn&& fn) {
  if (index_fits_int32(count, static_cast<int64_t>(blocks) * kThreads))
    fn(int32_t{});
  else
    fn(int64_t{});
}

}  // namespace cromss::cuda_kernels
