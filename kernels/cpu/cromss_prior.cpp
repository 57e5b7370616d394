// CPU spatial-temporal label prior (method-spec.md §3.1): per sample and class, the temporal
// frequency F_c = (1/S) sum_s [Y_s = c] and the spatial one-hot O_c = [Y_s* = c] are blurred with
// scipy's gaussian_filter (kernels/prior.cuh: sigma 3, truncate 4, reflect; separable, float32),
// renormalised over classes, then mixed. The blur is linear and zero planes stay zero, so classes
// absent from every season are skipped. Rows are blurred through a reflect-padded copy, columns
// from the 25 reflected rows (both passes vectorise over pixels, blur_plane). This is the one CPU
// implementation: the data pipeline (data/prior.h) and `cromss objective`
// (engine/ops/label_prior.h) both call it.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/cromss_prior.h"
#include "kernels/prior.cuh"

namespace cromss::cpu_kernels {
namespace {

struct Taps {
  float w[kPriorTaps];
  Taps() { gaussian_taps(w); }
};
const Taps& taps() {
  static const Taps t;
  return t;
}

// out[x] = sum_k w[k] * tap(k)[x] for x in 0..width-1. The taps are symmetric (w[k] =
// w[24-k]), so mirrored taps are added first and multiplied once: 13 products instead of 25.
// Four outputs at a time stay in a vector register (GCC vector extension, SSE2 or wider) while
// the taps accumulate, with the weights pre-broadcast, so each output is stored once and never
// reloaded.
template <class Tap>
void weighted_sum_of_taps(int width, Tap tap, float* out) {
  typedef float Vec4 __attribute__((vector_size(16)));
  struct Weights {
    Vec4 v[kPriorRadius + 1];
    Weights() {
      for (int k = 0; k <= kPriorRadius; ++k) v[k] = Vec4{} + taps().w[k];
    }
  };
  static const Weights weights;
  const float* w = taps().w;
  int x = 0;
  for (; x + 4 <= width; x += 4) {
    auto load = [&](int k) {
      Vec4 v;
      std::memcpy(&v, tap(k) + x, sizeof v);
      return v;
    };
    Vec4 acc = weights.v[kPriorRadius] * load(kPriorRadius);
    for (int k = 0; k < kPriorRadius; ++k)
      acc += weights.v[k] * (load(k) + load(kPriorTaps - 1 - k));
    std::memcpy(out + x, &acc, sizeof acc);
  }
  for (; x < width; ++x) {
    float acc = w[kPriorRadius] * tap(kPriorRadius)[x];
    for (int k = 0; k < kPriorRadius; ++k) acc += w[k] * (tap(k)[x] + tap(kPriorTaps - 1 - k)[x]);
    out[x] = acc;
  }
}

// In-place separable blur of one (H, W) plane; scratch holds H*W floats.
void blur_plane(float* plane, int height, int width, float* scratch) {
  std::vector<float> padded(static_cast<size_t>(width) + 2 * kPriorRadius);
  for (int y = 0; y < height; ++y) {  // rows (axis 1) into scratch
    const float* row = plane + static_cast<size_t>(y) * width;
    std::copy(row, row + width, padded.begin() + kPriorRadius);
    for (int x = -kPriorRadius; x < 0; ++x) padded[x + kPriorRadius] = row[reflect_index(x, width)];
    for (int x = width; x < width + kPriorRadius; ++x)
      padded[x + kPriorRadius] = row[reflect_index(x, width)];
    const float* src = padded.data();
    weighted_sum_of_taps(
        width, [&](int k) { return src + k; }, scratch + static_cast<size_t>(y) * width);
  }
  const float* rows[kPriorTaps];
  for (int y = 0; y < height; ++y) {  // columns (axis 0) back into plane
    for (int k = 0; k < kPriorTaps; ++k)
      rows[k] = scratch + static_cast<size_t>(reflect_index(y + k - kPriorRadius, height)) * width;
    weighted_sum_of_taps(
        width, [&](int k) { return rows[k]; }, plane + static_cast<size_t>(y) * width);
  }
}

// Renormalises the class planes so that each pixel sums to 1 (pixels summing to 0 stay 0). The
// per-pixel sums add classes in order 0..C-1, one contiguous plane at a time (vectorises).
void normalise(float* planes, int n_classes, size_t hw) {
  std::vector<float> scale(hw, 0.f);
  for (int c = 0; c < n_classes; ++c) {
    const float* p = planes + c * hw;
    for (size_t i = 0; i < hw; ++i) scale[i] += p[i];
  }
  for (size_t i = 0; i < hw; ++i) scale[i] = scale[i] > 0.f ? 1.f / scale[i] : 1.f;
  for (int c = 0; c < n_classes; ++c) {
    float* p = planes + c * hw;
    for (size_t i = 0; i < hw; ++i) p[i] *= scale[i];
  }
}

// Blurs the present class planes and renormalises them.
void blur_and_normalise(float* planes, const std::vector<char>& present, int n_classes, int height,
                        int width, float* scratch) {
  const size_t hw = static_cast<size_t>(height) * width;
  for (int c = 0; c < n_classes; ++c)
    if (present[c]) blur_plane(planes + c * hw, height, width, scratch);
  normalise(planes, n_classes, hw);
}

template <typename Label>
void prior_sample(const Label* labels, int seasons, int height, int width, int season,
                  int n_classes, float mix_t, float mix_s, float* out) {
  const size_t hw = static_cast<size_t>(height) * width;
  std::vector<float> scratch(hw);
  std::vector<float> temporal;
  const bool want_t = mix_t != 0.f;
  const bool want_s = mix_s != 0.f;
  std::fill(out, out + n_classes * hw, 0.f);
  if (want_t) temporal.assign(n_classes * hw, 0.f);
  std::vector<char> present_t(n_classes, 0), present_s(n_classes, 0);
  const float inv_seasons = 1.f / static_cast<float>(seasons);
  for (int s = 0; s < seasons; ++s) {
    const Label* l = labels + s * hw;
    for (size_t i = 0; i < hw; ++i) {
      const int c = static_cast<int>(l[i]);
      if (c < 0 || c >= n_classes) continue;
      if (want_t) {
        temporal[c * hw + i] += inv_seasons;
        present_t[c] = true;
      }
      if (want_s && s == season) {
        out[c * hw + i] = 1.f;
        present_s[c] = true;
      }
    }
  }
  if (want_s) blur_and_normalise(out, present_s, n_classes, height, width, scratch.data());
  if (want_t) {
    blur_and_normalise(temporal.data(), present_t, n_classes, height, width, scratch.data());
    if (want_s) {
      for (size_t i = 0; i < n_classes * hw; ++i) out[i] = mix_s * out[i] + mix_t * temporal[i];
    } else {
      for (size_t i = 0; i < n_classes * hw; ++i) out[i] = mix_t * temporal[i];
    }
  }
}

}  // namespace

void label_prior_sample(const uint8_t* labels, int seasons, int height, int width, int season,
                        int n_classes, float mix_t, float mix_s, float* out) {
  prior_sample(labels, seasons, height, width, season, n_classes, mix_t, mix_s, out);
}

void label_prior(const int32_t* seasons, const int32_t* season, int64_t B, int S, int C, int H,
                 int W, float mix_t, float mix_s, float* prior, const Context&) {
  const int64_t sample_labels = int64_t(S) * H * W, sample_prior = int64_t(C) * H * W;
#pragma omp parallel for schedule(dynamic)
  for (int64_t b = 0; b < B; ++b)
    prior_sample(seasons + b * sample_labels, S, H, W, season[b], C, mix_t, mix_s,
                 prior + b * sample_prior);
}

}  // namespace cromss::cpu_kernels
