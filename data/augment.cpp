// Joint crop/flip/rotate plans (see augment.h).
#include "data/augment.h"

#include <cmath>

namespace cromss::data {

AugmentParams draw_augment(int tile, int crop, const double u[6], bool augment) {
  AugmentParams p;
  p.tile = tile;
  p.crop = crop;
  if (!augment) {
    p.top = p.left = (tile - crop) / 2;
    return p;
  }
  p.top = static_cast<int>((tile - crop + 1) * u[0]);
  p.left = static_cast<int>((tile - crop + 1) * u[1]);
  if (u[2] < 0.5) p.flip = static_cast<int>(3 * u[3]) - 1;
  p.rotate = u[4] < 0.2;
  p.angle_deg = p.rotate ? -90.0 + 180.0 * u[5] : 0.0;
  return p;
}

void warp_row(const AugmentParams& p, double* row) {
  const double th = p.angle_deg * M_PI / 180.0;
  row[kWarpTop] = p.top;
  row[kWarpLeft] = p.left;
  row[kWarpFlip] = p.flip;
  row[kWarpRotate] = p.rotate ? 1.0 : 0.0;
  row[kWarpCos] = std::cos(th);
  row[kWarpSin] = std::sin(th);
}

void AugmentPlan::build(const AugmentParams& p) {
  crop = p.crop;
  const int n = p.crop;
  const size_t np = static_cast<size_t>(n) * n;
  idx.resize(np * 4);
  w.resize(np * 4);
  nearest.resize(np);
  identity_weights = !p.rotate;
  double row[kWarpFields];
  warp_row(p, row);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const size_t o = static_cast<size_t>(y) * n + x;
      const WarpSource s = warp_source(row, p.tile, n, y, x);
      for (int k = 0; k < 4; ++k) {
        idx[4 * o + k] = s.idx[k];
        w[4 * o + k] = s.w[k];
      }
      nearest[o] = s.nearest;
    }
}

void AugmentPlan::apply(const uint8_t* src, float scale, float* dst) const {
  const size_t np = static_cast<size_t>(crop) * crop;
  if (identity_weights) {
    for (size_t o = 0; o < np; ++o) dst[o] = src[idx[4 * o]] * scale;
    return;
  }
  for (size_t o = 0; o < np; ++o) {
    const int32_t* i = &idx[4 * o];
    const float* k = &w[4 * o];
    dst[o] = (k[0] * src[i[0]] + k[1] * src[i[1]] + k[2] * src[i[2]] + k[3] * src[i[3]]) * scale;
  }
}

void AugmentPlan::apply(const float* src, float* dst) const {
  const size_t np = static_cast<size_t>(crop) * crop;
  if (identity_weights) {
    for (size_t o = 0; o < np; ++o) dst[o] = src[idx[4 * o]];
    return;
  }
  for (size_t o = 0; o < np; ++o) {
    const int32_t* i = &idx[4 * o];
    const float* k = &w[4 * o];
    dst[o] = k[0] * src[i[0]] + k[1] * src[i[1]] + k[2] * src[i[2]] + k[3] * src[i[3]];
  }
}

void AugmentPlan::apply_nearest(const uint8_t* src, uint8_t* dst) const {
  const size_t np = static_cast<size_t>(crop) * crop;
  for (size_t o = 0; o < np; ++o) dst[o] = src[nearest[o]];
}

}  // namespace cromss::data
