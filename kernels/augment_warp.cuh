// Where each output pixel of the joint crop/flip/rotation (method-spec.md §6.3 step 7,
// data/augment.h) reads the full tile, written once for the loader's AugmentPlan
// (data/augment.cpp) and the augment_warp kernels (kernels/augment_warp.h) that warp a prior built
// on the device from the tile's labels. Rotation: cv2 warpAffine about (crop/2 - 0.5, crop/2 - 0.5)
// with BORDER_REFLECT_101 in the cropped frame, bilinear sources and weights plus the nearest
// source; without rotation all four sources are the cropped and flipped pixel (weights 1, 0, 0, 0).
#pragma once

#include <math.h>
#include <stdint.h>

#include "core/hd.h"

namespace cromss {

// One sample's warp as a row of doubles (the device copy is a (B, kWarpFields) f64 tensor).
enum WarpField { kWarpTop, kWarpLeft, kWarpFlip, kWarpRotate, kWarpCos, kWarpSin, kWarpFields };

struct WarpSource {
  int32_t idx[4];  // bilinear sources (tile pixel indices): (y0,x0) (y0,x1) (y1,x0) (y1,x1)
  float w[4];
  int32_t nearest;
};

// cv2 BORDER_REFLECT_101 ("gfedcb|abcdefgh|gfedcba") for any offset.
CROMSS_HD int reflect101(int i, int n) {
  if (n == 1) return 0;
  const int period = 2 * n - 2;
  int m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

// Sources of output pixel (y, x) of a crop x crop window of a tile x tile plane.
CROMSS_HD WarpSource warp_source(const double* warp, int tile, int crop, int y, int x) {
  const int flip = static_cast<int>(warp[kWarpFlip]);
  const bool flip_rows = flip == 0 || flip == -1, flip_cols = flip == 1 || flip == -1;
  const int top = static_cast<int>(warp[kWarpTop]), left = static_cast<int>(warp[kWarpLeft]);
  auto to_tile = [&](int cy, int cx) {  // crop frame (after flip) -> tile index
    const int sy = flip_rows ? crop - 1 - cy : cy, sx = flip_cols ? crop - 1 - cx : cx;
    return static_cast<int32_t>((sy + top) * tile + (sx + left));
  };
  WarpSource s;
  if (warp[kWarpRotate] == 0.0) {
    const int32_t t = to_tile(y, x);
    s.idx[0] = s.idx[1] = s.idx[2] = s.idx[3] = s.nearest = t;
    s.w[0] = 1.f;
    s.w[1] = s.w[2] = s.w[3] = 0.f;
    return s;
  }
  // Inverse of cv2.getRotationMatrix2D(center, angle, 1): source = R^T (dst - c) + c.
  const double a = warp[kWarpCos], b = warp[kWarpSin];
  const double c = crop / 2.0 - 0.5;
  const double dx = x - c, dy = y - c;
  const double sx = a * dx - b * dy + c, sy = b * dx + a * dy + c;
  const int x0 = static_cast<int>(floor(sx)), y0 = static_cast<int>(floor(sy));
  const float fx = static_cast<float>(sx - x0), fy = static_cast<float>(sy - y0);
  const int xs[2] = {reflect101(x0, crop), reflect101(x0 + 1, crop)};
  const int ys[2] = {reflect101(y0, crop), reflect101(y0 + 1, crop)};
  s.idx[0] = to_tile(ys[0], xs[0]);
  s.idx[1] = to_tile(ys[0], xs[1]);
  s.idx[2] = to_tile(ys[1], xs[0]);
  s.idx[3] = to_tile(ys[1], xs[1]);
  s.w[0] = (1 - fy) * (1 - fx);
  s.w[1] = (1 - fy) * fx;
  s.w[2] = fy * (1 - fx);
  s.w[3] = fy * fx;
  s.nearest = to_tile(reflect101(static_cast<int>(floor(sy + 0.5)), crop),
                      reflect101(static_cast<int>(floor(sx + 0.5)), crop));
  return s;
}

// The bilinear value of `src` (one tile plane) at the sources (exactly src[idx[0]] without
// rotation).
CROMSS_HD float warp_bilinear(const float* src, const WarpSource& s, bool rotate) {
  if (!rotate) return src[s.idx[0]];
  return s.w[0] * src[s.idx[0]] + s.w[1] * src[s.idx[1]] + s.w[2] * src[s.idx[2]] +
         s.w[3] * src[s.idx[3]];
}

}  // namespace cromss
