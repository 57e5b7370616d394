// Deterministic block-wide sum for the normalisation kernels, and the same for the (count, mean,
// M2) triples of kernels/channel_reduce.cuh: warp shuffles, then one warp over the per-warp
// partials. The order depends only on blockDim, so results are reproducible run to run. Every
// thread of the block must call them; all receive the result.
#pragma once

#include <cuda_runtime.h>

#include "kernels/channel_reduce.cuh"

namespace cromss::cuda_kernels {

template <class A>
__device__ __forceinline__ A warp_sum(A v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

// `shared` holds at least 32 values; blockDim.x is a multiple of 32.
template <class A>
__device__ __forceinline__ A block_sum(A v, A* shared) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < static_cast<int>(blockDim.x >> 5) ? shared[lane] : A(0);
    v = warp_sum(v);
    if (lane == 0) shared[0] = v;
  }
  __syncthreads();
  const A total = shared[0];
  __syncthreads();  // `shared` may be reused by the next call
  return total;
}

template <class A>
__device__ __forceinline__ MeanM2<A> warp_merge(MeanM2<A> v) {
  for (int offset = 16; offset > 0; offset >>= 1) {
    MeanM2<A> other;
    other.count = __shfl_down_sync(0xffffffffu, static_cast<long long>(v.count), offset);
    other.mean = __shfl_down_sync(0xffffffffu, v.mean, offset);
    other.m2 = __shfl_down_sync(0xffffffffu, v.m2, offset);
    v = merge_mean_m2(v, other);  // lanes >= 32 - offset merge garbage that lane 0 never reads
  }
  return v;
}

// `shared` holds at least 32 triples; blockDim.x is a multiple of 32.
template <class A>
__device__ __forceinline__ MeanM2<A> block_merge(MeanM2<A> v, MeanM2<A>* shared) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_merge(v);
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < static_cast<int>(blockDim.x >> 5) ? shared[lane] : MeanM2<A>{};
    v = warp_merge(v);
    if (lane == 0) shared[0] = v;
  }
  __syncthreads();
  const MeanM2<A> total = shared[0];
  __syncthreads();  // `shared` may be reused by the next call
  return total;
}

}  // namespace cromss::cuda_kernels
