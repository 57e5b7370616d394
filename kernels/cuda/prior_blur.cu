// Spatial-temporal label prior on the GPU (method-spec.md §3.1, kernels/cromss_prior.h), tiled: one
// thread block per 32x32 output tile of a sample loads the tile's seasonal class ids plus the
// 12-pixel reflected halo into shared memory once, then per class blurs the temporal and spatial
// planes separably in shared memory, normalises over classes and writes the t/s mix - one kernel,
// the labels read once per tile and the prior written once. The per-tile code (phases, index math,
// taps order) is kernels/prior_tile.cuh, shared with its CPU unit test.
#include "core/cuda/context_cuda.h"
#include "core/error.h"
#include "kernels/cromss_prior.h"
#include "kernels/cuda/types.cuh"
#include "kernels/prior_tile.cuh"

namespace cromss::cuda_kernels {
namespace {

struct Taps {
  float w[kPriorTaps];
};

constexpr size_t kDefaultSmemLimit = 48 * 1024;  // without the per-kernel opt-in

__global__ void __launch_bounds__(kThreads)
    prior_tiles_kernel(const int32_t* seasons, const int32_t* season, int64_t B, int S, int C,
                       int H, int W, float mix_t, float mix_s, Taps taps, float* prior) {
  extern __shared__ __align__(16) unsigned char tile_smem[];
  __shared__ float shared_taps[kPriorTaps];
  if (threadIdx.x < kPriorTaps) shared_taps[threadIdx.x] = taps.w[threadIdx.x];
  __syncthreads();
  const int64_t HW = int64_t(H) * W;
  for (int64_t b = blockIdx.y; b < B; b += gridDim.y) {
    prior_tile(seasons + b * S * HW, season[b], S, C, H, W, mix_t, mix_s, shared_taps,
               static_cast<int>(blockIdx.x), tile_smem, static_cast<int>(threadIdx.x),
               static_cast<int>(blockDim.x), prior + b * C * HW);
  }
}

}  // namespace

void label_prior(const int32_t* seasons, const int32_t* season, int64_t B, int S, int C, int H,
                 int W, float mix_t, float mix_s, float* prior, const Context& ctx) {
  if (B == 0 || H == 0 || W == 0) return;
  CROMSS_CHECK(C > 0 && C < kPriorNoClass, "label_prior: {} classes; the CUDA kernel takes 1..{}",
               C, kPriorNoClass - 1);
  const size_t smem = prior_tile_smem_bytes(S);
  if (smem > kDefaultSmemLimit)
    CUDA_CHECK(cudaFuncSetAttribute(prior_tiles_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    static_cast<int>(smem)));
  Taps taps;
  gaussian_taps(taps.w);
  const int64_t tiles = int64_t(prior_tiles_along(H)) * prior_tiles_along(W);
  CROMSS_CHECK(tiles < (int64_t(1) << 31), "label_prior: a {}x{} plane has too many tiles", H, W);
  const dim3 grid(static_cast<unsigned>(tiles), static_cast<unsigned>(B < 65535 ? B : 65535));
  prior_tiles_kernel<<<grid, kThreads, smem, stream_of(ctx)>>>(seasons, season, B, S, C, H, W,
                                                               mix_t, mix_s, taps, prior);
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
