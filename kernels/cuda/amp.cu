// CUDA loss-scaler kernels (kernels/amp.h); math in kernels/amp.cuh. The unscale kernel is one
// grid-stride pass; a block-wide vote limits the found_inf writes to one per block.
#include "core/cuda/context_cuda.h"
#include "kernels/amp.h"
#include "kernels/cuda/types.cuh"

namespace cromss::cuda_kernels {
namespace {

__global__ void unscale_check_kernel(float* g, int64_t n, const AmpScalerState* state,
                                     int32_t* found_inf) {
  const float inv = amp_inverse_scale(state->scale);
  bool any = false;
  CROMSS_GRID_STRIDE_LOOP(i, n) {
    bool bad = false;
    g[i] = amp_unscale(g[i], inv, bad);
    any = any || bad;
  }
  if (__syncthreads_or(any) && threadIdx.x == 0) *found_inf = 1;
}

__global__ void update_kernel(AmpScalerState* state, const int32_t* found_inf, AmpScalerHyper h) {
  cromss::amp_update(*state, *found_inf != 0, h);
}

}  // namespace

void amp_unscale_check(float* grads, int64_t n, const AmpScalerState* state, int32_t* found_inf,
                       const Context& ctx) {
  if (n == 0) return;
  unscale_check_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(grads, n, state, found_inf);
  CUDA_CHECK_LAUNCH();
}

void amp_update(AmpScalerState* state, const int32_t* found_inf, const AmpScalerHyper& h,
                const Context& ctx) {
  update_kernel<<<1, 1, 0, stream_of(ctx)>>>(state, found_inf, h);
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
