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

void AugmentPlan::build(const AugmentParams& p) {
  crop = p.crop;
  const int n = p.crop;
  const size_t np = static_cast<size_t>(n) * n;
  idx.resize(np * 4);
  w.resize(np * 4);
  nearest.resize(np);
  identity_weights = !p.rotate;
  // Crop frame (after flip) -> tile index.
  auto to_tile = [&](int y, int x) {
    const bool fr = p.flip == 0 || p.flip == -1, fc = p.flip == 1 || p.flip == -1;
    const int sy = fr ? n - 1 - y : y, sx = fc ? n - 1 - x : x;
    return static_cast<int32_t>((sy + p.top) * p.tile + (sx + p.left));
  };
  const double th = p.angle_deg * M_PI / 180.0, a = std::cos(th), b = std::sin(th);
  const double cx = n / 2.0 - 0.5, cy = n / 2.0 - 0.5;
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n; ++x) {
      const size_t o = static_cast<size_t>(y) * n + x;
      if (!p.rotate) {
        const int32_t t = to_tile(y, x);
        idx[4 * o] = idx[4 * o + 1] = idx[4 * o + 2] = idx[4 * o + 3] = t;
        w[4 * o] = 1.f;
        w[4 * o + 1] = w[4 * o + 2] = w[4 * o + 3] = 0.f;
        nearest[o] = t;
        continue;
      }
      // Inverse of cv2.getRotationMatrix2D(center, angle, 1): source = R^T (dst - c) + c.
      const double dx = x - cx, dy = y - cy;
      const double sx = a * dx - b * dy + cx, sy = b * dx + a * dy + cy;
      const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
      const float fx = static_cast<float>(sx - x0), fy = static_cast<float>(sy - y0);
      const int xs[2] = {reflect101(x0, n), reflect101(x0 + 1, n)};
      const int ys[2] = {reflect101(y0, n), reflect101(y0 + 1, n)};
      idx[4 * o] = to_tile(ys[0], xs[0]);
      idx[4 * o + 1] = to_tile(ys[0], xs[1]);
      idx[4 * o + 2] = to_tile(ys[1], xs[0]);
      idx[4 * o + 3] = to_tile(ys[1], xs[1]);
      w[4 * o] = (1 - fy) * (1 - fx);
      w[4 * o + 1] = (1 - fy) * fx;
      w[4 * o + 2] = fy * (1 - fx);
      w[4 * o + 3] = fy * fx;
      const int nx = reflect101(static_cast<int>(std::floor(sx + 0.5)), n);
      const int ny = reflect101(static_cast<int>(std::floor(sy + 0.5)), n);
      nearest[o] = to_tile(ny, nx);
    }
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
