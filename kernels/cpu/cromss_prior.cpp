// CPU reference of the spatial-temporal label prior (spec §3.1): per sample and class, the
// temporal frequency F_c = (1/S) sum_s [Y_s = c] and the spatial one-hot O_c = [Y_s* = c] are
// blurred with scipy's gaussian_filter (sigma 3, truncate 4, reflect; rows then columns, float32
// between the passes as scipy's float32 output), renormalised over classes, then mixed.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "kernels/cromss_prior.h"
#include "kernels/prior.cuh"

namespace cromss::cpu_kernels {
namespace {

// Separable blur of one H x W plane in place (tmp: H x W scratch, acc: max(H, W) + 2 radius
// doubles). Rows pass: whole image rows weighted by the taps (reflected row indices); columns
// pass: each row extended by reflection, then the 25-tap dot product. Accumulates in double as
// scipy does, stores float32 between the passes.
void blur_plane(float* plane, float* tmp, double* acc, int H, int W, const float* taps) {
  for (int h = 0; h < H; ++h) {
    for (int w = 0; w < W; ++w) acc[w] = 0;
    for (int k = -kPriorRadius; k <= kPriorRadius; ++k) {
      const float* src = plane + int64_t(reflect_index(h + k, H)) * W;
      const double t = taps[k + kPriorRadius];
      for (int w = 0; w < W; ++w) acc[w] += t * src[w];
    }
    for (int w = 0; w < W; ++w) tmp[int64_t(h) * W + w] = float(acc[w]);
  }
  for (int h = 0; h < H; ++h) {
    const float* row = tmp + int64_t(h) * W;
    for (int x = -kPriorRadius; x < W + kPriorRadius; ++x)
      acc[x + kPriorRadius] = row[reflect_index(x, W)];
    float* out = plane + int64_t(h) * W;
    for (int w = 0; w < W; ++w) {
      double v = 0;
      for (int k = 0; k < kPriorTaps; ++k) v += double(taps[k]) * acc[w + k];
      out[w] = float(v);
    }
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
    std::vector<double> acc(std::max(H, W) + 2 * kPriorRadius);
    const int32_t* y = seasons + b * S * HW;
    for (int s = 0; s < S; ++s)
      for (int64_t i = 0; i < HW; ++i) temporal[y[s * HW + i] * HW + i] += 1.f / S;
    for (int64_t i = 0; i < HW; ++i) spatial[y[season[b] * HW + i] * HW + i] = 1.f;
    for (int c = 0; c < C; ++c) {
      if (mix_t != 0) blur_plane(temporal.data() + c * HW, tmp.data(), acc.data(), H, W, taps);
      if (mix_s != 0) blur_plane(spatial.data() + c * HW, tmp.data(), acc.data(), H, W, taps);
    }
    normalise(temporal.data(), C, HW);
    normalise(spatial.data(), C, HW);
    float* out = prior + b * C * HW;
    for (int64_t i = 0; i < C * HW; ++i)
      out[i] = (mix_t != 0 ? mix_t * temporal[i] : 0.f) + (mix_s != 0 ? mix_s * spatial[i] : 0.f);
  }
}

}  // namespace cromss::cpu_kernels
