// CPU warp of tile planes (kernels/augment_warp.h): per output pixel the shared sources
// (kernels/augment_warp.cuh), then every class plane; OpenMP over samples and rows.
#include "kernels/augment_warp.h"

#include "kernels/augment_warp.cuh"

namespace cromss::cpu_kernels {

void augment_warp(const float* src, const double* warp, int64_t B, int C, int tile, int crop,
                  float* dst, const Context&) {
  const int64_t tile_hw = int64_t(tile) * tile, crop_hw = int64_t(crop) * crop;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < B; ++b)
    for (int y = 0; y < crop; ++y) {
      const double* row = warp + b * kWarpFields;
      const bool rotate = row[kWarpRotate] != 0.0;
      for (int x = 0; x < crop; ++x) {
        const WarpSource s = warp_source(row, tile, crop, y, x);
        for (int c = 0; c < C; ++c)
          dst[(b * C + c) * crop_hw + int64_t(y) * crop + x] =
              warp_bilinear(src + (b * C + c) * tile_hw, s, rotate);
      }
    }
}

}  // namespace cromss::cpu_kernels
