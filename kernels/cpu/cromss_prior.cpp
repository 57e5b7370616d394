// CPU reference of the spatial-temporal label prior (spec §3.1): per sample and class, the
// temporal frequency F_c = (1/S) sum_s [Y_s = c] and the spatial one-hot O_c = [Y_s* = c] are
// blurred with scipy's gaussian_filter (sigma 3, truncate 4, reflect; rows then columns, float32
// between the passes as scipy's float32 output), renormalised over classes, then mixed.
#include <omp.h>

#include <vector>

#include "kernels/cromss_prior.h"
#include "kernels/prior_math.cuh"

namespace cromss::cpu_kernels {
namespace {

// Separable blur of one H x W plane in place (tmp: H x W scratch).
void blur_plane(float* plane, float* tmp, int H, int W, const float* taps) {
  for (int h = 0; h < H; ++h)
    for (int w = 0; w < W; ++w) {
      double acc = 0;
      for (int k = -kPriorRadius; k <= kPriorRadius; ++k)
        acc += double(taps[k + kPriorRadius]) * plane[reflect_index(h + k, H) * W + w];
      tmp[h * W + w] = float(acc);
    }
  for (int h = 0; h < H; ++h)
    for (int w = 0; w < W; ++w) {
      double acc = 0;
      for (int k = -kPriorRadius; k <= kPriorRadius; ++k)
        acc += double(taps[k + kPriorRadius]) * tmp[h * W + reflect_index(w + k, W)];
      plane[h * W + w] = float(acc);
    }
}

// Divides every class plane by the per-pixel class sum.
void normalise(float* maps, int C, int64_t HW) {
  for (int64_t i = 0; i < HW; ++i) {
    float s = 0;
    for (int c = 0; c < C; ++c) s += maps[c * HW + i];
    for (int c = 0; c < C; ++c) maps[c * HW + i] /= s;
  }
}

}  // namespace

void label_prior(const int32_t* seasons, const int32_t* season, int64_t B, int S, int C, int H,
                 int W, float mix_t, float mix_s, float* prior) {
  float taps[kPriorTaps];
  gaussian_taps(taps);
  const int64_t HW = int64_t(H) * W;
#pragma omp parallel for schedule(dynamic)
  for (int64_t b = 0; b < B; ++b) {
    std::vector<float> temporal(C * HW, 0.f), spatial(C * HW, 0.f), tmp(HW);
    const int32_t* y = seasons + b * S * HW;
    for (int s = 0; s < S; ++s)
      for (int64_t i = 0; i < HW; ++i) temporal[y[s * HW + i] * HW + i] += 1.f / S;
    for (int64_t i = 0; i < HW; ++i) spatial[y[season[b] * HW + i] * HW + i] = 1.f;
    for (int c = 0; c < C; ++c) {
      if (mix_t != 0) blur_plane(temporal.data() + c * HW, tmp.data(), H, W, taps);
      if (mix_s != 0) blur_plane(spatial.data() + c * HW, tmp.data(), H, W, taps);
    }
    normalise(temporal.data(), C, HW);
    normalise(spatial.data(), C, HW);
    float* out = prior + b * C * HW;
    for (int64_t i = 0; i < C * HW; ++i)
      out[i] = (mix_t != 0 ? mix_t * temporal[i] : 0.f) + (mix_s != 0 ? mix_s * spatial[i] : 0.f);
  }
}

}  // namespace cromss::cpu_kernels
