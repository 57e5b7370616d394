// CUDA warp of tile planes (kernels/augment_warp.h): one thread per output pixel of a sample
// computes the shared sources (kernels/augment_warp.cuh, double precision like the loader) once
// and gathers every class plane.
#include "core/cuda/context_cuda.h"
#include "kernels/augment_warp.cuh"
#include "kernels/augment_warp.h"
#include "kernels/cuda/types.cuh"

namespace cromss::cuda_kernels {
namespace {

__global__ void augment_warp_kernel(const float* src, const double* warp, int64_t B, int C,
                                    int tile, int crop, float* dst) {
  const int64_t tile_hw = int64_t(tile) * tile, crop_hw = int64_t(crop) * crop;
  CROMSS_GRID_STRIDE_LOOP(i, B * crop_hw) {
    const int64_t b = i / crop_hw, p = i % crop_hw;
    const double* row = warp + b * kWarpFields;
    const bool rotate = row[kWarpRotate] != 0.0;
    const WarpSource s =
        warp_source(row, tile, crop, static_cast<int>(p / crop), static_cast<int>(p % crop));
    for (int c = 0; c < C; ++c)
      dst[(b * C + c) * crop_hw + p] = warp_bilinear(src + (b * C + c) * tile_hw, s, rotate);
  }
}

}  // namespace

void augment_warp(const float* src, const double* warp, int64_t B, int C, int tile, int crop,
                  float* dst, const Context& ctx) {
  const int64_t n = B * int64_t(crop) * crop;
  if (n == 0) return;
  augment_warp_kernel<<<blocks_for(n), kThreads, 0, stream_of(ctx)>>>(src, warp, B, C, tile, crop,
                                                                      dst);
  CUDA_CHECK_LAUNCH();
}

}  // namespace cromss::cuda_kernels
