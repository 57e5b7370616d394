// Deterministic block-wide sum for the normalisation kernels: warp shuffles, then one warp over
// the per-warp partials. The summation order depends only on blockDim, so results are
// reproducible run to run. Every thread of the block must call it; all receive the sum.
#pragma once

#include <cuda_runtime.h>

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

}  // namespace cromss::cuda_kernels
